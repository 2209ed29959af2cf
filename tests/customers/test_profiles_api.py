import math

import pytest
from django.db import connection

from customers.models import CustomerProfile
from tests.factories import CustomerProfileFactory

LIST_URL = "/api/v1/customer-profiles"


def detail_url(integration_id: str) -> str:
    return f"/api/v1/customer-profiles/{integration_id}"


def error_attrs(response) -> set:
    return {error["attr"] for error in response.json()["errors"]}


@pytest.mark.django_db
class TestListAndFilters:
    def test_list_is_cursor_paginated_newest_first(self, api, organization):
        profiles = CustomerProfileFactory.create_batch(5, organization=organization)
        response = api.get(LIST_URL, {"page_size": 2})
        assert response.status_code == 200
        body = response.json()
        assert [p["integration_id"] for p in body["results"]] == [
            p.integration_id for p in reversed(profiles[-2:])
        ]
        seen = [p["integration_id"] for p in body["results"]]
        while body["next"]:
            body = api.get(body["next"]).json()
            seen += [p["integration_id"] for p in body["results"]]
        assert sorted(seen) == sorted(p.integration_id for p in profiles)
        assert len(seen) == 5

    def test_filters_by_email_msisdn_and_integration_id(self, api, organization):
        target = CustomerProfileFactory(
            organization=organization, email="ada@example.com", msisdn="+447700900123"
        )
        CustomerProfileFactory.create_batch(3, organization=organization)
        for params in (
            {"email": "ADA@example.com"},
            {"msisdn": "+447700900123"},
            {"integration_id": target.integration_id},
        ):
            results = api.get(LIST_URL, params).json()["results"]
            assert [p["integration_id"] for p in results] == [target.integration_id], params

    def test_filters_by_created_range(self, api, organization):
        old = CustomerProfileFactory(organization=organization)
        CustomerProfile.objects.filter(pk=old.pk).update(created_at="2020-01-01T00:00:00Z")
        new = CustomerProfileFactory(organization=organization)
        after = api.get(LIST_URL, {"created_after": "2024-01-01T00:00:00Z"}).json()["results"]
        before = api.get(LIST_URL, {"created_before": "2024-01-01T00:00:00Z"}).json()["results"]
        assert [p["integration_id"] for p in after] == [new.integration_id]
        assert [p["integration_id"] for p in before] == [old.integration_id]

    def test_filters_by_attribute_equality_for_strings_numbers_and_booleans(
        self, api, organization
    ):
        gold = CustomerProfileFactory(
            organization=organization, attributes={"tier": "gold", "visits": 7, "vip": True}
        )
        CustomerProfileFactory(
            organization=organization, attributes={"tier": "silver", "visits": 2, "vip": False}
        )
        for params in (
            {"attributes__tier": "gold"},
            {"attributes__visits": "7"},
            {"attributes__vip": "true"},
            {"attributes__tier": "gold", "attributes__visits": "7"},
        ):
            results = api.get(LIST_URL, params).json()["results"]
            assert [p["integration_id"] for p in results] == [gold.integration_id], params

    def test_invalid_filters_are_400_naming_the_parameter(self, api):
        response = api.get(LIST_URL, {"created_after": "yesterday"})
        assert response.status_code == 400
        assert "created_after" in error_attrs(response)
        response = api.get(LIST_URL, {"attributes__tier__contains": "g"})
        assert response.status_code == 400
        assert "attributes__tier__contains" in error_attrs(response)

    def test_query_count_does_not_grow_with_page_size(
        self, api, organization, django_assert_max_num_queries
    ):
        CustomerProfileFactory.create_batch(60, organization=organization)
        with django_assert_max_num_queries(3) as small:
            assert len(api.get(LIST_URL, {"page_size": 5}).json()["results"]) == 5
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert len(api.get(LIST_URL, {"page_size": 60}).json()["results"]) == 60


