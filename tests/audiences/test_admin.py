"""Staff pages for audiences."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audiences import services
from audiences.models import Audience, AudienceGroup, AudienceRule
from loyalty import services as loyalty_services
from organizations.models import Role
from tests.factories import (
    AudienceFactory,
    AudienceGroupFactory,
    AudienceImportFactory,
    CustomerProfileFactory,
)

pytestmark = pytest.mark.django_db

AUDIENCES = "/admin/audiences/audience/"


@pytest.fixture
def editor(client, organization, staff_user_factory):
    client.user = staff_user_factory(organization, role=Role.EDITOR)
    client.force_login(client.user)
    return client


def audience_form(organization, rules, **overrides):
    data = {
        "organization": str(organization.pk),
        "name": "Leeds regulars",
        "description": "",
        "icon_name": "",
        "metadata": "{}",
        "refresh_interval_seconds": "",
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "sync_sources-TOTAL_FORMS": "0",
        "sync_sources-INITIAL_FORMS": "0",
        "sync_sources-MIN_NUM_FORMS": "0",
        "sync_sources-MAX_NUM_FORMS": "1000",
        "refreshes-TOTAL_FORMS": "0",
        "refreshes-INITIAL_FORMS": "0",
        "refreshes-MIN_NUM_FORMS": "0",
        "refreshes-MAX_NUM_FORMS": "0",
    }
    for i, rule in enumerate(rules):
        for key, value in rule.items():
            data[f"rules-{i}-{key}"] = value
    data.update(overrides)
    return data


def test_create_audience_with_rules_inline(editor, organization):
    rules = [
        {
            "condition_group": "0",
            "position": "0",
            "field": "attributes.city",
            "operator": "eq",
            "values": '["Leeds"]',
        },
    ]
    response = editor.post(f"{AUDIENCES}add/", audience_form(organization, rules))
    assert response.status_code == 302, response.content.decode()[:2000]
    audience = Audience.objects.get()
    assert list(audience.rules.values_list("field", "operator", "values")) == [
        ("attributes.city", "eq", ["Leeds"])
    ]
    # the acting staff user is recorded (organizations.tenancy.Actor, as the API records it)
    assert audience.created_by.username == audience.updated_by.username == editor.user.username


def test_bad_rule_is_shown_on_the_page(editor, organization):
    rules = [
        {
            "condition_group": "0",
            "position": "0",
            "field": "attributes.city",
            "operator": "in",
            "values": "[]",
        },
    ]
    response = editor.post(f"{AUDIENCES}add/", audience_form(organization, rules))
    assert response.status_code == 200
    assert "Rule 1 (attributes.city in): needs 1 to 1,000 values." in response.content.decode()
    assert not Audience.objects.exists()


def test_change_page_shows_preview_refresh_log_and_members_link(editor, organization):
    CustomerProfileFactory(organization=organization, integration_id="ann", attributes={"c": 1})
    audience = services.create_audience(
        organization=organization,
        data={"name": "C"},
        rules=[{"field": "attributes.c", "operator": "eq", "values": [1]}],
    )
    services.refresh_audience(audience_id=audience.pk)
    page = editor.get(f"{AUDIENCES}{audience.pk}/change/").content.decode()
    assert "1 profiles match now." in page
    assert "refresh log" in page.lower()
    assert f"audience__id__exact={audience.pk}" in page
    members = editor.get(
        "/admin/audiences/audiencemembership/", {"audience__id__exact": audience.pk, "q": "ann"}
    ).content.decode()
    assert "ann" in members


def test_refresh_now_action(editor, organization, django_capture_on_commit_callbacks):
    CustomerProfileFactory(organization=organization, integration_id="ann")
    audience = services.create_audience(
        organization=organization,
        data={"name": "All"},
        rules=[{"field": "integration_id", "operator": "exists", "values": []}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            AUDIENCES,
            {"action": "refresh_now", "_selected_action": [str(audience.pk)]},
            follow=True,
        )
    assert "1 audience refresh(es) queued." in response.content.decode()
    assert Audience.objects.get().member_count == 1


def test_loyalty_tiers_form(editor, organization):
    program = loyalty_services.create_loyalty_program(organization=organization, data={"name": "P"})
    url = "/admin/audiences/audiencegroup/loyalty-tiers/"
    assert (
        "Create loyalty tier audiences"
        in editor.get("/admin/audiences/audiencegroup/").content.decode()
    )
    bad = editor.post(
        url,
        {"group_name": "Tiers", "program": str(program.pk), "tiers": "Bronze, 0, 100\nSilver, 100"},
    )
    assert "overlaps “Bronze”" in bad.content.decode()
    assert not AudienceGroup.objects.exists()
    good = editor.post(
        url,
        {
            "group_name": "Tiers",
            "program": str(program.pk),
            "tiers": "Bronze, 0, 99\nSilver, 100,, star",
        },
    )
    assert good.status_code == 302
    assert list(
        Audience.objects.order_by("order").values_list("name", "start_value", "end_value")
    ) == [
        ("Bronze", 0, 99),
        ("Silver", 100, None),
    ]
    assert AudienceRule.objects.count() == 2


def test_other_organizations_audiences_are_invisible(editor, other_organization):
    AudienceFactory(organization=other_organization, name="Their secret audience")
    assert "Their secret audience" not in editor.get(AUDIENCES).content.decode()
    assert (
        "Their secret audience"
        not in editor.get("/admin/audiences/audiencemembership/").content.decode()
    )


def test_upload_a_csv_from_the_audience_page_and_follow_it(
    editor, organization, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audiences.models import AudienceImport

    settings.MEDIA_ROOT = tmp_path
    audience = services.create_audience(organization=organization, data={"name": "Imported"})
    page = editor.get(f"{AUDIENCES}{audience.pk}/change/").content.decode()
    assert "Import a CSV" in page
    csv_file = SimpleUploadedFile("people.csv", b"integration_id,email\nc1,a@example.com\nc2,bad\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            f"{AUDIENCES}{audience.pk}/import/", {"file": csv_file, "mode": "add"}
        )
    imp = AudienceImport.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/audienceimport/{imp.pk}/change/")
    page = editor.get(response["Location"]).content.decode()
    assert "import-progress" in page and "Enter a valid email address." in page
    progress = editor.get(f"/admin/audiences/audienceimport/{imp.pk}/progress/").json()
    assert progress == {
        "status": "completed",
        "progress": 100,
        "processed": 2,
        "total": 2,
        "error_count": 1,
        "finished": True,
    }


def test_viewer_cannot_upload(client, organization, staff_user_factory):
    audience = services.create_audience(organization=organization, data={"name": "A"})
    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    assert client.get(f"{AUDIENCES}{audience.pk}/import/").status_code == 403


def test_sync_sources_are_saved_inline_in_the_audiences_organization(editor, organization):
    from audiences.models import SyncSource

    data = audience_form(
        organization,
        [],
        **{
            "sync_sources-TOTAL_FORMS": "1",
            "sync_sources-0-vendor": "braze",
            "sync_sources-0-external_id": "seg-42",
            "sync_sources-0-sync_status": "PENDING",
            "sync_sources-0-is_primary": "on",
        },
    )
    response = editor.post(f"{AUDIENCES}add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    source = SyncSource.objects.get()
    assert (source.vendor, source.external_id, source.is_primary) == ("braze", "seg-42", True)
    assert source.organization_id == organization.pk
    assert source.created_by == source.updated_by == editor.user


def test_a_sync_source_shows_who_made_and_changed_it(editor, organization, staff_user_factory, api):
    from audiences.models import SyncSource

    sources = {
        "sync_sources-TOTAL_FORMS": "1",
        "sync_sources-0-vendor": "braze",
        "sync_sources-0-external_id": "seg-42",
        "sync_sources-0-sync_status": "PENDING",
    }
    editor.post(f"{AUDIENCES}add/", audience_form(organization, [], **sources))
    source = SyncSource.objects.get()
    second = staff_user_factory(organization, role=Role.EDITOR, username="second")
    editor.force_login(second)
    changed = editor.post(
        f"{AUDIENCES}{source.audience_id}/change/",
        audience_form(
            organization,
            [],
            **{**sources, "sync_sources-INITIAL_FORMS": "1", "sync_sources-0-id": str(source.pk),
               "sync_sources-0-audience": str(source.audience_id),
               "sync_sources-0-sync_status": "SYNCED"},
        ),
    )  # fmt: skip
    assert changed.status_code == 302, changed.content.decode()[:2000]
    [shown] = api.get(f"/api/v1/audiences/{source.audience_id}").json()["sync_sources"]
    assert shown["sync_status"] == "SYNCED"
    assert (shown["created_by"], shown["updated_by"]) == (editor.user.username, "second")


def test_a_csv_over_the_row_limit_is_refused_on_the_upload_form(
    editor, organization, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audiences.models import AudienceImport

    settings.MEDIA_ROOT = tmp_path
    settings.AUDIENCE_IMPORT_MAX_ROWS = 1
    audience = services.create_audience(organization=organization, data={"name": "Imported"})
    csv_file = SimpleUploadedFile("people.csv", b"integration_id\nc1\nc2\n")
    response = editor.post(f"{AUDIENCES}{audience.pk}/import/", {"file": csv_file, "mode": "add"})
    assert response.status_code == 200
    assert "At most 1 row per import" in response.content.decode()
    assert not AudienceImport.objects.exists()
    assert not list(tmp_path.rglob("*.csv"))  # nothing stored


def test_removing_members_in_the_admin_recounts_the_audience(editor, organization):
    from audiences.models import AudienceMembership

    audience = services.create_audience(organization=organization, data={"name": "Hand-picked"})
    profiles = CustomerProfileFactory.create_batch(3, organization=organization)
    services.add_members(audience=audience, integration_ids=[p.integration_id for p in profiles])
    audience.refresh_from_db()
    assert audience.member_count == 3
    chosen = list(AudienceMembership.objects.filter(audience=audience)[:2])
    response = editor.post(
        "/admin/audiences/audiencemembership/",
        {"action": "delete_selected", "_selected_action": [m.pk for m in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    audience.refresh_from_db()
    assert audience.member_count == 1 == audience.memberships.count()


# -- list pages: a fixed number of queries, whatever the number of rows ------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _audience_rows(organization, count):
    for _ in range(count):  # each with its own group, and a member
        audience = AudienceFactory(
            organization=organization, group=AudienceGroupFactory(organization=organization)
        )
        profile = CustomerProfileFactory(organization=organization)
        services.add_members(audience=audience, integration_ids=[profile.integration_id])


@pytest.mark.parametrize(
    "url",
    [
        AUDIENCES,  # the group column
        "/admin/audiences/audiencegroup/",  # the audience count column
        "/admin/audiences/audiencemembership/",
        "/admin/audiences/audienceimport/",
    ],
)
def test_list_pages_do_not_query_per_row(editor, organization, url, django_assert_max_num_queries):
    _audience_rows(organization, 1)
    AudienceImportFactory(organization=organization, audience=Audience.objects.get())
    one_row = _queries(editor, url)
    _audience_rows(organization, 29)
    for audience in Audience.objects.all()[:29]:
        AudienceImportFactory(organization=organization, audience=audience)
    with django_assert_max_num_queries(one_row):
        response = editor.get(url)
    assert response.context["cl"].result_count == 30


def test_the_groups_list_counts_each_groups_audiences(editor, organization):
    full = AudienceGroupFactory(organization=organization, name="Full")
    AudienceGroupFactory(organization=organization, name="Empty")
    AudienceFactory.create_batch(3, organization=organization, group=full)
    page = editor.get("/admin/audiences/audiencegroup/?o=3").content.decode()  # by count
    assert re.findall(r'class="field-audience_count">(\d+)<', page) == ["0", "3"]


def test_a_counted_group_still_opens_and_deletes(editor, organization):
    group = AudienceGroupFactory(organization=organization, name="Full")
    audience = AudienceFactory(organization=organization, group=group)
    groups = "/admin/audiences/audiencegroup/"
    assert editor.get(f"{groups}{group.pk}/change/").status_code == 200
    response = editor.post(
        groups, {"action": "delete_selected", "_selected_action": [group.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not AudienceGroup.objects.exists()
    audience.refresh_from_db()
    assert audience.group is None
