import datetime as dt
import random
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from audiences import services as audience_services
from audiences.models import Audience, AudienceGroup
from campaigns import services as campaign_services
from campaigns.models import EarningRule
from customers.models import CustomerProfile
from customers.services import bulk_upsert_customer_profiles
from loyalty import ledger
from loyalty import services as loyalty_services
from loyalty.models import LoyaltyProgram
from organizations.models import ApiKey, Organization, Role
from organizations.services import (
    add_organization_member,
    create_api_key,
    create_organization,
    revoke_api_key,
)

DEMO_SLUG = "demo"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-loyalty-2026"  # noqa: S105 - printed for the local demo on purpose
DEMO_KEY_NAME = "Demo key (make run)"

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Radia",
    "Tim",
    "Frances",
    "Edsger",
    "Katherine",
    "John",
    "Hedy",
    "Guido",
    "Annie",
    "Niklaus",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Perlman",
    "Berners-Lee",
    "Allen",
    "Dijkstra",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Rossum",
    "Easley",
    "Wirth",
]
CITIES = ["London", "Leeds", "Manchester", "Bristol", "Glasgow", "Cardiff", "Belfast"]
DRINKS = ["flat white", "espresso", "oat latte", "cold brew", "chai", "matcha"]


class Command(BaseCommand):
    help = "Create (or refresh) the demo organization, its staff login, sample data and an API key."

    def add_arguments(self, parser):
        parser.add_argument("--profiles", type=int, default=120)
        parser.add_argument(
            "--api-key-file", help="Also write the new demo API key to this file (for scripts)."
        )

    @transaction.atomic
    def handle(self, *args, profiles, api_key_file=None, **options):
        rng = random.Random(2026)  # noqa: S311 - sample data, not security
        organization = Organization.objects.filter(slug=DEMO_SLUG).first() or create_organization(
            name="Demo Coffee Co", slug=DEMO_SLUG
        )
        User = get_user_model()
        user, _ = User.objects.get_or_create(
            username=DEMO_USER, defaults={"email": "demo@example.com", "is_staff": True}
        )
        user.is_staff = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        add_organization_member(organization=organization, user=user, role=Role.OWNER)

        other = Organization.objects.filter(slug="rival-tea").first() or create_organization(
            name="Rival Tea House", slug="rival-tea"
        )

        items = []
        for n in range(profiles):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            items.append(
                {
                    "integration_id": f"cust-{n + 1:05d}",
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first}.{last}{n}@example.com".lower(),
                    "msisdn": f"+4477009{n:05d}",
                    "attributes": {
                        "city": rng.choice(CITIES),
                        "favourite_drink": rng.choice(DRINKS),
                        "visits": rng.randint(0, 60),
                        "newsletter": rng.random() < 0.6,
                    },
                }
            )
        bulk_upsert_customer_profiles(organization=organization, items=items)
        bulk_upsert_customer_profiles(
            organization=other,
            items=[{"integration_id": f"tea-{n:03d}", "first_name": "Other"} for n in range(5)],
        )

        program = seed_loyalty(organization, rng)
        cards = seed_cards(organization)
        seed_earning_rules(program)
        seed_audiences(organization, program)

        # The secret is only known at creation: rotate the demo key on every run.
        for old in ApiKey.objects.filter(organization=organization, name=DEMO_KEY_NAME):
            revoke_api_key(api_key=old)
        _, secret = create_api_key(
            organization=organization, name=DEMO_KEY_NAME, scopes="read,write", created_by=user
        )
        if api_key_file:
            Path(api_key_file).write_text(secret)
        count = CustomerProfile.objects.filter(organization=organization).count()
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  Loyalty back-office demo is ready",
                    f"  Organization : {organization.name} ({count} customer profiles)",
                    f"  Loyalty      : {program.name} (Bronze / Silver / Gold tiers)",
                    "  Earning      : 1 point per 1.00 spent on a closed session, x2 for Gold",
                    "  Audiences    : Leeds customers (refreshed every 5 minutes), tier ranges",
                    "  Admin        : http://127.0.0.1:8000/admin/",
                    f"  Login        : {DEMO_USER} / {DEMO_PASSWORD}",
                    "  API docs     : http://127.0.0.1:8000/api/docs/",
                    f"  API key      : {secret}",
                    "  Try          : curl -H 'Authorization: Bearer "
                    f"{secret}' http://127.0.0.1:8000/api/v1/customer-profiles",
                    "  Talon.One    : host http://127.0.0.1:8000/compat/talon-one, "
                    f"api_key_prefix ApiKey-v1, {program.name} is loyaltyProgramId "
                    f"{program.number}, {cards.name} (cards CARD-0001…) {cards.number}",
                    "",
                ]
            )
        )


