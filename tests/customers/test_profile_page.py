"""The customer's admin page: balance over time, tier and tier history, latest transactions,
audiences, groups and memberships, all on the profile page."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from audiences import services as audience_services
from loyalty import ledger
from loyalty import services as loyalty_services
from loyalty.models import PointsAccount, PointsTransaction
from loyalty.profile_page import balance_per_day
from memberships import services as membership_services
from organizations.models import Role
from tests.factories import (
    CustomerProfileFactory,
    LoyaltyMembershipFactory,
    LoyaltyProgramFactory,
    MembersGroupFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(organization):
    program = LoyaltyProgramFactory(organization=organization, name="Coffee Club")
    structure = loyalty_services.create_tier_structure(
        program=program, data={"name": "L"},
        tiers=[{"name": "Bronze", "order": 1, "min_points": 0, "max_points": 99},
               {"name": "Gold", "order": 2, "min_points": 100}],
    )  # fmt: skip
    loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    profile = CustomerProfileFactory(organization=organization, integration_id="ada")
    ledger.earn_points(program=program, profile=profile, amount=150, reason="Latte week")
    ledger.spend_points(program=program, profile=profile, amount=30, reason="Free cake")
    account = PointsAccount.objects.get(profile=profile, subledger_id="")
    PointsTransaction.objects.create(
        organization=organization, program=program, account=account, amount=40,
        reason="Old visit", created_at=timezone.now() - dt.timedelta(days=10),
    )  # fmt: skip
    audience = audience_services.create_audience(organization=organization, data={"name": "VIP"})
    audience_services.add_members(audience=audience, integration_ids=["ada"])
    group = MembersGroupFactory(organization=organization, name="Baristas")
    membership_services.add_group_members(group=group, identifier_type="id", identifiers=["ada"])
    LoyaltyMembershipFactory(organization=organization, program=program, profile=profile,
                             code="CLUB-7")  # fmt: skip
    return profile


def test_the_profile_page_shows_the_customer_whole(client, organization, ada, staff_user_factory):
    client.force_login(staff_user_factory(organization, role=Role.VIEWER))
    page = client.get(f"/admin/customers/customerprofile/{ada.pk}/change/").content.decode()
    assert "Loyalty: Coffee Club" in page
    assert re.search(r'class="profile-tier">Gold<', page)
    history = re.search(r'class="profile-tier-history".*?</table>', page, re.S).group(0)
    assert "<td>Gold</td>" in history and "Structure activated" in history
    transactions = re.search(r'class="profile-transactions".*?</table>', page, re.S).group(0)
    assert transactions.index("Free cake") < transactions.index("Latte week")  # newest first
    assert re.search(r'<polyline points="[\d., ]+"/>', page)  # the balance chart
    assert 'data-series="Balance"' in page
    assert "VIP" in page and "Baristas" in page and "CLUB-7" in page


def test_another_organizations_staff_cannot_open_it(client, other_organization, ada,
                                                    staff_user_factory):  # fmt: skip
    client.force_login(staff_user_factory(other_organization, role=Role.OWNER))
    response = client.get(f"/admin/customers/customerprofile/{ada.pk}/change/")
    assert response.status_code == 302  # the admin's "does not exist" redirect to the index
    assert "Coffee Club" not in client.get(response.url).content.decode()


def test_balance_per_day_is_a_running_sum(ada):
    account = PointsAccount.objects.get(profile=ada, subledger_id="")
    days = balance_per_day(account, days=12)
    assert [d.balance for d in days][:3] == [0, 40, 40]  # the old visit, ten days ago
    assert days[-1].balance == 40 + 150 - 30
