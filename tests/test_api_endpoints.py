"""The generic API checks of tests/api_base.py, run over every router registration."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from config.api_urls import router
from tests.api_base import BY_BASENAME, ENDPOINTS, NESTED_LISTS

WRITE_METHODS = ("post", "put", "patch", "delete")


def _url(name, viewset, value="0"):
    pattern = get_resolver().reverse_dict.getlist(name)[0][0][0][1]
    lookup = viewset.lookup_url_kwarg or viewset.lookup_field
    return reverse(name, kwargs={kwarg: (value if kwarg == lookup else "0") for kwarg in pattern})


def _each(predicate):
    return [pytest.param(e, id=e.basename) for e in ENDPOINTS if predicate(e)]


def test_every_router_registration_has_an_endpoint():
    assert sorted(b for _, _, b in router.registry) == sorted(BY_BASENAME)


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", _each(lambda e: True))
def test_every_route_needs_a_key(endpoint):
    anonymous = APIClient()
    for name, _, mapping in endpoint.routes():
        url = _url(name, endpoint.viewset)
        for method in mapping:
            response = anonymous.generic(method.upper(), url, "{}", "application/json")
            assert response.status_code == 401, (url, method)
            assert response.json()["errors"][0]["code"] == "not_authenticated"
            assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", _each(lambda e: True))
def test_a_read_only_key_cannot_write(endpoint, read_only_api, organization):
    value = "0"
    if endpoint.make:
        (row,) = endpoint.make(organization, 1)
        value = str(getattr(row, endpoint.viewset.lookup_field))
    for name, _, mapping in endpoint.routes():
        url = _url(name, endpoint.viewset, value)
        for method in mapping:
            if method in WRITE_METHODS:
                response = read_only_api.generic(method.upper(), url, "{}", "application/json")
                assert response.status_code == 403, (url, method, response.status_code)
                assert "read-only" in response.json()["errors"][0]["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", _each(lambda e: e.make))
def test_the_list_is_paginated_and_its_queries_do_not_grow_with_rows(endpoint, api, organization):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(endpoint.list_url(), {endpoint.page_size_parameter: 1000})
        assert response.status_code == 200, response.content
        return response.json(), len(queries.captured_queries)

    api.get(endpoint.list_url())  # the key's first use of the minute also records last_used_at
    endpoint.make(organization, 1)
    small_body, small = count_queries()
    endpoint.make(organization, 99)
    large_body, large = count_queries()

    assert "results" in small_body and "next" in small_body
    assert len(large_body["results"]) - len(small_body["results"]) == 99
    assert large == small, f"{small} queries with 1 row, {large} with 100"
    assert large <= endpoint.list_queries, f"{large} queries; the budget is {endpoint.list_queries}"


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", _each(lambda e: e.create))
def test_create_retrieve_update_delete(endpoint, api, organization):
    created = api.post(endpoint.list_url(), endpoint.create(organization), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    lookup = endpoint.viewset.lookup_field
    key = body["id"] if lookup == "pk" else body[lookup]
    row = endpoint.viewset.queryset.model.objects.get(**{lookup: key})
    url = endpoint.detail_url(row)

    read = api.get(url)
    assert read.status_code == 200 and read.json()["id"] == body["id"]

    changes = endpoint.update(row)
    updated = api.patch(url, changes, format="json")
    assert updated.status_code == 200, updated.json()
    assert {k: updated.json()[k] for k in changes} == changes
    assert {k: api.get(url).json()[k] for k in changes} == changes

    if "delete" in {m for name, detail, mapping in endpoint.routes() if detail for m in mapping}:
        assert api.delete(url).status_code == 204
        if endpoint.deleted_as:  # soft: still readable, marked deleted
            field, value = endpoint.deleted_as
            assert api.get(url).json()[field] == value
        else:
            assert api.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", _each(lambda e: e.make))
def test_another_organizations_row_is_a_404(endpoint, api, other_organization):
    (row,) = endpoint.make(other_organization, 1)
    assert api.get(endpoint.detail_url(row)).status_code == 404
    listed = api.get(endpoint.list_url()).json()["results"]
    assert str(row.pk) not in {item.get("id") for item in listed}


@pytest.mark.django_db
@pytest.mark.parametrize("nested", [pytest.param(n, id=n.name) for n in NESTED_LISTS])
def test_a_nested_lists_queries_do_not_grow_with_rows(nested, api, organization):
    state: dict = {}

    def count_queries(url):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, {"page_size": 1000})
        assert response.status_code == 200, response.content
        return response.json(), len(queries.captured_queries)

    url = nested.grow(organization, 1, state)
    api.get(url)  # the key's first use of the minute also records last_used_at
    small_body, small = count_queries(url)
    nested.grow(organization, 99, state)
    large_body, large = count_queries(url)

    assert len(large_body["results"]) - len(small_body["results"]) == 99
    assert large == small, f"{small} queries with 1 row, {large} with 100"
    assert large <= nested.queries, f"{large} queries; the budget is {nested.queries}"
