"""Edge cases found in review: never a 500, the same results on both databases."""

import pytest

from audiences import services
from audiences.models import Audience
from customers.models import CustomerProfile
from customers.services import delete_customer_profile
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/audiences"


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "attributes.n", "operator": "gt", "values": [2**64]},
        {"field": "attributes.n", "operator": "in", "values": [-(2**63) - 1]},
        {"field": "created_at", "operator": "gt", "values": ["9999-12-31T23:00:00-05:00"]},
        {"field": "created_at", "operator": "lt", "values": ["0001-01-01T00:00:00+05:00"]},
    ],
)
def test_out_of_range_rule_values_are_400(api, organization, rule):
    response = api.post(f"{URL}/preview", {"rules": [rule]}, format="json")
    assert response.status_code == 400, response.content
    assert api.post(URL, {"name": "x", "rules": [rule]}, format="json").status_code == 400


def test_points_values_beyond_64_bits_are_400(api, organization):
    from loyalty import services as loyalty_services

    program = loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})
    rule = {"field": f"loyalty.points.{program.pk}", "operator": "gte", "values": [2**63]}
    assert api.post(URL, {"name": "x", "rules": [rule]}, format="json").status_code == 400


@pytest.mark.parametrize("metadata", [{"a": "x\u0000"}, {"a\u0000": 1}, {"a": 2**70}])
def test_unstorable_metadata_is_400(api, metadata):
    response = api.post(URL, {"name": "x", "metadata": metadata}, format="json")
    assert response.status_code == 400


def test_null_attribute_keys_are_validated(api, organization):
    audience = services.create_audience(organization=organization, data={"name": "A"})
    response = api.put(
        f"{URL}/{audience.pk}/customer-attributes", {"attributes": {"bad key": None}}, format="json"
    )
    assert response.status_code == 400


def test_member_attributes_merge_at_the_top_level_on_every_database(organization):
    profile = CustomerProfileFactory(
        organization=organization, attributes={"prefs": {"x": 1}, "keep": 1, "drop": 2}
    )
    audience = services.create_audience(organization=organization, data={"name": "A"})
    services.add_members(audience=audience, integration_ids=[profile.integration_id])
    services.set_member_attributes(audience=audience, attributes={"prefs": {"y": 2}, "drop": None})
    profile.refresh_from_db()
    assert profile.attributes == {"prefs": {"y": 2}, "keep": 1}


def test_a_full_batch_of_customer_audiences_works(api, organization):
    profiles = CustomerProfileFactory.create_batch(20, organization=organization)
    audiences = [
        services.create_audience(organization=organization, data={"name": f"A{i}"})
        for i in range(50)
    ]
    data = [
        {"profile_integration_id": p.integration_id, "audience_id": str(a.pk), "action": "add"}
        for p in profiles
        for a in audiences
    ]
    response = api.post("/api/v1/customer-audiences", {"data": data}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"added": 1000, "removed": 0}


def test_deleting_a_profile_updates_member_counts(organization):
    profile = CustomerProfileFactory(organization=organization)
    audience = services.create_audience(organization=organization, data={"name": "A"})
    services.add_members(audience=audience, integration_ids=[profile.integration_id])
    delete_customer_profile(profile=profile)
    assert Audience.objects.get().member_count == 0
    assert not CustomerProfile.objects.exists()


def test_ordered_attribute_rules_compare_only_the_same_json_type(organization):
    from audiences.rules import matching_profiles

    for n, value in enumerate([5, "5", True, None, [1], 2.5]):
        CustomerProfileFactory(
            organization=organization, integration_id=f"p{n}", attributes={"n": value}
        )
    rule = {"field": "attributes.n", "operator": "gt", "values": [0]}
    found = set(
        matching_profiles(organization=organization, rules=[rule]).values_list(
            "integration_id", flat=True
        )
    )
    assert found == {"p0", "p5"}  # the numbers only
    between = {"field": "attributes.n", "operator": "between", "values": [0, 2.5]}
    found = set(
        matching_profiles(organization=organization, rules=[between]).values_list(
            "integration_id", flat=True
        )
    )
    assert found == {"p5"}


def test_refresh_now_during_a_refresh_is_queued_again(organization):
    import datetime as dt

    audience = services.create_audience(
        organization=organization,
        data={"name": "A"},
        rules=[{"field": "email", "operator": "exists"}],
    )
    assert services.request_refresh(audience=audience) is True
    services.refresh_audience(audience_id=audience.pk)  # the claim takes the queued request
    Audience.objects.filter(pk=audience.pk).update(refresh_started_at=dt.datetime.now(dt.UTC))
    assert services.request_refresh(audience=audience) is True  # while one runs: queued again
    assert services.request_refresh(audience=audience) is False  # but only once
