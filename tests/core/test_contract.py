"""The API keeps its word: each input that used to give a 500 (issue 12), unknown fields and
query parameters, body and upload limits, and the rate limit."""

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audiences.models import AudienceImport
from customers.models import CustomerProfile
from memberships import services as membership_services
from memberships.models import MembersGroup
from tests.factories import AudienceFactory, AudienceGroupFactory, CustomerProfileFactory

pytestmark = pytest.mark.django_db

MEMBERSHIPS = "/api/v1/loyalty-memberships"


def first_error(response):
    return response.json()["errors"][0]


class TestFormerServerErrors:
    def test_multipart_batch_delete_with_empty_ids_is_415_not_500(self, api):
        body = {"ids": ["e3e70682-c209-1cac-a29f-6fbed82c07cd", ""] * 600}
        response = api.post(f"{MEMBERSHIPS}/batch-delete", body, format="multipart")
        assert response.status_code == 415
        assert response.json()["type"] == "client_error"

    def test_renaming_a_group_to_a_taken_name_is_409(self, api, organization):
        AudienceGroupFactory(organization=organization, name="Tiers")
        group = AudienceGroupFactory(organization=organization, name="Other")
        response = api.put(f"/api/v1/audience-groups/{group.pk}", {"name": "Tiers"})
        assert response.status_code == 409
        assert first_error(response)["code"] == "name_taken"
        group.refresh_from_db()
        assert group.name == "Other"

    def test_group_body_with_lone_surrogate_key_is_400(self, api, organization):
        group = AudienceGroupFactory(organization=organization, name="Other")
        response = api.generic(
            "PUT",
            f"/api/v1/audience-groups/{group.pk}",
            '{"\\ud800": 1, "name": "x"}',
            content_type="application/json",
        )
        assert response.status_code == 400
        assert first_error(response)["code"] == "parse_error"

    @pytest.mark.parametrize("param", ["updated_after", "updated_before"])
    def test_datetime_with_offset_postgres_cannot_store_is_read_in_utc(self, api, param):
        response = api.get(MEMBERSHIPS, {param: "0214-12-30T16:12:10+19:11"})
        assert response.status_code == 200

    def test_datetime_out_of_range_in_utc_is_400(self, api):
        response = api.get(MEMBERSHIPS, {"updated_after": "0001-01-01T00:00:00+10:00"})
        assert response.status_code == 400
        assert first_error(response)["attr"] == "updated_after"

    def test_group_for_an_audience_deleted_meanwhile_is_400_not_a_foreign_key_error(
        self, organization
    ):
        audience = AudienceFactory(organization=organization)
        stale = type(audience).objects.get(pk=audience.pk)
        audience.delete()  # between the request's validation and the write
        with pytest.raises(ValidationError) as error:
            membership_services.create_group(
                organization=organization, data={"name": "G"}, audience=stale
            )
        assert "audience_id" in error.value.message_dict
        assert not MembersGroup.objects.filter(name="G").exists()

    def test_options_on_the_bulk_upsert_list_is_200(self, api):
        response = api.options("/api/v1/customer-profiles/", {"customer_profiles": []})
        assert response.status_code == 200
        assert "application/json" in response.json()["parses"]


