"""Renamed in this release, old names kept for one release (README, "Renamed names"): an
audience group's `kind` is `type`; `member_count` is `members_count`; an import's "cancelled"
status is "canceled". The old names still work and the schema marks them deprecated."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from audiences import services as audience_services
from audiences.models import AudienceImport
from tests.factories import AudienceFactory, AudienceImportFactory

pytestmark = pytest.mark.django_db
GROUPS = "/api/v1/audience-groups"


def test_a_group_takes_type_or_its_old_name_kind(api):
    by_type = api.post(GROUPS, {"name": "Tiers", "type": "loyalty_tiers"}, format="json")
    assert by_type.status_code == 201
    assert by_type.json()["type"] == by_type.json()["kind"] == "loyalty_tiers"

    by_kind = api.post(GROUPS, {"name": "Old client", "kind": "seasonal"}, format="json")
    assert by_kind.status_code == 201 and by_kind.json()["type"] == "seasonal"
    renamed = api.patch(f"{GROUPS}/{by_kind.json()['id']}", {"kind": "winter"}, format="json")
    assert renamed.json()["type"] == "winter"

    both = api.post(GROUPS, {"name": "X", "type": "a", "kind": "b"}, format="json")
    assert both.status_code == 400
    assert both.json()["errors"][0]["attr"] == "kind"


def test_audiences_and_refresh_logs_answer_members_count_and_the_old_member_count(
    api, organization
):
    audience = AudienceFactory(organization=organization)
    body = api.get(f"/api/v1/audiences/{audience.pk}").json()
    assert body["members_count"] == body["member_count"] == 0
    audience_services.refresh_audience(audience_id=audience.pk)
    (log,) = api.get(f"/api/v1/audiences/{audience.pk}/refreshes").json()["results"]
    assert log["members_count"] == log["member_count"] == 0


def test_the_old_cancelled_spelling_still_filters_imports(api, organization):
    canceled = AudienceImportFactory(organization=organization, status="canceled")
    AudienceImportFactory(organization=organization, status="completed")
    for spelling in ("canceled", "cancelled"):
        results = api.get("/api/v1/imports", {"status": spelling}).json()["results"]
        assert [r["id"] for r in results] == [str(canceled.pk)]
        assert results[0]["status"] == AudienceImport.Status.CANCELED == "canceled"


def test_the_schema_marks_the_old_names_deprecated():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    assert schemas["AudienceGroup"]["properties"]["kind"]["deprecated"] is True
    assert "deprecated" not in schemas["AudienceGroup"]["properties"]["type"]
    assert schemas["Audience"]["properties"]["member_count"]["deprecated"] is True
    assert schemas["RefreshLog"]["properties"]["member_count"]["deprecated"] is True
