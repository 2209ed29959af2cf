"""The admin dashboard at 1M ledger rows: the whole page, and each figure's query alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py                      # SQLite

One organization gets BENCH_DASHBOARD_ROWS ledger transactions (default 1,000,000) spread over
the last 120 days across 20,000 customers, an active three-tier ladder with 20,000 members,
and 50 audiences. Printed: the page's median time once the closed days are summed (goal: under
300 ms), the stock admin page of one app as the baseline of the same run, each figure's
queries, and the points chart read from the transactions alone (no roll-up).
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from audiences.models import Audience  # noqa: E402
from customers.models import CustomerProfile  # noqa: E402
from dashboard import figures  # noqa: E402
from loyalty import rollups  # noqa: E402
from loyalty import services as loyalty_services  # noqa: E402
from loyalty.models import PointsAccount, TierAssignment  # noqa: E402
from organizations.models import Organization, OrganizationMember, Role  # noqa: E402

ROWS = int(os.environ.get("BENCH_DASHBOARD_ROWS", 1_000_000))
CUSTOMERS = 20_000
ROUNDS = 7


def median_ms(fn) -> float:
    fn()  # warm
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def fill_ledger(org, program, accounts: list[int]) -> None:
    """ROWS transactions: 70% earns, 20% redemptions, 10% expirations, over 120 days."""
    table = "loyalty_pointstransaction"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (id, organization_id, program_id, account_id, amount, kind,"
                " reason, reference, created_at) "
                "SELECT gen_random_uuid(), %s, %s, (%s::bigint[])[1 + g %% %s], "
                "CASE WHEN g %% 10 < 7 THEN 10 + g %% 90 ELSE -(5 + g %% 20) END, "
                "CASE WHEN g %% 10 < 7 THEN 'manual' WHEN g %% 10 < 9 THEN 'redeem' "
                "ELSE 'expiration' END, '', '', now() - (g %% 120) * interval '1 day' "
                "- (g %% 86400) * interval '1 second' FROM generate_series(1, %s) AS g",
                [org.pk, program.pk, accounts, len(accounts), ROWS],
            )
            cursor.execute(f"ANALYZE {table}")
            return
        cursor.execute("SELECT max(coalesce(number, 0)) FROM " + table)
        cursor.execute(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
            f"INSERT INTO {table} (id, organization_id, program_id, account_id, amount, kind, "
            "reason, reference, created_at) "
            "SELECT lower(hex(randomblob(16))), %s, %s, "
            f"(SELECT id FROM loyalty_pointsaccount WHERE organization_id = %s "
            f"LIMIT 1 OFFSET (n % {len(accounts)})), "
            "CASE WHEN n % 10 < 7 THEN 10 + n % 90 ELSE -(5 + n % 20) END, "
            "CASE WHEN n % 10 < 7 THEN 'manual' WHEN n % 10 < 9 THEN 'redeem' "
            "ELSE 'expiration' END, '', '', "
            "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-' || (n % 120) || ' days', "
            "'-' || (n % 86400) || ' seconds') FROM g",
            [ROWS, org.pk.hex, program.pk.hex, org.pk.hex],
        )


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    user = get_user_model().objects.create_user(username=f"bench-{org.slug}", is_staff=True)
    OrganizationMember.objects.create(organization=org, user=user, role=Role.VIEWER)
    try:
        program = loyalty_services.create_loyalty_program(organization=org, data={"name": "Club"})
        structure = loyalty_services.create_tier_structure(
            program=program,
            data={"name": "Ladder"},
            tiers=[
                {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 999},
                {"name": "Silver", "order": 2, "min_points": 1000, "max_points": 4999},
                {"name": "Gold", "order": 3, "min_points": 5000},
            ],
        )
        loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
        tiers = list(structure.tiers.order_by("order"))
        CustomerProfile.objects.bulk_create(
            (CustomerProfile(organization=org, integration_id=f"c-{i}") for i in range(CUSTOMERS)),
            batch_size=5000,
        )
        PointsAccount.objects.bulk_create(
            (
                PointsAccount(organization=org, program=program, profile_id=pk)
                for pk in CustomerProfile.objects.filter(organization=org).values_list(
                    "pk", flat=True
                )
            ),
            batch_size=5000,
        )
        accounts = list(PointsAccount.objects.filter(organization=org).values_list("pk", flat=True))
        TierAssignment.objects.bulk_create(
            (
                TierAssignment(
                    organization=org, program=program, structure=structure, account_id=pk,
                    tier=tiers[i % 3],
                )
                for i, pk in enumerate(accounts)
            ),
            batch_size=5000,
        )  # fmt: skip
        Audience.objects.bulk_create(
            Audience(organization=org, name=f"Audience {i}", member_count=i * 100)
            for i in range(50)
        )
        started = time.perf_counter()
        fill_ledger(org, program, accounts)
        print(
            f"{ROWS:,} ledger rows on {connection.vendor} ({time.perf_counter() - started:.0f} s)"
        )

        client = Client()
        client.force_login(user)
        unrolled = median_ms(lambda: figures.points_per_day(org))
        started = time.perf_counter()
        rollups.roll_up_organization(org)
        print(f"roll-up of {rollups.KEPT_DAYS} days: {time.perf_counter() - started:.1f} s (once)")
        page = median_ms(lambda: client.get("/admin/"))
        baseline = median_ms(lambda: client.get("/admin/loyalty/"))
        print(f"dashboard page          {page:7.1f} ms   (goal < 300 ms)")
        print(f"stock app index         {baseline:7.1f} ms   page/baseline = {page / baseline:.1f}")
        print(f"  points per day, no roll-up {unrolled:7.1f} ms (every transaction read)")
        for name, figure in [
            ("points per day (90 d)", lambda: figures.points_per_day(org)),
            ("members per tier", lambda: figures.members_per_tier(org)),
            ("largest audiences", lambda: figures.largest_audiences(org)),
            ("running imports", lambda: figures.running_imports(org)),
            ("tier changes (7 d)", lambda: figures.tier_changes(org)),
        ]:
            print(f"  {name:22} {median_ms(figure):7.1f} ms")
    finally:
        org.delete()
        user.delete()


if __name__ == "__main__":
    main()
