"""The points ledger: earn, spend, pending and expiring lots, allocations, balances."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import ConflictError
from loyalty import ledger, selectors, services, tasks
from loyalty.models import PointsAccount, PointsAllocation, PointsLot, PointsTransaction
from tests.factories import CustomerProfileFactory, LoyaltyCardFactory

from .conftest import T0, days

pytestmark = pytest.mark.django_db


def balance(program, profile=None, at=None, **kwargs):
    owner = {"profile": profile} if profile is not None else kwargs
    return selectors.balances(program=program, at=at, **owner)["balance"]


def cached(program, profile):
    account = PointsAccount.objects.get(program=program, profile=profile, subledger_id="")
    return {
        "active": account.active_points,
        "pending": account.pending_points,
        "expired": account.expired_points,
        "spent": account.spent_points,
    }


def without_tentative(b):
    return {k: v for k, v in b.items() if k != "tentative"}


def test_earn_then_spend_consumes_soonest_expiring_lot_first(program, profile):
    late = ledger.earn_points(
        program=program, profile=profile, amount=100, expires_at=T0 + days(60), now=T0
    )
    soon = ledger.earn_points(
        program=program, profile=profile, amount=50, expires_at=T0 + days(5), now=T0
    )
    middle = ledger.earn_points(program=program, profile=profile, amount=10, now=T0)  # +30 days
    spend = ledger.spend_points(program=program, profile=profile, amount=70, now=T0 + days(1))

    allocations = {a.lot.transaction_id: a.amount for a in spend.allocations.all()}
    assert allocations == {soon.id: 50, middle.id: 10, late.id: 10}
    assert PointsLot.objects.get(transaction=late).remaining == 90
    assert balance(program, profile, at=T0 + days(1)) == {
        "active": 90,
        "pending": 0,
        "expired": 0,
        "spent": 70,
        "tentative": 90,
    }


def test_default_validity_comes_from_the_program(program, profile):
    txn = ledger.earn_points(program=program, profile=profile, amount=10, now=T0)
    assert txn.activates_at == T0
    assert txn.expires_at == T0 + days(30)


def test_pending_points_become_active_after_the_pending_period(organization, profile):
    program = services.create_loyalty_program(
        organization=organization, data={"name": "Delayed", "pending_days": 14}
    )
    ledger.earn_points(program=program, profile=profile, amount=40, now=T0)
    assert balance(program, profile, at=T0 + days(1)) == {
        "active": 0,
        "pending": 40,
        "expired": 0,
        "spent": 0,
        "tentative": 40,
    }
    with pytest.raises(ValidationError, match="Only 0 active points"):
        ledger.spend_points(program=program, profile=profile, amount=1, now=T0 + days(1))
    assert balance(program, profile, at=T0 + days(14))["active"] == 40

    # the beat task moves the cached counters; running it twice changes nothing more
    assert tasks.settle_due_points.delay((T0 + days(14)).isoformat()).get() == 1
    assert cached(program, profile) == {"active": 40, "pending": 0, "expired": 0, "spent": 0}
    assert tasks.settle_due_points.delay((T0 + days(14)).isoformat()).get() == 0
    assert cached(program, profile)["active"] == 40


def test_expiring_a_partly_spent_lot_expires_only_its_remainder(program, profile):
    ledger.earn_points(program=program, profile=profile, amount=100, now=T0)  # expires T0+30
    ledger.spend_points(program=program, profile=profile, amount=60, now=T0 + days(10))
    ledger.earn_points(program=program, profile=profile, amount=20, now=T0 + days(20))

    after = T0 + days(31)
    expected = {"active": 20, "pending": 0, "expired": 40, "spent": 60, "tentative": 20}
    assert balance(program, profile, at=after) == expected  # before the task has run
    ledger.settle_accounts(account_ids=ledger.due_account_ids(now=after), now=after)
    assert balance(program, profile, at=after) == expected  # and after: no collapse
    assert cached(program, profile) == without_tentative(expected)
    expiration = PointsTransaction.objects.get(kind="expiration")
    assert expiration.amount == -40
    assert expiration.created_at == T0 + days(30)
    # settling again is a no-op
    assert ledger.settle_accounts(account_ids=[expiration.account_id], now=after) == 0
    assert PointsTransaction.objects.filter(kind="expiration").count() == 1


def test_expired_points_cannot_be_spent_even_before_the_task_runs(program, profile):
    ledger.earn_points(program=program, profile=profile, amount=100, now=T0)
    with pytest.raises(ValidationError, match="Only 0 active points"):
        ledger.spend_points(program=program, profile=profile, amount=1, now=T0 + days(30))


def test_overdraft_is_rejected_unless_the_program_allows_it(program, profile):
    ledger.earn_points(program=program, profile=profile, amount=30, now=T0)
    with pytest.raises(ValidationError) as info:
        ledger.spend_points(program=program, profile=profile, amount=31, now=T0)
    assert info.value.message_dict == {"amount": ["Only 30 active points; cannot spend 31."]}
    assert PointsTransaction.objects.filter(amount__lt=0).count() == 0


def test_allowed_overdraft_is_covered_by_the_next_points(program, profile):
    services.update_loyalty_program(program=program, data={"allow_negative_balance": True})
    ledger.earn_points(program=program, profile=profile, amount=30, now=T0)
    spend = ledger.spend_points(program=program, profile=profile, amount=80, now=T0 + days(1))
    assert balance(program, profile, at=T0 + days(1))["active"] == -50

    ledger.earn_points(program=program, profile=profile, amount=70, now=T0 + days(2))
    assert balance(program, profile, at=T0 + days(2))["active"] == 20
    assert sum(a.amount for a in spend.allocations.all()) == 80  # fully covered now
    # the new lot expires with only what is left after covering the debt
    after = T0 + days(40)
    ledger.settle_accounts(account_ids=ledger.due_account_ids(now=after), now=after)
    assert balance(program, profile, at=after) == {
        "active": 0,
        "pending": 0,
        "expired": 20,
        "spent": 80,
        "tentative": 0,
    }
    assert cached(program, profile) == {"active": 0, "pending": 0, "expired": 20, "spent": 80}


def test_balance_at_an_end_date_in_the_past(program, profile):
    ledger.earn_points(program=program, profile=profile, amount=100, now=T0)
    ledger.spend_points(program=program, profile=profile, amount=40, now=T0 + days(5))
    assert balance(program, profile, at=T0 + days(4))["active"] == 100
    assert balance(program, profile, at=T0 + days(5))["active"] == 60
    assert balance(program, profile, at=T0 - days(1))["active"] == 0


def test_subledgers_are_separate_and_need_the_program_setting(program, profile):
    with pytest.raises(ValidationError, match="no subledgers"):
        ledger.earn_points(
            program=program, profile=profile, amount=5, subledger_id="coffee", now=T0
        )
    services.update_loyalty_program(program=program, data={"subledgers_allowed": True})
    ledger.earn_points(program=program, profile=profile, amount=5, subledger_id="coffee", now=T0)
    ledger.earn_points(program=program, profile=profile, amount=7, now=T0)
    result = selectors.balances(program=program, profile=profile, at=T0)
    assert result["balance"]["active"] == 7
    assert result["subledger_balances"]["coffee"]["active"] == 5
    only = selectors.balances(program=program, profile=profile, at=T0, subledger_ids=["coffee"])
    assert only == {"subledger_balances": {"coffee": {**only["subledger_balances"]["coffee"]}}}
    assert only["subledger_balances"]["coffee"]["active"] == 5


def test_reference_makes_a_write_idempotent(program, profile):
    first = ledger.earn_points(program=program, profile=profile, amount=5, reference="r1", now=T0)
    again = ledger.earn_points(program=program, profile=profile, amount=5, reference="r1", now=T0)
    assert again.pk == first.pk
    assert balance(program, profile, at=T0)["active"] == 5
    with pytest.raises(ConflictError):
        ledger.earn_points(program=program, profile=profile, amount=6, reference="r1", now=T0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 10**13}, "amount"),
        ({"amount": 5, "kind": "expiration"}, "kind"),
        ({"amount": 5, "expires_at": T0 - days(1)}, "expires_at"),
    ],
)
def test_invalid_earns_are_rejected(program, profile, kwargs, field):
    with pytest.raises(ValidationError) as info:
        ledger.earn_points(program=program, profile=profile, now=T0, **kwargs)
    assert field in info.value.message_dict
    assert not PointsTransaction.objects.exists()


def test_archived_program_and_wrong_owner_kind_are_rejected(program, profile, organization):
    card = LoyaltyCardFactory(organization=organization)
    with pytest.raises(ValidationError, match="card-based"):
        ledger.earn_points(program=card.program, profile=profile, amount=5)
    services.update_loyalty_program(program=program, data={"status": "archived"})
    with pytest.raises(ValidationError, match="archived"):
        ledger.earn_points(program=program, profile=profile, amount=5)


def test_adjust_points_needs_a_reason_and_goes_both_ways(program, profile):
    with pytest.raises(ValidationError, match="Say why"):
        ledger.adjust_points(program=program, profile=profile, amount=5, reason=" ")
    ledger.adjust_points(program=program, profile=profile, amount=50, reason="Goodwill", now=T0)
    ledger.adjust_points(program=program, profile=profile, amount=-20, reason="Fix", now=T0)
    assert balance(program, profile, at=T0)["active"] == 30
    assert set(PointsTransaction.objects.values_list("kind", flat=True)) == {"manual"}


def test_cached_balances_reconcile_with_the_ledger(program, organization):
    services.update_loyalty_program(program=program, data={"allow_negative_balance": True})
    profiles = CustomerProfileFactory.create_batch(3, organization=organization)
    for step in range(30):
        who = profiles[step % 3]
        when = T0 + days(step * 2)
        if step % 4 == 3:
            ledger.spend_points(program=program, profile=who, amount=35, now=when)
        else:
            ledger.earn_points(program=program, profile=who, amount=10 + step, now=when)
    end = T0 + days(100)
    ledger.settle_accounts(account_ids=ledger.due_account_ids(now=end), now=end)
    for who in profiles:
        assert cached(program, who) == without_tentative(balance(program, who, at=end))
    assert not PointsAllocation.objects.filter(amount__lte=0).exists()


def test_card_ledger(organization):
    card = LoyaltyCardFactory(organization=organization)
    ledger.earn_points(program=card.program, card=card, amount=12, now=T0)
    assert selectors.balances(program=card.program, card=card, at=T0)["balance"]["active"] == 12