@pytest.mark.django_db
class TestSingleProfile:
    def test_retrieve_by_integration_id_with_dots_and_symbols(self, api, organization):
        profile = CustomerProfileFactory(organization=organization, integration_id="abc.def@1")
        response = api.get(detail_url(profile.integration_id))
        assert response.status_code == 200
        assert response.json()["email"] == profile.email

    def test_put_creates_then_updates_and_merges_attributes(self, api, organization):
        response = api.put(
            detail_url("c-1"),
            {"email": "Ada@Example.com", "first_name": "Ada", "attributes": {"city": "Leeds"}},
        )
        assert response.status_code == 201
        assert response.json()["email"] == "ada@example.com"
        response = api.put(
            detail_url("c-1"), {"last_name": "Lovelace", "attributes": {"tier": "gold"}}
        )
        assert response.status_code == 200
        profile = CustomerProfile.objects.get(organization=organization, integration_id="c-1")
        assert (profile.first_name, profile.last_name) == ("Ada", "Lovelace")
        assert profile.attributes == {"city": "Leeds", "tier": "gold"}
        response = api.patch(detail_url("c-1"), {"attributes": {"city": None}})
        assert response.status_code == 200
        assert response.json()["attributes"] == {"tier": "gold"}

    def test_integration_id_cannot_change(self, api, organization):
        CustomerProfileFactory(organization=organization, integration_id="c-1")
        response = api.patch(detail_url("c-1"), {"integration_id": "c-2"})
        assert response.status_code == 400
        assert error_attrs(response) == {"integration_id"}
        response = api.put(detail_url("c-1"), {"integration_id": "c-2"})
        assert response.status_code == 400
        assert CustomerProfile.objects.filter(integration_id="c-1").exists()

    def test_patch_missing_profile_is_404(self, api):
        assert api.patch(detail_url("nobody"), {"first_name": "X"}).status_code == 404

    def test_delete_removes_the_profile(self, api, organization):
        CustomerProfileFactory(organization=organization, integration_id="gone")
        assert api.delete(detail_url("gone")).status_code == 204
        assert not CustomerProfile.objects.filter(integration_id="gone").exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"email": "not-an-email"}, "email"),
            ({"msisdn": "07700 900123"}, "msisdn"),
            ({"msisdn": "+0123"}, "msisdn"),
            ({"first_name": "x" * 151}, "first_name"),
            ({"attributes": ["not", "an", "object"]}, "attributes"),
            ({"attributes": {"bad key!": 1}}, "attributes"),
            ({"attributes": {"a__b": 1}}, "attributes"),
            ({"attributes": {"note": "nul\x00byte"}}, "attributes"),
            ({"first_name": "nul\x00byte"}, "first_name"),
            ({"email": 42}, "email"),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, api, payload, field):
        response = api.put(detail_url("c-9"), payload)
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["type"] == "validation_error"
        assert field in error_attrs(response)
        assert not CustomerProfile.objects.filter(integration_id="c-9").exists()


