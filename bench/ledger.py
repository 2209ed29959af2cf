"""Points ledger throughput: N concurrent clients earning and spending through the service.

    make bench                                  # SQLite (or whatever DATABASE_URL says)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/ledger.py
    BENCH_CLIENTS=16 BENCH_OPS=200 .venv/bin/python bench/ledger.py

Three runs with the same clients and operation count, in one process:
- baseline: each operation is one bare INSERT of a PointsTransaction row in its own
  transaction (no lock, no lot, no allocation, no balance, no tier);
- spread:   each client earns/spends on its own customer (row locks never collide);
- hot:      every client earns/spends on the same customer (all writes queue on one lock).
Prints transactions/s and the ratio of each run's time to the baseline's, then checks that
every final balance equals earned minus spent, from the cache and from the ledger.
"""

import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from customers.models import CustomerProfile  # noqa: E402
from loyalty import ledger, selectors, services  # noqa: E402
from loyalty.models import PointsAccount, PointsTransaction  # noqa: E402
from organizations.models import Organization  # noqa: E402

CLIENTS = int(os.environ.get("BENCH_CLIENTS", 8))
OPS = int(os.environ.get("BENCH_OPS", 100))


def run_clients(work) -> float:
    """Start CLIENTS threads running work(client_number) together; seconds until all end."""
    barrier = threading.Barrier(CLIENTS + 1)
    errors = []

    def client(n):
        try:
            barrier.wait()
            work(n)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed


def ledger_work(program, profiles, totals, lock):
    def work(n):
        rng = random.Random(n)
        profile = profiles[n % len(profiles)]
        earned = spent = 0
        for i in range(OPS):
            amount = rng.randint(1, 50)
            if i % 3 == 2:
                try:
                    ledger.spend_points(program=program, profile=profile, amount=amount)
                    spent += amount
                except ledger.InsufficientPoints:
                    pass
            else:
                ledger.earn_points(program=program, profile=profile, amount=amount)
                earned += amount
        with lock:
            totals[profile.pk] = totals.get(profile.pk, 0) + earned - spent

    return work


def main() -> None:
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        program = services.create_loyalty_program(
            organization=org, data={"name": "bench", "points_validity_days": 365}
        )
        structure = services.create_tier_structure(
            program=program,
            data={"name": "bench"},
            tiers=[
                {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 999},
                {"name": "Silver", "order": 2, "min_points": 1000, "max_points": None},
            ],
        )
        services.set_tier_structure_status(structure=structure, status="ACTIVE")
        profiles = [
            CustomerProfile.objects.create(organization=org, integration_id=f"bench-{n}")
            for n in range(CLIENTS)
        ]
        # one account to attach the bare rows to
        with transaction.atomic():
            account = ledger.lock_account(program=program, profile=profiles[0], subledger_id="")

        def bare(n):
            for i in range(OPS):
                with transaction.atomic():
                    PointsTransaction.objects.create(
                        organization=org, program=program, account=account, amount=i + 1
                    )

        baseline = run_clients(bare)
        PointsTransaction.objects.filter(program=program).delete()

        results = {}
        totals, lock = {}, threading.Lock()  # profile -> earned - spent, over both runs
        for name, owners in (("spread", profiles), ("hot", profiles[:1])):
            before = PointsTransaction.objects.filter(program=program).count()
            elapsed = run_clients(ledger_work(program, owners, totals, lock))
            count = PointsTransaction.objects.filter(program=program).count() - before
            results[name] = (elapsed, count)
        for profile in profiles:
            account = PointsAccount.objects.get(program=program, profile=profile)
            from_ledger = selectors.balances(program=program, profile=profile)["balance"]
            assert account.active_points == from_ledger["active"] == totals[profile.pk], (
                profile.integration_id,
                account.active_points,
                from_ledger["active"],
                totals[profile.pk],
            )
        print(f"database: {connection.vendor}, clients: {CLIENTS}, operations each: {OPS}")
        ops = CLIENTS * OPS
        print(f"  baseline (bare INSERT)   {ops / baseline:10.0f} rows/s        1.00x")
        for name, (elapsed, count) in results.items():
            print(
                f"  {name:<6} through service  {count / elapsed:10.0f} transactions/s "
                f"{elapsed / baseline:6.2f}x the baseline's time"
            )
        print("  final balances: cache == ledger == earned - spent for every customer")
    finally:
        Organization.objects.filter(pk=org.pk).delete()


if __name__ == "__main__":
    main()
