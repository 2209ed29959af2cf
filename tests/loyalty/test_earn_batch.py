"""earn_points_batch writes what earn_points would write one by one, in fewer statements."""

import datetime as dt

import pytest
from django.utils import timezone

from loyalty import ledger
from loyalty.models import PointsAccount, PointsAllocation, PointsLot, PointsTransaction
from tests.factories import CustomerProfileFactory, LoyaltyProgramFactory

pytestmark = pytest.mark.django_db


def state(account):
    account.refresh_from_db()
    lots = sorted(
        PointsLot.objects.filter(account=account).values_list("amount", "remaining", "counted_as")
    )
    return (
        account.active_points,
        account.pending_points,
        account.debt_points,
        lots,
        PointsAllocation.objects.filter(lot__account=account).count(),
    )


@pytest.mark.parametrize("overdraft", [0, 25])
def test_a_batch_is_the_same_as_one_earn_after_another(organization, overdraft):
    now = timezone.now()
    later = now + dt.timedelta(days=3)
    results = []
    for batch in (False, True):
        program = LoyaltyProgramFactory(organization=organization, allow_negative_balance=True)
        profile = CustomerProfileFactory(organization=organization)
        if overdraft:
            ledger.spend_points(program=program, profile=profile, amount=overdraft, now=now)
        earnings = [
            ledger.Earning(amount=10, reason="a"),
            ledger.Earning(amount=30, reason="b"),
            ledger.Earning(amount=5, reason="c", activates_at=later),
        ]
        if batch:
            ledger.earn_points_batch(
                program=program, profile=profile, earnings=earnings, kind="session", now=now
            )
        else:
            for e in earnings:
                ledger.earn_points(
                    program=program,
                    profile=profile,
                    amount=e.amount,
                    reason=e.reason,
                    activates_at=e.activates_at,
                    kind="session",
                    now=now,
                )
        account = PointsAccount.objects.get(program=program, profile=profile)
        results.append(state(account))
        reasons = PointsTransaction.objects.filter(account=account, amount__gt=0)
        assert sorted(reasons.values_list("reason", "kind")) == [
            ("a", "session"),
            ("b", "session"),
            ("c", "session"),
        ]
    assert results[0] == results[1]
