"""The admin index is the loyalty dashboard of one of the user's organizations: members per
tier, points per day, the largest audiences, running imports and tier changes, drawn as SVG
with the figures in it, and nothing of another organization."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audiences import services as audience_services
from audiences.models import AudienceImport, AudienceRefresh
from core import charts
from loyalty import ledger
from loyalty import services as loyalty_services
from loyalty.models import PointsAccount, PointsTransaction, TierChange
from organizations.models import Role
from tests.factories import CustomerProfileFactory, LoyaltyProgramFactory, OrganizationMemberFactory

pytestmark = pytest.mark.django_db


def club_with_tiers(organization, name="Coffee Club"):
    program = LoyaltyProgramFactory(organization=organization, name=name)
    structure = loyalty_services.create_tier_structure(
        program=program,
        data={"name": "Ladder"},
        tiers=[
            {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 99},
            {"name": "Silver", "order": 2, "min_points": 100, "max_points": 499},
            {"name": "Gold", "order": 3, "min_points": 500},
        ],
    )
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    return program


@pytest.fixture
def viewer(client, organization, staff_user_factory):
    client.user = staff_user_factory(organization, role=Role.VIEWER)
    client.force_login(client.user)
    return client


def bars(page: str) -> dict[str, int]:
    return {
        label: int(value)
        for label, value in re.findall(r'class="bar" data-label="([^"]+)" data-value="(\d+)"', page)
    }


def totals(page: str) -> dict[str, int]:
    return {
        name: int(total)
        for name, total in re.findall(r'data-series="(\w+)" data-total="(\d+)"', page)
    }


def test_the_dashboard_draws_the_organizations_figures(viewer, organization, other_organization):
    program = club_with_tiers(organization)
    people = [CustomerProfileFactory(organization=organization) for _ in range(4)]
    for profile, points in zip(people, (20, 150, 200, 700), strict=True):
        ledger.earn_points(program=program, profile=profile, amount=points)
    ledger.spend_points(program=program, profile=people[3], amount=300)
    account = PointsAccount.objects.get(profile=people[0], subledger_id="")
    TierChange.objects.create(
        organization=organization, program=program, account=account, reason="downgrade",
        structure=program.tier_structures.get(), points=0,
    )  # fmt: skip
    TierChange.objects.create(  # too old to count
        organization=organization, program=program, account=account, reason="downgrade",
        structure=program.tier_structures.get(), points=0,
        created_at=timezone.now() - dt.timedelta(days=8),
    )  # fmt: skip
    PointsTransaction.objects.create(
        organization=organization, program=program, account=account, amount=-5,
        kind=PointsTransaction.Kind.EXPIRATION,
    )  # fmt: skip
    audience = audience_services.create_audience(organization=organization, data={"name": "VIP"})
    AudienceRefresh.objects.create(
        audience=audience, status="completed", member_count=1,
        started_at=timezone.now() - dt.timedelta(days=8),
    )  # fmt: skip
    audience_services.add_members(
        audience=audience, integration_ids=[p.integration_id for p in people[:3]]
    )
    running = AudienceImport.objects.create(
        organization=organization,
        audience=audience,
        original_name="june.csv",
        status="running",
        total=200,
        processed=50,
    )
    # another organization's figures never show
    theirs = club_with_tiers(other_organization, name="Rival Club")
    ledger.earn_points(
        program=theirs, profile=CustomerProfileFactory(organization=other_organization),
        amount=9999,
    )  # fmt: skip

    page = viewer.get("/admin/").content.decode()
    assert bars(page) == {"Bronze": 1, "Silver": 2, "Gold": 1}  # the engine keeps Gold
    assert "Rival Club" not in page
    assert totals(page) == {"Issued": 1070, "Redeemed": 300, "Expired": 5}
    assert re.search(r'<polyline points="[\d., ]+"/>', page)
    assert 'href="/admin/audiences/audience/' in page and "VIP" in page
    assert "▲ 2" in page  # 3 members now, 1 a week ago
    assert f"/admin/audiences/audienceimport/{running.pk}/progress/" in page
    assert "25% (50 of 200)" in page
    changes = re.search(r'id="dashboard-tier-changes".*?</section>', page, re.S).group(0)
    assert re.search(r'trend-up">4<', changes) and re.search(r'trend-down">1<', changes)


def test_the_picker_shows_only_the_users_organizations(client, organization, other_organization):
    from tests.factories import OrganizationFactory, UserFactory

    club_with_tiers(organization, name="Acme Club")
    club_with_tiers(other_organization, name="Rival Club")
    third = OrganizationFactory(name="Third", slug="third")
    club_with_tiers(third, name="Third Club")
    user = UserFactory()
    OrganizationMemberFactory(organization=organization, user=user, role=Role.VIEWER)
    OrganizationMemberFactory(organization=other_organization, user=user, role=Role.VIEWER)
    client.force_login(user)

    page = client.get("/admin/").content.decode()
    assert 'name="organization"' in page and "Third" not in page
    assert "Acme Club" in page and "Rival Club" not in page
    assert "Rival Club" in client.get("/admin/", {"organization": "rival"}).content.decode()
    outside = client.get("/admin/", {"organization": "third"}).content.decode()
    assert "Third Club" not in outside and "Acme Club" in outside  # the first of theirs


def test_the_dashboard_costs_the_same_queries_whatever_the_data(viewer, organization):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert viewer.get("/admin/").status_code == 200
        return len(queries)

    program = club_with_tiers(organization)
    small = count()
    for _ in range(5):
        profile = CustomerProfileFactory(organization=organization)
        ledger.earn_points(program=program, profile=profile, amount=120)
        audience_services.create_audience(organization=organization, data={"name": f"A{_}"})
    assert count() == small


def test_chart_geometry():
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 12, 450, 1001)] == [1, 1, 5, 10, 20, 500, 2000]
    chart = charts.bar_chart("x", [("A", 10), ("B", 5)])
    tall, short = chart.bars
    assert tall.height == pytest.approx(2 * short.height)
    assert tall.y + tall.height == pytest.approx(chart.baseline)
    assert [value for value, _ in charts.ticks(2)] == [0, 1, 2]  # no repeated labels
    assert [value for value, _ in charts.ticks(500)] == [0, 125, 250, 375, 500]
