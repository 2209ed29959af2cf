"""CSV downloads: an audience's and a group's members, memberships and the ledger, streamed,
with formula cells escaped, tenant-scoped, and errors still JSON."""

import csv
import io

import pytest

from audiences import services as audience_services
from core.csv_export import CHUNK_ROWS, CsvExport, safe_cell
from loyalty import ledger
from memberships import services as membership_services
from tests.factories import (
    CustomerProfileFactory,
    LoyaltyMembershipFactory,
    LoyaltyProgramFactory,
    MembersGroupFactory,
)

pytestmark = pytest.mark.django_db


def download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+44 7700", "'+44 7700"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        (-50, -50),  # a number is not a formula
        (None, ""),
    ],
)
def test_cells_that_would_run_as_a_formula_are_escaped(value, cell):
    assert safe_cell(value) == cell


def test_a_large_export_is_written_in_chunks():
    rows = ((i, f"name {i}") for i in range(CHUNK_ROWS * 3 + 5))
    chunks = list(CsvExport("x.csv", ("id", "name"), rows).lines())
    assert len(chunks) == 1 + 4  # header, three full chunks, the rest
    assert sum(chunk.count("\r\n") for chunk in chunks) == CHUNK_ROWS * 3 + 6


def test_audience_members_download(api, other_api, organization):
    audience = audience_services.create_audience(organization=organization, data={"name": "VIP"})
    CustomerProfileFactory(organization=organization, integration_id="ada", first_name="=1+1")
    CustomerProfileFactory(organization=organization, integration_id="bob", first_name="Bob")
    CustomerProfileFactory(organization=organization, integration_id="out")
    audience_services.add_members(audience=audience, integration_ids=["ada", "bob"])
    url = f"/api/v1/audiences/{audience.pk}/members.csv"
    rows = download(api, url)
    assert [(r["audience"], r["integration_id"], r["first_name"], r["source"]) for r in rows] == [
        ("VIP", "ada", "'=1+1", "api"),
        ("VIP", "bob", "Bob", "api"),
    ]
    as_csv = api.get(url, HTTP_ACCEPT="text/csv")
    assert as_csv.status_code == 200 and as_csv.streaming
    missing = other_api.get(url, HTTP_ACCEPT="text/csv")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_group_members_download(api, other_api, organization):
    group = MembersGroupFactory(organization=organization, name="Staff")
    CustomerProfileFactory(organization=organization, integration_id="ada", email="ada@x.io")
    membership_services.add_group_members(
        group=group, identifier_type="email", identifiers=["ada@x.io"]
    )
    url = f"/api/v1/member-groups/{group.pk}/members.csv"
    [row] = download(api, url)
    assert (row["group"], row["integration_id"], row["email"]) == ("Staff", "ada", "ada@x.io")
    assert other_api.get(url).status_code == 404


def test_memberships_download_takes_the_lists_filters(api, other_api, organization):
    club, other = (LoyaltyProgramFactory(organization=organization, name=n) for n in "AB")
    ada = CustomerProfileFactory(organization=organization, integration_id="ada")
    LoyaltyMembershipFactory(organization=organization, program=club, profile=ada, points=5)
    LoyaltyMembershipFactory(organization=organization, program=other, profile=ada, points=7)
    ledger.earn_points(program=club, profile=ada, amount=120)
    url = "/api/v1/loyalty-memberships/export.csv"
    assert len(download(api, url)) == 2
    [row] = download(api, url, program=str(club.pk))
    assert (row["program"], row["integration_id"], row["points"]) == ("A", "ada", "120")
    [row] = download(api, url, program=str(other.pk))
    assert row["points"] == "7"  # no ledger account: the stored points
    refused = api.get(url, {"colour": "red"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["attr"] == "colour"
    assert download(other_api, url) == []


def test_ledger_download_with_filters(api, other_api, organization):
    program = LoyaltyProgramFactory(organization=organization, name="Club")
    ada = CustomerProfileFactory(organization=organization, integration_id="ada")
    bob = CustomerProfileFactory(organization=organization, integration_id="bob")
    ledger.earn_points(program=program, profile=ada, amount=100, reason="=cmd|' /C calc'!A0")
    ledger.earn_points(program=program, profile=bob, amount=30, reason="Visit")
    ledger.spend_points(program=program, profile=ada, amount=40, reason="Coffee")
    url = f"/api/v1/loyalty-programs/{program.pk}/transactions.csv"
    rows = download(api, url)
    assert [(r["integration_id"], r["amount"], r["reason"]) for r in rows] == [
        ("ada", "100", "'=cmd|' /C calc'!A0"),
        ("bob", "30", "Visit"),
        ("ada", "-40", "Coffee"),
    ]
    assert [r["amount"] for r in download(api, url, profile="ada")] == ["100", "-40"]
    kinds = {r["kind"] for r in download(api, url, kind=rows[2]["kind"])}
    assert kinds == {rows[2]["kind"]}
    bad = api.get(url, {"kind": "nope"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "kind"
    empty = api.get(url, {"start_date": ""})  # as the contract run sent it
    assert empty.status_code == 400 and empty.json()["errors"][0]["attr"] == "start_date"
    assert other_api.get(url).status_code == 404


def test_imports_keep_formula_cells_as_they_are(api, organization, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from audiences import imports
    from customers.models import CustomerProfile

    settings.MEDIA_ROOT = tmp_path
    audience = audience_services.create_audience(organization=organization, data={"name": "I"})
    started = imports.start_import(
        audience=audience,
        uploaded_file=SimpleUploadedFile("c.csv", b"integration_id,first_name\nada,=1+1\n"),
    )
    imports.run_import(import_id=started.pk)
    assert CustomerProfile.objects.get(integration_id="ada").first_name == "=1+1"