@pytest.mark.django_db
class TestHostileInput:
    """Input that databases cannot store is a 400 or 404, never a 500."""

    @pytest.mark.parametrize("bad_id", ["x" * 256, "nul%00byte"])
    def test_unstorable_integration_ids_in_the_path(self, api, bad_id):
        assert api.get(detail_url(bad_id)).status_code == 404
        assert api.delete(f"/api/v1/customer-data/{bad_id}").status_code == 404
        response = api.put(detail_url(bad_id), {"first_name": "X"})
        assert response.status_code == 400
        assert error_attrs(response) == {"integration_id"}

    @pytest.mark.parametrize(
        "body",
        [
            '{"first_name": "\\ud800"}',
            '{"attributes": {"\\udfff": 1}}',
            '{"attributes": {"a": ' + "[" * 5000 + "]" * 5000 + "}}",
        ],
    )
    def test_unencodable_or_deeply_nested_json_is_a_parse_error(self, api, body):
        response = api.generic("PUT", detail_url("h-1"), body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "parse_error"

    def test_non_finite_attribute_numbers_are_rejected(self, api):
        body = '{"attributes": {"a": 1e999}}'
        response = api.generic("PUT", detail_url("h-2"), body, content_type="application/json")
        assert response.status_code == 400
        assert error_attrs(response) == {"attributes"}

    def test_merged_attributes_over_the_limit_are_400_not_500(self, api, organization):
        CustomerProfileFactory(
            organization=organization,
            integration_id="many",
            attributes={f"a{i}": i for i in range(150)},
        )
        response = api.put(detail_url("many"), {"attributes": {f"b{i}": i for i in range(60)}})
        assert response.status_code == 400
        assert error_attrs(response) == {"attributes"}

    def test_attribute_filters_treat_lookup_names_as_plain_keys(self, api, organization):
        profile = CustomerProfileFactory(
            organization=organization, attributes={"contains": "x", "isnull": "y"}
        )
        CustomerProfileFactory(organization=organization, attributes={"contains": "z"})
        for params in ({"attributes__contains": "x"}, {"attributes__isnull": "y"}):
            results = api.get(LIST_URL, params).json()["results"]
            assert [p["integration_id"] for p in results] == [profile.integration_id]
        for value in ("1e999", "NaN", "-Infinity", str(10**30)):
            assert api.get(LIST_URL, {"attributes__visits": value}).status_code == 200
        for key in ("0", "a__b", "has key"):
            response = api.get(LIST_URL, {f"attributes__{key}": "1"})
            assert response.status_code == 400

    def test_ordering_param_keeps_a_stable_cursor_over_equal_timestamps(self, api, organization):
        items = [{"integration_id": f"same-{i:02d}"} for i in range(30)]
        assert api.put(LIST_URL, {"customer_profiles": items}).status_code == 200
        for ordering in ("created_at", "-created_at"):
            seen, url = [], f"{LIST_URL}?ordering={ordering}&page_size=7"
            while url:
                body = api.get(url).json()
                seen += [p["integration_id"] for p in body["results"]]
                url = body["next"]
            assert sorted(seen) == [item["integration_id"] for item in items], ordering


@pytest.mark.django_db
class TestBulkUpsert:
    def test_creates_and_updates_in_one_call(self, api, organization):
        CustomerProfileFactory(organization=organization, integration_id="b-0", first_name="Old")
        items = [{"integration_id": f"b-{i}", "first_name": f"N{i}"} for i in range(5)]
        response = api.put(LIST_URL, {"customer_profiles": items})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["created"], body["updated"]) == (4, 1)
        names = dict(
            CustomerProfile.objects.filter(organization=organization).values_list(
                "integration_id", "first_name"
            )
        )
        assert names == {f"b-{i}": f"N{i}" for i in range(5)}

    def test_keeps_fields_left_out_and_merges_attributes(self, api, organization):
        CustomerProfileFactory(
            organization=organization,
            integration_id="b-1",
            email="keep@example.com",
            attributes={"a": 1, "b": 2},
        )
        response = api.put(
            LIST_URL,
            {"customer_profiles": [{"integration_id": "b-1", "attributes": {"b": None, "c": 3}}]},
        )
        assert response.status_code == 200
        profile = CustomerProfile.objects.get(integration_id="b-1")
        assert profile.email == "keep@example.com"
        assert profile.attributes == {"a": 1, "c": 3}

    def test_any_invalid_item_writes_nothing_and_names_each_index(self, api, organization):
        items = [
            {"integration_id": "ok-1"},
            {"integration_id": "bad-1", "email": "nope"},
            {"integration_id": "ok-2"},
            {"integration_id": "ok-1"},
            {"first_name": "no id"},
        ]
        response = api.put(LIST_URL, {"customer_profiles": items})
        assert response.status_code == 400
        assert error_attrs(response) == {
            "customer_profiles.1.email",
            "customer_profiles.4.integration_id",
        }
        assert not CustomerProfile.objects.exists()

    def test_duplicate_ids_in_a_batch_are_named_by_index(self, api):
        items = [{"integration_id": "d"}, {"integration_id": "e"}, {"integration_id": "d"}]
        response = api.put(LIST_URL, {"customer_profiles": items})
        assert response.status_code == 400
        assert error_attrs(response) == {"customer_profiles.2.integration_id"}
        assert not CustomerProfile.objects.exists()

    def test_over_1000_items_is_413(self, api):
        items = [{"integration_id": f"x{i}"} for i in range(1001)]
        response = api.put(LIST_URL, {"customer_profiles": items})
        assert response.status_code == 413
        assert response.json()["errors"][0]["code"] == "too_many_items"
        assert not CustomerProfile.objects.exists()

    def test_same_integration_id_in_another_organization_is_a_separate_profile(
        self, api, other_api, organization, other_organization
    ):
        CustomerProfileFactory(organization=organization, integration_id="shared", first_name="A")
        body = {"customer_profiles": [{"integration_id": "shared", "first_name": "B"}]}
        response = other_api.put(LIST_URL, body)
        assert response.status_code == 200
        assert response.json()["created"] == 1
        assert CustomerProfile.objects.get(organization=organization).first_name == "A"
        assert CustomerProfile.objects.get(organization=other_organization).first_name == "B"

    def test_wrong_shapes_are_400(self, api):
        for payload in ([], {"customer_profiles": []}, {"customer_profiles": "x"}, {}):
            response = api.put(LIST_URL, payload)
            assert response.status_code == 400, payload

    def test_1000_profiles_take_a_fixed_number_of_queries(
        self, api, organization, django_assert_max_num_queries
    ):
        CustomerProfileFactory.create_batch(10, organization=organization)
        existing = list(
            CustomerProfile.objects.filter(organization=organization).values_list(
                "integration_id", flat=True
            )
        )
        items = [{"integration_id": i, "last_name": "Updated"} for i in existing] + [
            {"integration_id": f"new-{i}", "attributes": {"n": i}} for i in range(990)
        ]
        # One INSERT … ON CONFLICT per database batch (SQLite caps parameters per statement).
        batch = connection.ops.bulk_batch_size(CustomerProfile._meta.concrete_fields, items)
        with django_assert_max_num_queries(6 + math.ceil(len(items) / batch)):
            response = api.put(LIST_URL, {"customer_profiles": items})
        assert response.status_code == 200
        assert CustomerProfile.objects.filter(organization=organization).count() == 1000
        assert CustomerProfile.objects.filter(last_name="Updated").count() == 10


@pytest.mark.django_db
def test_delete_personal_data_keeps_the_profile_row(api, organization):
    profile = CustomerProfileFactory(organization=organization, integration_id="erase-me")
    response = api.delete("/api/v1/customer-data/erase-me")
    assert response.status_code == 204
    profile.refresh_from_db()
    assert (profile.email, profile.msisdn, profile.first_name, profile.last_name) == ("",) * 4
    assert profile.attributes == {}
    assert profile.personal_data_deleted_at is not None
    assert profile.integration_id == "erase-me"