def seed_loyalty(organization, rng):
    """A points program with an active Bronze/Silver/Gold ladder and some points per customer.
    Earns carry a reference, so running the seed again adds nothing."""
    program = LoyaltyProgram.objects.filter(organization=organization, name="Coffee Club").first()
    if program is None:
        program = loyalty_services.create_loyalty_program(
            organization=organization,
            data={"name": "Coffee Club", "points_validity_days": 365, "timezone": "Europe/London"},
        )
    if not program.tier_structures.exists():
        structure = loyalty_services.create_tier_structure(
            program=program,
            data={"name": "Coffee tiers", "downgrade_type": "MULTI_LEVEL"},
            tiers=[
                {"name": "Bronze", "order": 1, "min_points": 0, "max_points": 199},
                {"name": "Silver", "order": 2, "min_points": 200, "max_points": 599},
                {"name": "Gold", "order": 3, "min_points": 600, "max_points": None},
            ],
        )
        loyalty_services.set_tier_structure_status(structure=structure, status="ACTIVE")
    # two months of history, so the dashboard's chart has a shape: each customer's points
    # came in one to three visits, and some spent a few since (references keep it seeded once)
    now = timezone.now()
    for profile in CustomerProfile.objects.filter(organization=organization).order_by(
        "integration_id"
    ):
        total, visits = rng.randint(1, 900), rng.randint(1, 3)
        days = sorted((rng.randint(1, 60) for _ in range(visits)), reverse=True)
        for visit, days_ago in enumerate(days):
            share = total // visits + (total % visits if visit == visits - 1 else 0)
            if share > 0:
                ledger.earn_points(
                    program=program, profile=profile, amount=share, kind="import",
                    reason="Demo points", reference=f"seed-{profile.integration_id}-{visit}",
                    now=now - dt.timedelta(days=days_ago, hours=rng.randint(0, 12)),
                )  # fmt: skip
        if total > 300 and rng.random() < 0.4:
            ledger.spend_points(
                program=program, profile=profile, amount=rng.randint(20, 120),
                reason="Demo: a free coffee", reference=f"seed-{profile.integration_id}-spend",
                now=now - dt.timedelta(days=rng.randint(0, days[-1]), hours=rng.randint(0, 12)),
            )  # fmt: skip
    return program


def seed_cards(organization):
    """A card-based program with ten cards, none linked to a customer yet."""
    program = LoyaltyProgram.objects.filter(organization=organization, name="Coffee Card").first()
    if program is None:
        program = loyalty_services.create_loyalty_program(
            organization=organization, data={"name": "Coffee Card", "kind": "card"}
        )
    for n in range(1, 11):
        if not program.cards.filter(identifier=f"CARD-{n:04d}").exists():
            loyalty_services.create_loyalty_card(program=program, identifier=f"CARD-{n:04d}")
    return program


def seed_earning_rules(program):
    """Coffee Club earns by its rules: 1 point per 1.00 on every closed session, rounded down,
    and the same again for Gold members."""
    gold = {"field": f"loyalty.tier.{program.pk}", "operator": "eq", "values": ["Gold"]}
    rules = [
        {
            "name": "1 point per 1.00 spent",
            "priority": 1,
            "effects": [{"type": "points_per_amount", "points": 1, "per": "1.00"}],
        },
        {
            "name": "Double points for Gold",
            "priority": 2,
            "conditions": [gold],
            "effects": [{"type": "multiply", "factor": "2"}],
        },
    ]
    for rule in rules:
        if not EarningRule.objects.filter(program=program, name=rule["name"]).exists():
            campaign_services.create_earning_rule(
                program=program, data={"trigger": "session_closed", **rule}
            )


def seed_audiences(organization, program):
    """A rule audience refreshed on schedule and a loyalty-tier group, refreshed once now."""
    if not Audience.objects.filter(organization=organization, name="Leeds customers").exists():
        audience_services.create_audience(
            organization=organization,
            data={"name": "Leeds customers", "refresh_interval_seconds": 300},
            rules=[{"field": "attributes.city", "operator": "eq", "values": ["Leeds"]}],
        )
    if not AudienceGroup.objects.filter(organization=organization, name="Coffee Club tiers"):
        audience_services.create_tier_audiences(
            organization=organization,
            group_name="Coffee Club tiers",
            program=program,
            tiers=[
                {"name": "Bronze members", "order": 1, "start_value": 0, "end_value": 199},
                {"name": "Silver members", "order": 2, "start_value": 200, "end_value": 599},
                {"name": "Gold members", "order": 3, "start_value": 600, "end_value": None},
            ],
        )
    for audience in Audience.objects.filter(organization=organization, archived=False):
        audience_services.refresh_audience(audience_id=audience.pk)
