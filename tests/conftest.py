import pytest
from rest_framework.test import APIClient

from config.celery import app as celery_app
from organizations.models import Role

from .factories import ApiKeyFactory, OrganizationFactory, OrganizationMemberFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://…)"))


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Tasks run in-process, except in tests that prove the real worker path."""
    if "redis_worker" in request.keywords:
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Coffee", slug="acme")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Rival Tea", slug="rival")


def client_for(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.secret}")
    client.api_key = api_key
    return client


@pytest.fixture
def api_key(organization):
    return ApiKeyFactory(organization=organization, scopes=["read", "write"])


@pytest.fixture
def api(api_key):
    """An API client with a read/write key of `organization`."""
    return client_for(api_key)


@pytest.fixture
def read_only_api(organization):
    return client_for(ApiKeyFactory(organization=organization, scopes=["read"]))


@pytest.fixture
def other_api(other_organization):
    """An API client of another organization."""
    return client_for(ApiKeyFactory(organization=other_organization))


@pytest.fixture
def staff_user_factory(db):
    def make(organization, role=Role.EDITOR, **kwargs):
        user = UserFactory(**kwargs)
        OrganizationMemberFactory(organization=organization, user=user, role=role)
        return user

    return make
