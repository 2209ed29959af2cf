"""CSV downloads in the admin: a list's button (its filters and search, every page) and the
action on selected rows, scoped to the user's organizations."""

import csv
import io

import pytest

from audiences import services as audience_services
from loyalty import ledger
from loyalty.models import PointsTransaction
from memberships import services as membership_services
from organizations.models import Role
from tests.factories import (
    CustomerProfileFactory,
    LoyaltyMembershipFactory,
    LoyaltyProgramFactory,
    MembersGroupFactory,
)

pytestmark = pytest.mark.django_db
LEDGER = "/admin/loyalty/pointstransaction/"


@pytest.fixture
def viewer(client, organization, staff_user_factory):
    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    return client


def rows_of(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_ledger_list_downloads_what_it_shows(viewer, organization, other_organization):
    program = LoyaltyProgramFactory(organization=organization, name="Club")
    ada = CustomerProfileFactory(organization=organization, integration_id="ada")
    ledger.earn_points(program=program, profile=ada, amount=50, reason="@risky")
    ledger.spend_points(program=program, profile=ada, amount=20, reason="Coffee")
    theirs = LoyaltyProgramFactory(organization=other_organization)
    bob = CustomerProfileFactory(organization=other_organization, integration_id="bob")
    ledger.earn_points(program=theirs, profile=bob, amount=99)

    page = viewer.get(LEDGER, {"kind__exact": "redeem"}).content.decode()
    assert f'href="{LEDGER}download.csv?kind__exact=redeem"' in page
    assert [r["amount"] for r in rows_of(viewer.get(f"{LEDGER}download.csv"))] == ["50", "-20"]
    [spent] = rows_of(viewer.get(f"{LEDGER}download.csv", {"kind__exact": "redeem"}))
    assert (spent["integration_id"], spent["reason"]) == ("ada", "Coffee")
    [earned] = rows_of(viewer.get(f"{LEDGER}download.csv", {"q": "ada", "kind__exact": "manual"}))
    assert earned["reason"] == "'@risky"
    assert viewer.get(f"{LEDGER}download.csv", {"nope__exact": "x"}).status_code == 400

    chosen = PointsTransaction.objects.filter(amount=50)
    selected = viewer.post(
        LEDGER,
        {"action": "download_csv", "_selected_action": [str(t.pk) for t in chosen]},
    )
    assert [r["amount"] for r in rows_of(selected)] == ["50"]
    # another organization's row cannot be selected into the file
    foreign = viewer.post(
        LEDGER,
        {"action": "download_csv",
         "_selected_action": [str(PointsTransaction.objects.get(amount=99).pk)]},
    )  # fmt: skip
    assert rows_of(foreign) == []


def test_audience_group_and_membership_lists_download(viewer, organization):
    ada = CustomerProfileFactory(organization=organization, integration_id="ada", email="a@x.io")
    audience = audience_services.create_audience(organization=organization, data={"name": "VIP"})
    audience_services.add_members(audience=audience, integration_ids=["ada"])
    group = MembersGroupFactory(organization=organization, name="Staff")
    membership_services.add_group_members(
        group=group, identifier_type="email", identifiers=["a@x.io"]
    )
    LoyaltyMembershipFactory(organization=organization, profile=ada, code="=HACK")

    [member] = rows_of(viewer.get("/admin/audiences/audience/download.csv"))
    assert (member["audience"], member["integration_id"]) == ("VIP", "ada")
    [member] = rows_of(viewer.get("/admin/memberships/membersgroup/download.csv"))
    assert (member["group"], member["email"]) == ("Staff", "a@x.io")
    [membership] = rows_of(viewer.get("/admin/memberships/loyaltymembership/download.csv"))
    assert membership["code"] == "'=HACK"
    page = viewer.get("/admin/audiences/audience/").content.decode()
    assert "Download members CSV" in page