class TestNothingSilentlyIgnored:
    def test_unknown_body_field_is_400_naming_it(self, api):
        response = api.put("/api/v1/customer-profiles/c-1", {"first_name": "A", "silent": True})
        assert response.status_code == 400
        assert first_error(response)["attr"] == "silent"
        assert not CustomerProfile.objects.filter(integration_id="c-1").exists()

    def test_dry_run_we_do_not_support_is_400_and_saves_nothing(self, api):
        response = api.put("/api/v1/customer-profiles/c-2?dry=true", {"first_name": "A"})
        assert response.status_code == 400
        assert first_error(response)["attr"] == "dry"
        assert not CustomerProfile.objects.filter(integration_id="c-2").exists()

    def test_unknown_field_in_a_batch_item_is_400(self, api):
        body = {"memberships": [{"id": "e3e70682-c209-1cac-a29f-6fbed82c07cd", "program": 1}]}
        response = api.post(f"{MEMBERSHIPS}/batch-update", body)
        assert response.status_code == 400
        assert first_error(response)["attr"] == "memberships.0.program"

    def test_single_valued_parameter_given_twice_is_400(self, api):
        response = api.get("/api/v1/customer-profiles?email=a@x.de&email=b@x.de")
        assert response.status_code == 400
        assert first_error(response)["attr"] == "email"

    @pytest.mark.parametrize(
        ("url", "param", "value"),
        [
            ("/api/v1/member-groups", "system", "null"),
            ("/api/v1/audiences", "archived", "maybe"),
            ("/api/v1/tier-structures", "program", ""),
            ("/api/v1/imports", "status", ""),
        ],
    )
    def test_unreadable_filter_value_is_400_not_no_filter(self, api, url, param, value):
        response = api.get(url, {param: value})
        assert response.status_code == 400
        assert first_error(response)["attr"] == param

    def test_attribute_filters_are_still_taken(self, api, organization):
        CustomerProfileFactory(organization=organization, attributes={"city": "Leeds"})
        response = api.get("/api/v1/customer-profiles", {"attributes__city": "Leeds"})
        assert response.status_code == 200
        assert len(response.json()["results"]) == 1

    def test_unknown_api_path_is_a_json_404(self, api):
        response = api.get("/api/v1/audience-groups/0.5/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert first_error(response)["code"] == "not_found"


class TestLimits:
    def test_body_over_the_limit_is_413_naming_it(self, api, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        response = api.put("/api/v1/customer-profiles/c-3", {"first_name": "A" * 2000})
        assert response.status_code == 413
        assert "1,000 bytes" in first_error(response)["detail"]

    def test_csv_over_the_row_limit_is_413_and_not_stored(self, api, organization, settings):
        settings.AUDIENCE_IMPORT_MAX_ROWS = 3
        audience = AudienceFactory(organization=organization)
        rows = "integration_id\n" + "".join(f"c{n}\n" for n in range(4))
        upload = SimpleUploadedFile("a.csv", rows.encode(), content_type="text/csv")
        response = api.post(
            f"/api/v1/audiences/{audience.pk}/imports", {"file": upload}, format="multipart"
        )
        assert response.status_code == 413
        assert "3 rows" in first_error(response)["detail"]
        assert not AudienceImport.objects.exists()

    def test_csv_at_the_row_limit_is_accepted(self, api, organization, settings):
        settings.AUDIENCE_IMPORT_MAX_ROWS = 3
        audience = AudienceFactory(organization=organization)
        upload = io.BytesIO(b"integration_id\nc1\nc2\nc3\n")
        upload.name = "a.csv"
        response = api.post(
            f"/api/v1/audiences/{audience.pk}/imports", {"file": upload}, format="multipart"
        )
        assert response.status_code == 202

    def test_csv_over_the_byte_limit_is_413(self, api, organization, settings):
        settings.AUDIENCE_IMPORT_MAX_BYTES = 10
        audience = AudienceFactory(organization=organization)
        upload = SimpleUploadedFile("a.csv", b"integration_id\nc1\nc2\n", content_type="text/csv")
        response = api.post(
            f"/api/v1/audiences/{audience.pk}/imports", {"file": upload}, format="multipart"
        )
        assert response.status_code == 413
        assert first_error(response)["code"] == "file_too_large"


class TestRateLimit:
    def test_over_the_limit_is_429_with_retry_after(self, api, other_api, settings):
        cache.clear()
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "api_key": "3/min"},
        }
        for _ in range(3):
            assert api.get("/api/v1/customer-profiles").status_code == 200
        response = api.get("/api/v1/customer-profiles")
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert response.json()["type"] == "client_error"
        assert first_error(response)["code"] == "throttled"
        # the limit is per key: another key is not slowed down
        assert other_api.get("/api/v1/customer-profiles").status_code == 200
        cache.clear()

    def test_batch_endpoints_have_their_own_lower_limit(self, api, settings):
        cache.clear()
        rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**rates, "batch": "1/min"},
        }
        body = {"customer_profiles": [{"integration_id": "b-1"}]}
        assert api.put("/api/v1/customer-profiles", body).status_code == 200
        assert api.put("/api/v1/customer-profiles", body).status_code == 429
        assert api.get("/api/v1/customer-profiles").status_code == 200  # reads are not batches
        cache.clear()


class TestContractDetails:
    def test_list_items_of_the_wrong_type_are_400_naming_the_index(self, api, organization):
        audience = AudienceFactory(organization=organization)
        response = api.delete(
            f"/api/v1/audiences/{audience.pk}/members", {"integration_ids": ["a", 0]}
        )
        assert response.status_code == 400
        assert first_error(response)["attr"] == "integration_ids.1"

    def test_a_method_the_path_does_not_take_is_405_whatever_the_query(self, api):
        response = api.patch(f"{MEMBERSHIPS}/batch-add?cursor=&limit=50", {"memberships": []})
        assert response.status_code == 405

    def test_a_literal_path_is_not_read_as_an_id(self, api):
        # batch-add takes no query parameters; the detail route's would not apply either
        response = api.post(f"{MEMBERSHIPS}/batch-add?limit=5", {"memberships": []})
        assert response.status_code == 400
        assert first_error(response)["attr"] == "limit"
