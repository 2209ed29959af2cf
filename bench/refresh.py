"""Audience refresh vs a hand-written INSERT … SELECT of the same members, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty .venv/bin/python bench/refresh.py
    BENCH_PROFILES=200000 .venv/bin/python bench/refresh.py      # SQLite (default 200,000)

Generates N profiles (default 1,000,000 on PostgreSQL) of which about half match the rule
`attributes.tier eq "gold"`, then times:
- baseline: one hand-written INSERT … SELECT of the matching profiles into an empty audience;
- refresh:  `refresh_audience` of a rule audience from empty (claim, rule compiler, INSERT …
            SELECT … WHERE NOT EXISTS, DELETE … WHERE NOT EXISTS, count, log);
- again:    a second refresh with nothing to change;
- change:   a refresh after 10% of the profiles changed tier (adds and removes).
Prints the times and the ratio refresh / baseline (target ≤ 2).
"""

import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from audiences import services  # noqa: E402
from audiences.models import Audience, AudienceMembership  # noqa: E402
from organizations.models import Organization  # noqa: E402

POSTGRES = connection.vendor == "postgresql"
N = int(os.environ.get("BENCH_PROFILES", 1_000_000 if POSTGRES else 200_000))


def db_id(value):
    return Audience._meta.pk.get_db_prep_value(value, connection)


def generate_profiles(org_id) -> None:
    """N profiles in one statement; even rows are gold."""
    with connection.cursor() as cursor:
        if POSTGRES:
            cursor.execute(
                "INSERT INTO customers_customerprofile (id, organization_id, integration_id, "
                "email, msisdn, first_name, last_name, attributes, created_at, updated_at) "
                "SELECT gen_random_uuid(), %s, 'b-' || g, 'b' || g || '@example.com', '', '', "
                "'', jsonb_build_object('tier', CASE WHEN g %% 2 = 0 THEN 'gold' ELSE 'blue' "
                "END, 'visits', g %% 50), now(), now() FROM generate_series(1, %s) g",
                [org_id, N],
            )
        else:
            cursor.execute(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s) "
                "INSERT INTO customers_customerprofile (id, organization_id, integration_id, "
                "email, msisdn, first_name, last_name, attributes, created_at, updated_at) "
                "SELECT lower(hex(randomblob(16))), %s, 'b-' || n, 'b' || n || '@example.com', "
                "'', '', '', json_object('tier', CASE WHEN n %% 2 = 0 THEN 'gold' ELSE 'blue' "
                "END, 'visits', n %% 50), datetime('now'), datetime('now') FROM g",
                [N, org_id],
            )
    if POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_customerprofile")


def baseline(org_id, audience_id) -> float:
    condition = (
        'attributes @> \'{"tier": "gold"}\''
        if POSTGRES
        else "json_extract(attributes, '$.tier') = 'gold'"
    )
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_audiencemembership (organization_id, audience_id, profile_id, "
            "source, added_at) SELECT organization_id, %s, id, 'rule', CURRENT_TIMESTAMP "
            f"FROM customers_customerprofile WHERE organization_id = %s AND {condition}",
            [audience_id, org_id],
        )
    return time.perf_counter() - start


def timed_refresh(audience) -> tuple[float, object]:
    start = time.perf_counter()
    log = services.refresh_audience(audience_id=audience.pk)
    return time.perf_counter() - start, log


def main() -> None:
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
    try:
        print(f"database: {connection.vendor}, profiles: {N:,}")
        start = time.perf_counter()
        generate_profiles(db_id(org.pk))
        print(f"  generated profiles in {time.perf_counter() - start:.1f} s")
        rule = [{"field": "attributes.tier", "operator": "eq", "values": ["gold"]}]
        bare = services.create_audience(organization=org, data={"name": "bare"})
        audience = services.create_audience(organization=org, data={"name": "rule"}, rules=rule)

        base = baseline(db_id(org.pk), db_id(bare.pk))
        members = AudienceMembership.objects.filter(audience=bare).count()
        first, log = timed_refresh(audience)
        assert log.added == members, (log.added, members)
        again, log2 = timed_refresh(audience)
        assert (log2.added, log2.removed) == (0, 0)

        with connection.cursor() as cursor:  # 10% change tier: 5% join, 5% leave
            flip = (
                "UPDATE customers_customerprofile SET attributes = CASE WHEN "
                "attributes->>'tier' = 'gold' THEN '{\"tier\": \"blue\"}'::jsonb ELSE "
                '\'{"tier": "gold"}\'::jsonb END WHERE organization_id = %s AND '
                "(attributes->>'visits')::int < 5"
                if POSTGRES
                else "UPDATE customers_customerprofile SET attributes = CASE WHEN "
                "json_extract(attributes, '$.tier') = 'gold' THEN json_object('tier', 'blue') "
                "ELSE json_object('tier', 'gold') END WHERE organization_id = %s AND "
                "json_extract(attributes, '$.visits') < 5"
            )
            cursor.execute(flip, [db_id(org.pk)])
        change, log3 = timed_refresh(audience)

        print(f"  baseline INSERT … SELECT     {base:8.2f} s  ({members:,} members)   1.00x")
        print(
            f"  refresh from empty           {first:8.2f} s  (+{log.added:,})  {first / base:6.2f}x"
        )
        print(f"  refresh, nothing changed     {again:8.2f} s  (+0 -0)        {again / base:6.2f}x")
        print(
            f"  refresh after 10% changed    {change:8.2f} s  (+{log3.added:,} -{log3.removed:,})"
            f"  {change / base:6.2f}x"
        )
        print(f"  target: refresh from empty / baseline <= 2 -> {first / base:.2f}")
    finally:
        AudienceMembership.objects.filter(organization=org).delete()
        Organization.objects.filter(pk=org.pk).delete()


if __name__ == "__main__":
    main()
