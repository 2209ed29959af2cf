"""The tenant base viewset fails closed: its guarded methods cannot be overridden, and lookups of
other tenant rows are scoped to the request's organization."""

import pytest
from rest_framework.exceptions import NotFound

from customers.models import CustomerProfile
from organizations.api.viewsets import GUARDED_METHODS, TenantViewSet
from tests.factories import CustomerProfileFactory


@pytest.mark.parametrize("method", sorted(GUARDED_METHODS))
def test_a_subclass_may_not_override_a_guarded_method(method):
    with pytest.raises(TypeError, match=f"overrides {method}"):
        type("Sneaky", (TenantViewSet,), {method: lambda self, *args: None})


class _View(TenantViewSet):
    queryset = CustomerProfile.objects.all()

    def __init__(self, organization):
        super().__init__()
        self._organization = organization

    @property
    def organization(self):
        return self._organization


@pytest.mark.django_db
def test_tenant_lookups_find_only_the_requests_organization(organization, other_organization):
    own = CustomerProfileFactory(organization=organization, integration_id="same")
    CustomerProfileFactory(organization=other_organization, integration_id="theirs")
    CustomerProfileFactory(organization=other_organization, integration_id="same")
    view = _View(organization)

    assert view.get_tenant_object_or_404(CustomerProfile.objects, integration_id="same") == own
    with pytest.raises(NotFound):
        view.get_tenant_object_or_404(CustomerProfile.objects, integration_id="theirs")
    with pytest.raises(NotFound):  # a malformed key is not found either, not a 500
        view.get_tenant_object_or_404(CustomerProfile.objects, pk="not-a-uuid")
    with pytest.raises(NotFound):  # no organization: nothing at all
        _View(None).get_tenant_object_or_404(CustomerProfile.objects, integration_id="same")
