"""Many clients hitting one customer's points at once (PostgreSQL row locks)."""

import random
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from loyalty import ledger, selectors, services
from loyalty.models import PointsAccount, PointsAllocation, PointsLot, PointsTransaction
from tests.factories import CustomerProfileFactory

from .conftest import BRONZE_SILVER_GOLD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
OPERATIONS = 12


def test_concurrent_earns_and_spends_on_one_profile_lose_nothing(organization):
    program = services.create_loyalty_program(organization=organization, data={"name": "Busy"})
    structure = services.create_tier_structure(
        program=program, data={"name": "Tiers"}, tiers=BRONZE_SILVER_GOLD
    )
    services.set_tier_structure_status(structure=structure, status="ACTIVE")
    profile = CustomerProfileFactory(organization=organization)
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    earned, spent, rejected, errors = [], [], [], []

    def worker(seed):
        rng = random.Random(seed)
        try:
            barrier.wait(timeout=10)
            for _ in range(OPERATIONS):
                amount = rng.randint(1, 40)
                if rng.random() < 0.5:
                    ledger.earn_points(program=program, profile=profile, amount=amount)
                    with lock:
                        earned.append(amount)
                else:
                    try:
                        ledger.spend_points(program=program, profile=profile, amount=amount)
                    except ledger.InsufficientPoints:
                        with lock:
                            rejected.append(amount)
                    else:
                        with lock:
                            spent.append(amount)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert len(earned) + len(spent) + len(rejected) == THREADS * OPERATIONS
    expected = sum(earned) - sum(spent)
    account = PointsAccount.objects.get(profile=profile)  # exactly one account was created
    assert account.active_points == expected >= 0
    assert account.spent_points == sum(spent)
    balance = selectors.balances(program=program, profile=profile)["balance"]
    assert balance["active"] == expected
    assert PointsLot.objects.aggregate(s=Sum("remaining"))["s"] == expected
    assert PointsAllocation.objects.aggregate(s=Sum("amount"))["s"] == sum(spent)
    assert PointsTransaction.objects.count() == len(earned) + len(spent)
