"""One home per profile rule: the profiles API and the audience endpoints refuse the same
attribute values as audience metadata (core.validators' storability rule, worded by
customers.validators), and attributes merge one way everywhere (customers.services:
merge_attributes and its SQL form). The CSV import's side is in test_imports.py."""

import pytest

from audiences import services
from customers.models import CustomerProfile
from customers.services import merge_attributes, merge_attributes_sql
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db

PROFILES = "/api/v1/customer-profiles"
AUDIENCES = "/api/v1/audiences"
HUGE = 2**70  # a whole number JSON readers cannot hold exactly, beyond what we store


def api_message(response, attr: str | None) -> str:
    assert response.status_code == 400, response.content
    [error] = [e for e in response.json()["errors"] if e["attr"] == attr]
    return error["detail"]


def test_attribute_whole_numbers_beyond_64_bits_are_refused_like_metadata(api, organization):
    """Metadata refused 2**70 while profile and member attributes took it (and a profile
    holding it was merged into but never validated again)."""
    audience = services.create_audience(organization=organization, data={"name": "A"})
    metadata = api_message(api.post(AUDIENCES, {"name": "x", "metadata": {"a": HUGE}}), "metadata")
    assert metadata == "Whole numbers must fit in 64 bits."
    profile = api_message(api.put(f"{PROFILES}/c1", {"attributes": {"a": HUGE}}), "attributes")
    members = api_message(  # (this endpoint names no field for a bad value, as before)
        api.put(f"{AUDIENCES}/{audience.pk}/customer-attributes", {"attributes": {"a": HUGE}}),
        None,
    )
    assert profile == members == "Attribute whole numbers must fit in 64 bits."
    for value in (2**63 - 1, -(2**63)):  # the bounds themselves are fine
        assert api.put(f"{PROFILES}/c1", {"attributes": {"a": value}}).status_code in (200, 201)
    assert CustomerProfile.objects.get(integration_id="c1").attributes == {"a": -(2**63)}


START = {"prefs": {"x": 1}, "keep": 1, "drop": 2, "city": "Leeds"}


@pytest.mark.parametrize(
    "changes",
    [
        {"prefs": {"y": 2}, "drop": None},  # an object replaces the object; null removes
        {"drop": None, "absent": None},
        {"n": 1.5, "flag": False, "list": [1, {"a": None}]},
    ],
)
def test_merge_attributes_sql_is_merge_attributes_on_this_database(api, organization, changes):
    audience = services.create_audience(organization=organization, data={"name": "A"})
    expected = merge_attributes(START, changes)
    by_api = CustomerProfileFactory(organization=organization, integration_id="a", attributes=START)
    by_sql = CustomerProfileFactory(organization=organization, integration_id="s", attributes=START)
    assert api.patch(f"{PROFILES}/a", {"attributes": changes}, format="json").status_code == 200
    services.add_members(audience=audience, integration_ids=["s"])
    services.set_member_attributes(audience=audience, attributes=changes)
    by_api.refresh_from_db()
    by_sql.refresh_from_db()
    assert by_api.attributes == by_sql.attributes == expected


def test_merge_attributes_sql_takes_only_attribute_names():
    with pytest.raises(ValueError, match="Not attribute names"):
        merge_attributes_sql("attributes", {"x') --": 1})
