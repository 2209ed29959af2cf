"""The demo's Coffee Club earns by its two rules: 1 point per 1.00, and double for Gold."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns import services
from loyalty.models import LoyaltyProgram, TierAssignment
from organizations.models import Organization

pytestmark = pytest.mark.django_db


def test_the_demo_program_earns_per_amount_and_double_for_gold():
    call_command("seed_demo", "--profiles", "30", stdout=StringIO())
    call_command("seed_demo", "--profiles", "30", stdout=StringIO())  # re-runnable
    organization = Organization.objects.get(slug="demo")
    program = LoyaltyProgram.objects.get(organization=organization, name="Coffee Club")
    assert program.earning_rules.count() == 2
    held = TierAssignment.objects.filter(account__program=program, account__subledger_id="")
    gold = held.filter(tier__name="Gold").select_related("account__profile").first()
    other = held.exclude(tier__name="Gold").select_related("account__profile").first()
    cart = [{"sku": "latte", "quantity": 3, "price": "3.40"}]  # 10.20: 10 points

    def earned(profile, session_id):
        result = services.update_customer_session(
            organization=organization,
            session_id=session_id,
            data={"profile": profile.integration_id, "state": "closed", "cart_items": cart},
            dry=True,
        )
        return [(e.rule_name, e.amount) for e in result.effects]

    assert earned(gold.account.profile, "gold") == [
        ("1 point per 1.00 spent", 10),
        ("Double points for Gold", 10),
    ]
    assert earned(other.account.profile, "other") == [("1 point per 1.00 spent", 10)]
