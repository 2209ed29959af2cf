"""CSV imports into audiences: good files, every kind of bad row, unreadable files, BOM and
semicolons, duplicates, replace mode, cancel, crash and resume."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audiences import imports, services
from audiences.imports import runner
from audiences.models import AudienceImport, AudienceImportSeen, AudienceMembership
from customers.models import CustomerProfile
from customers.services import merge_attributes
from tests.factories import CustomerProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def audience(organization):
    return services.create_audience(organization=organization, data={"name": "Imported"})


def upload(audience, text: str | bytes, mode="add", name="customers.csv"):
    data = text.encode() if isinstance(text, str) else text
    with pytest.MonkeyPatch.context() as patch:  # create without running; tests run it
        patch.setattr("audiences.tasks.run_import_task.delay", lambda *a, **k: None)
        return imports.start_import(
            audience=audience, uploaded_file=SimpleUploadedFile(name, data), mode=mode
        )


def run(imp, **kwargs):
    return imports.run_import(import_id=imp.pk, **kwargs)


def members(audience):
    return set(audience.memberships.values_list("profile__integration_id", "source"))


# the API's own messages (customers.validators), which a bad row carries
API_EMAIL = "Enter a valid email address."
API_MSISDN = (
    "Enter a phone number in E.164 format: + then country code and number, digits only, "
    "e.g. +14155550123."
)

GOOD = (
    "Integration_ID,Email,msisdn,first_name,last_name,city,favourite drink\n"
    "c1,Ann@Example.com,+447700900001,Ann,Lee,Leeds,tea\n"
    "c2,bob@example.com,,Bob,,York,\n"
    'c3,,,"Cat, the second",,Hull,flat white\n'
)


def test_good_file(audience, organization):
    CustomerProfileFactory(
        organization=organization,
        integration_id="c2",
        first_name="Robert",
        attributes={"vip": True},
    )
    imp = run(upload(audience, GOOD))
    assert (imp.status, imp.total, imp.processed, imp.imported, imp.error_count) == (
        "completed",
        3,
        3,
        3,
        0,
    )
    assert imp.progress == 100
    assert members(audience) == {("c1", "import"), ("c2", "import"), ("c3", "import")}
    profiles = {p.integration_id: p for p in CustomerProfile.objects.all()}
    assert profiles["c1"].email == "ann@example.com"
    assert profiles["c1"].attributes == {"city": "Leeds", "favourite_drink": "tea"}
    assert profiles["c2"].first_name == "Bob"
    assert profiles["c2"].attributes == {"vip": True, "city": "York"}  # merged, empty cell kept
    assert profiles["c3"].first_name == "Cat, the second"
    audience.refresh_from_db()
    assert audience.member_count == 3
    assert not AudienceImportSeen.objects.exists()  # cleaned up


def test_every_kind_of_bad_row_is_reported_with_its_row_number(audience):
    text = (
        "integration_id,email,msisdn,city\n"
        "ok1,ok1@example.com,+447700900001,Leeds\n"  # row 2
        ",nobody@example.com,,Leeds\n"  # row 3: missing id
        "bad2,not-an-email,,Leeds\n"  # row 4
        "bad3,,0044 7700,Leeds\n"  # row 5
        "ok1,again@example.com,,Leeds\n"  # row 6: duplicate of row 2
        "bad4,x@example.com\n"  # row 7: too few columns
        "ok2,,,York\n"  # row 8
    )
    imp = run(upload(audience, text))
    assert imp.status == "completed"
    assert (imp.total, imp.processed, imp.imported, imp.error_count) == (7, 7, 2, 5)
    assert imp.errors == [
        {"row": 3, "issues": ["integration_id is missing."]},
        {"row": 4, "issues": [f"email “not-an-email”: {API_EMAIL}"]},
        {"row": 5, "issues": [f"msisdn “0044 7700”: {API_MSISDN}"]},
        {"row": 6, "issues": ["integration_id “ok1” already appears on row 2."]},
        {"row": 7, "issues": ["Expected 4 columns, found 2."]},
    ]
    assert members(audience) == {("ok1", "import"), ("ok2", "import")}
    assert CustomerProfile.objects.get(integration_id="ok1").email == "ok1@example.com"


def test_duplicates_across_chunks(audience):
    text = "integration_id\n" + "".join(f"c{i}\n" for i in range(10)) + "c3\nc9\n"
    imp = run(upload(audience, text), chunk_size=4)
    assert imp.imported == 10
    assert [e["row"] for e in imp.errors] == [12, 13]
    assert imp.errors[0]["issues"] == ["integration_id “c3” already appears on row 5."]


def test_only_the_first_1000_errors_are_kept_but_all_are_counted(audience):
    text = "integration_id,email\n" + "".join(f"c{i},bad\n" for i in range(1200))
    imp = run(upload(audience, text), chunk_size=500)
    assert imp.error_count == 1200
    assert len(imp.errors) == 1000
    assert imp.errors[-1]["row"] == 1001


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"email,city\nann@example.com,Leeds\n", "no integration_id column"),
        ("integration_id,city\nc1,Malm\xf6\n".encode("latin-1"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not"),
        (b"integration_id,bad column!\nc1,x\n", "cannot be attribute names"),
        (b"integration_id,city,City\nc1,a,b\n", "appears twice"),
    ],
)
def test_unreadable_files_fail_and_change_nothing(audience, content, message):
    imp = run(upload(audience, content))
    assert imp.status == "failed"
    assert message in imp.error_message
    assert not CustomerProfile.objects.exists()
    assert not AudienceMembership.objects.exists()


def test_bom_and_semicolons(audience):
    text = "\ufeffintegration_id;email;city\nc1;a@example.com;Leeds\nc2;;York\n"
    imp = run(upload(audience, text.encode("utf-8")))
    assert (imp.status, imp.imported, imp.error_count) == ("completed", 2, 0)
    assert CustomerProfile.objects.get(integration_id="c1").attributes == {"city": "Leeds"}


def test_replace_mode_removes_imported_members_not_in_the_file(audience, organization):
    run(upload(audience, "integration_id\nc1\nc2\nc3\n"))
    services.add_members(audience=audience, integration_ids=["c3"])  # now an api member? no:
    CustomerProfileFactory(organization=organization, integration_id="api-1")
    services.add_members(audience=audience, integration_ids=["api-1"])
    run(upload(audience, "integration_id,email\nc2,\nc4,bad-email\nc5,\n", mode="replace"))
    # c1 and c3 were imported and are not in the new file: gone; the api member stays; c4's row
    # was bad so it is not imported
    assert members(audience) == {("c2", "import"), ("c5", "import"), ("api-1", "api")}
    audience.refresh_from_db()
    assert audience.member_count == 3


def test_cancel_a_pending_import(audience):
    imp = upload(audience, GOOD)
    imports.cancel_import(audience_import=imp)
    assert run(imp).status == "canceled"
    assert not AudienceMembership.objects.exists()


def test_cancel_a_running_import_stops_after_the_current_chunk(audience):
    imp = upload(audience, "integration_id\n" + "".join(f"c{i}\n" for i in range(10)))

    def cancel_after_first(number):
        if number == 1:
            AudienceImport.objects.filter(pk=imp.pk).update(cancel_requested=True)

    imp = run(imp, chunk_size=4, after_chunk=cancel_after_first)
    assert imp.status == "canceled"
    assert imp.processed == 4
    assert audience.memberships.count() == 4


class WorkerDied(BaseException):
    """Stands for the process being killed: nothing catches it."""


def test_crash_after_a_chunk_then_resume_without_duplicates_or_gaps(audience):
    text = "integration_id,city\n" + "".join(f"c{i},Leeds\n" for i in range(10)) + "c2,York\n"
    imp = upload(audience, text)

    def crash_after_second(number):
        if number == 2:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        run(imp, chunk_size=4, after_chunk=crash_after_second)
    imp.refresh_from_db()
    assert (imp.status, imp.chunks_done, imp.processed) == ("running", 2, 8)
    imp = run(imp, chunk_size=4)  # the re-delivered task
    assert (imp.status, imp.processed, imp.imported, imp.error_count) == ("completed", 11, 10, 1)
    assert imp.errors == [{"row": 12, "issues": ["integration_id “c2” already appears on row 4."]}]
    assert audience.memberships.count() == 10
    assert CustomerProfile.objects.count() == 10
    assert run(imp).status == "completed"  # a finished import is left alone


def test_archived_audience_refuses_imports(audience):
    from core.errors import ConflictError

    services.update_audience(audience=audience, data={"archived": True})
    with pytest.raises(ConflictError):
        upload(audience, GOOD)


# -- API --------------------------------------------------------------------------------------


def test_upload_through_the_api_returns_202_and_the_import_url(
    api, audience, django_capture_on_commit_callbacks
):
    file = SimpleUploadedFile("people.csv", GOOD.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly in tests
        response = api.post(
            f"/api/v1/audiences/{audience.pk}/imports",
            {"file": file, "mode": "add"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    assert response["Location"].endswith(f"/api/v1/imports/{response.json()['id']}")
    assert response.json()["status"] == "pending"
    body = api.get(f"/api/v1/imports/{response.json()['id']}").json()
    assert (body["status"], body["total"], body["processed"], body["progress"]) == (
        "completed",
        3,
        3,
        100,
    )
    assert api.get("/api/v1/imports", {"audience": str(audience.pk)}).json()["results"][0]["id"]
    assert api.post(f"/api/v1/imports/{body['id']}/cancel").status_code == 409


def test_upload_needs_a_file_and_a_known_mode(api, audience):
    url = f"/api/v1/audiences/{audience.pk}/imports"
    assert api.post(url, {"mode": "add"}, format="multipart").status_code == 400
    file = SimpleUploadedFile("people.csv", GOOD.encode())
    response = api.post(url, {"file": file, "mode": "merge"}, format="multipart")
    assert response.status_code == 400
    assert not AudienceImport.objects.exists()


def test_another_organizations_import_is_404(api, other_organization):
    from tests.factories import AudienceImportFactory

    theirs = AudienceImportFactory(organization=other_organization)
    assert api.get(f"/api/v1/imports/{theirs.pk}").status_code == 404
    assert api.post(f"/api/v1/imports/{theirs.pk}/cancel").status_code == 404
    assert api.get("/api/v1/imports", {"audience": str(theirs.audience_id)}).json()["results"] == []


# -- edge cases found in review ---------------------------------------------------------------


def test_nul_bytes_in_a_cell_make_a_bad_row_not_a_stuck_import(audience):
    imp = run(upload(audience, b"integration_id,email\nc1,\x00bad\nc2,ok@example.com\n"))
    assert (imp.status, imp.imported) == ("completed", 1)
    assert imp.errors == [
        {"row": 2, "issues": ["The row contains characters that cannot be stored (e.g. NUL)."]}
    ]


def test_email_that_grows_when_lower_cased_is_a_bad_row(audience):
    text = "integration_id,email\nc1," + "İ" * 249 + "@x.co\nc2,ok@example.com\n"
    imp = run(upload(audience, text))
    assert (imp.status, imp.imported, imp.error_count) == ("completed", 1, 1)
    assert "longer than 254" in imp.errors[0]["issues"][0]


def test_line_separators_inside_cells_stay_in_the_cell(audience):
    imp = run(upload(audience, "integration_id,note\nc1,a\u2028b\x0cc\nc2,x\n\x1a"))
    assert (imp.total, imp.imported, imp.error_count) == (2, 2, 0)
    assert CustomerProfile.objects.get(integration_id="c1").attributes == {"note": "a\u2028b\x0cc"}


def test_too_many_attribute_columns_fail_the_file(audience):
    header = "integration_id," + ",".join(f"a{i}" for i in range(201))
    imp = run(upload(audience, header + "\nc1" + ",x" * 201 + "\n"))
    assert imp.status == "failed"
    assert "at most 200 attributes" in imp.error_message


def test_a_second_run_of_the_same_import_does_not_count_twice(audience):
    imp = upload(audience, "integration_id\n" + "".join(f"c{i}\n" for i in range(10)))

    def overlap(number):
        if number == 1:
            run(imp, chunk_size=4)  # a re-delivered task running alongside

    done = run(imp, chunk_size=4, after_chunk=overlap)
    done.refresh_from_db()
    assert (done.status, done.processed, done.imported, done.error_count) == (
        "completed",
        10,
        10,
        0,
    )
    assert audience.memberships.count() == 10


def test_replace_with_no_good_row_keeps_the_members(audience):
    run(upload(audience, "integration_id\nc1\nc2\n"))
    imp = run(upload(audience, "integration_id,email\nc3,bad\n", mode="replace"))
    assert imp.imported == 0
    assert members(audience) == {("c1", "import"), ("c2", "import")}


def test_an_unexpected_error_fails_the_import_instead_of_leaving_it_running(audience, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runner, "write_chunk", boom)
    imp = run(upload(audience, GOOD))
    assert imp.status == "failed"
    assert "RuntimeError" in imp.error_message
    assert not AudienceImportSeen.objects.exists()


@pytest.mark.postgres
def test_a_large_import_refreshes_the_planner_statistics(audience, monkeypatch):
    """Without it, lookups right after a big import are planned for the table as it was."""
    from django.db import connection

    def planner_row_estimate():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [CustomerProfile._meta.db_table],
            )
            return cursor.fetchone()[0]

    monkeypatch.setattr(runner, "ANALYZE_AFTER", 3)
    stale = planner_row_estimate()  # whatever an earlier ANALYZE saw
    already = 5 if stale != 8 else 6  # so that the real count differs from it
    CustomerProfileFactory.create_batch(already, organization=audience.organization)
    imp = run(upload(audience, "integration_id\nbig1\nbig2\nbig3\n"))
    assert imp.imported == 3
    assert planner_row_estimate() == CustomerProfile.objects.count() == already + 3


# -- one home per profile rule (customers.validators, customers.services) -----------------------

PROFILES = "/api/v1/customer-profiles"


def api_message(response, attr: str | None) -> str:
    assert response.status_code == 400, response.content
    [error] = [e for e in response.json()["errors"] if e["attr"] == attr]
    return error["detail"]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("email", "a..b@x.de"),  # issue 13: imported, such a profile could never be PATCHed
        ("email", "ann@-bad.de"),
        ("email", "ann@x..de"),
        ("msisdn", "0044 7700"),
        ("msisdn", "+0123"),
    ],
)
def test_a_row_the_api_refuses_is_a_bad_row_with_the_apis_message(api, audience, column, value):
    message = api_message(api.put(f"{PROFILES}/c9", {column: value}), column)
    imp = run(upload(audience, f"integration_id,{column}\nc1,{value}\nc2,\n"))
    assert (imp.status, imp.imported, imp.error_count) == ("completed", 1, 1)
    assert imp.errors == [{"row": 2, "issues": [f"{column} “{value}”: {message}"]}]
    assert not CustomerProfile.objects.filter(integration_id="c1").exists()


def test_a_huge_number_in_a_cell_is_imported_as_text_and_the_profile_stays_editable(api, audience):
    """2**70 as a JSON number is refused by the API (customers.validators); a cell is text,
    and the profile it lands in can still be PATCHed."""
    imp = run(upload(audience, f"integration_id,points\nc1,{2**70}\n"))
    assert (imp.status, imp.imported, imp.error_count) == ("completed", 1, 0)
    assert CustomerProfile.objects.get(integration_id="c1").attributes == {"points": str(2**70)}
    response = api.patch(f"{PROFILES}/c1", {"first_name": "Ann"})
    assert response.status_code == 200, response.content
    assert response.json()["attributes"] == {"points": str(2**70)}


def test_the_api_members_and_imports_merge_attributes_the_same_way(api, organization, audience):
    start = {"prefs": {"x": 1}, "keep": 1, "city": "Leeds"}
    changes = {"city": "York", "drink": "tea"}  # what a CSV row can send: text
    expected = merge_attributes(start, changes)
    assert expected == {"prefs": {"x": 1}, "keep": 1, "city": "York", "drink": "tea"}
    profiles = [
        CustomerProfileFactory(organization=organization, integration_id=i, attributes=start)
        for i in ("by-api", "by-members", "by-import")
    ]
    assert api.patch(f"{PROFILES}/by-api", {"attributes": changes}).status_code == 200
    services.add_members(audience=audience, integration_ids=["by-members"])
    services.set_member_attributes(audience=audience, attributes=changes)
    run(upload(audience, "integration_id,city,drink\nby-import,York,tea\n"))
    for profile in profiles:
        profile.refresh_from_db()
        assert profile.attributes == expected, profile.integration_id


def test_a_finished_import_can_be_archived_and_shows_who_started_it(api, organization):
    audience = services.create_audience(organization=organization, data={"name": "A"})
    started = api.post(
        f"/api/v1/audiences/{audience.pk}/imports",
        {"file": SimpleUploadedFile("c.csv", b"integration_id\nc1\n")},
        format="multipart",
    )
    assert started.status_code == 202, started.content
    imp = AudienceImport.objects.get()
    url = f"/api/v1/imports/{imp.pk}"
    assert imp.status == "pending"  # queued after the commit, which a test does not reach
    assert api.post(f"{url}/archive").status_code == 409  # let it finish first
    run(imp)
    read = api.get(url).json()
    assert read["created_by"] == api.api_key.name and read["archived"] is False
    assert api.post(f"{url}/archive").json()["archived"] is True
    assert api.post(f"{url}/unarchive").json()["archived"] is False
