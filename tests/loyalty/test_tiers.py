"""Tier assignment: boundaries, upgrades, downgrades, grace, expiration, history, preview."""

import pytest

from loyalty import ledger, selectors, services, tasks, tiering
from loyalty.models import PointsAccount, TierAssignment, TierChange
from tests.factories import CustomerProfileFactory, LoyaltyCardFactory

from .conftest import BRONZE_SILVER_GOLD, T0, days, ladder

pytestmark = pytest.mark.django_db


def tier_of(program, profile):
    tier = selectors.current_tier(program=program, profile=profile)
    return tier.name if tier else None


def earn(program, profile, amount, at, **kwargs):
    return ledger.earn_points(program=program, profile=profile, amount=amount, now=at, **kwargs)


def spend(program, profile, amount, at):
    return ledger.spend_points(program=program, profile=profile, amount=amount, now=at)


def recompute(program, at):
    return tasks.recompute_program_tiers_task.delay(str(program.pk), False, at.isoformat()).get()


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (0, "Bronze"),
        (99, "Bronze"),
        (100, "Silver"),
        (499, "Silver"),
        (500, "Gold"),
        (10**9, "Gold"),
    ],
)
def test_point_balance_boundaries(program, profile, make_structure, points, expected):
    make_structure()
    if points:
        earn(program, profile, points, T0)
    else:
        earn(program, profile, 1, T0)
        spend(program, profile, 1, T0)
    assert tier_of(program, profile) == expected


def test_no_tier_below_the_lowest(program, profile, make_structure):
    make_structure(tiers=ladder(("Silver", 100, 499), ("Gold", 500, None)))
    earn(program, profile, 99, T0)
    assert tier_of(program, profile) is None
    earn(program, profile, 1, T0)
    assert tier_of(program, profile) == "Silver"


@pytest.mark.parametrize(("earned", "expected"), [(99, "Bronze"), (100, "Silver")])
def test_point_earned_boundaries_and_window(program, profile, make_structure, earned, expected):
    make_structure(
        type="POINT_EARNED",
        point_earned_period_value=30,
        point_earned_period_unit="DAY",
        downgrade_type="MULTI_LEVEL",
    )
    earn(program, profile, earned, T0)
    spend(program, profile, earned, T0 + days(1))  # spending does not undo earning
    assert tier_of(program, profile) == expected
    # thirty days later the points have left the window
    recompute(program, T0 + days(31))
    assert tier_of(program, profile) == "Bronze"


def test_upgrade_is_immediate_and_recorded(program, profile, make_structure):
    make_structure()
    earn(program, profile, 150, T0)
    earn(program, profile, 400, T0 + days(1))
    changes = list(
        TierChange.objects.order_by("created_at").values_list(
            "from_tier__name", "to_tier__name", "reason", "points"
        )
    )
    assert changes == [
        (None, "Silver", "activation", 150),
        ("Silver", "Gold", "upgrade", 550),
    ]


def test_no_downgrade_keeps_the_tier(program, profile, make_structure):
    make_structure()  # NO_DOWNGRADE is the default
    earn(program, profile, 600, T0)
    spend(program, profile, 600, T0)
    assert tier_of(program, profile) == "Gold"


def test_multi_level_drops_straight_to_the_qualifying_tier(program, profile, make_structure):
    make_structure(downgrade_type="MULTI_LEVEL")
    earn(program, profile, 600, T0)
    spend(program, profile, 550, T0 + days(1))
    assert tier_of(program, profile) == "Bronze"
    assert TierChange.objects.filter(reason="downgrade").count() == 1


def test_one_level_with_grace_steps_down_once_per_grace_period(program, profile, make_structure):
    make_structure(downgrade_type="ONE_LEVEL", grace_period_value=7, grace_period_unit="DAY")
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    spend(program, profile, 550, T0 + days(1))
    assert tier_of(program, profile) == "Gold"  # grace period running
    assignment = TierAssignment.objects.get()
    assert assignment.downgrade_at == T0 + days(8)

    recompute(program, T0 + days(7))
    assert tier_of(program, profile) == "Gold"
    recompute(program, T0 + days(8))
    assert tier_of(program, profile) == "Silver"
    recompute(program, T0 + days(8))  # idempotent: same clock, nothing more
    assert tier_of(program, profile) == "Silver"
    assert TierChange.objects.filter(reason="downgrade").count() == 1
    recompute(program, T0 + days(15))
    assert tier_of(program, profile) == "Bronze"


def test_requalifying_during_grace_cancels_the_downgrade(program, profile, make_structure):
    make_structure(downgrade_type="MULTI_LEVEL", grace_period_value=7, grace_period_unit="DAY")
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    spend(program, profile, 550, T0 + days(1))
    earn(program, profile, 500, T0 + days(2), expires_at=T0 + days(365))
    recompute(program, T0 + days(9))
    assert tier_of(program, profile) == "Gold"
    assert TierAssignment.objects.get().downgrade_at is None


def test_grace_period_round_up_to_end_of_month(program, profile, make_structure):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        grace_period_value=1,
        grace_period_unit="MONTH",
        grace_period_round_up=True,
    )
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    spend(program, profile, 600, T0)  # due 10 Jan 12:00 -> 10 Feb 12:00 -> end of February
    assert TierAssignment.objects.get().downgrade_at.isoformat() == "2026-03-01T00:00:00+00:00"


def test_rolling_expiration_holds_the_tier_then_drops(program, profile, make_structure):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        expiration_type="ROLLING",
        expiration_period_value=3,
        expiration_period_unit="MONTH",
    )
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    spend(program, profile, 550, T0 + days(1))
    assert tier_of(program, profile) == "Gold"  # held until 10 April
    recompute(program, T0 + days(89))
    assert tier_of(program, profile) == "Gold"
    recompute(program, T0 + days(90))
    assert tier_of(program, profile) == "Bronze"
    assert TierChange.objects.filter(reason="expiration").count() == 1


def test_rolling_expiration_renews_when_still_qualified(program, profile, make_structure):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        expiration_type="ROLLING",
        expiration_period_value=1,
        expiration_period_unit="MONTH",
    )
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    recompute(program, T0 + days(40))
    assignment = TierAssignment.objects.get()
    assert assignment.tier.name == "Gold"
    assert assignment.expires_at.isoformat() == "2026-03-19T12:00:00+00:00"


def test_calendar_expiration(program, profile, make_structure):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        expiration_type="CALENDAR",
        calendar_dates=[{"day": 30, "month": 6}, {"day": 31, "month": 12}],
    )
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    assert TierAssignment.objects.get().expires_at.isoformat() == "2026-06-30T00:00:00+00:00"


def test_sliding_expiration_is_extended_by_activity(program, profile, make_structure):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        expiration_type="SLIDING",
        expiration_period_value=30,
        expiration_period_unit="DAY",
        sliding_earning_activity=True,
    )
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    spend(program, profile, 550, T0 + days(1))  # spending does not count as activity here
    earn(program, profile, 1, T0 + days(20), expires_at=T0 + days(365))  # earning does
    assert TierAssignment.objects.get().expires_at == T0 + days(50)
    recompute(program, T0 + days(49))
    assert tier_of(program, profile) == "Gold"
    recompute(program, T0 + days(50))
    assert tier_of(program, profile) == "Bronze"


def test_beat_task_is_idempotent(program, organization, make_structure):
    make_structure(downgrade_type="MULTI_LEVEL")
    profiles = CustomerProfileFactory.create_batch(4, organization=organization)
    for i, who in enumerate(profiles):
        earn(program, who, 200 * i + 1, T0)
    tasks.recompute_tiers.delay(T0.isoformat()).get()
    before = list(TierAssignment.objects.order_by("pk").values())
    history = TierChange.objects.count()
    tasks.recompute_tiers.delay(T0.isoformat()).get()
    assert list(TierAssignment.objects.order_by("pk").values()) == before
    assert TierChange.objects.count() == history


def test_activating_a_structure_assigns_everyone(
    program, organization, django_capture_on_commit_callbacks
):
    profiles = CustomerProfileFactory.create_batch(3, organization=organization)
    for who, points in zip(profiles, (5, 150, 700), strict=True):
        earn(program, who, points, T0)
    structure = services.create_tier_structure(
        program=program, data={"name": "New"}, tiers=BRONZE_SILVER_GOLD
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.set_tier_structure_status(structure=structure, status="ACTIVE")
    assert [tier_of(program, p) for p in profiles] == ["Bronze", "Silver", "Gold"]


def test_preview_counts_customers_per_tier_including_those_without_points(
    program, organization, make_structure
):
    profiles = CustomerProfileFactory.create_batch(5, organization=organization)
    for who, points in zip(profiles, (100, 150, 700, 99), strict=False):
        earn(program, who, points, T0)  # the fifth has no points at all
    structure = make_structure(activate=False)
    rows = {row["name"]: row["count"] for row in selectors.structure_preview(structure=structure)}
    assert rows == {"Bronze": 2, "Silver": 2, "Gold": 1, "No tier": 0}
    assert TierAssignment.objects.count() == 0  # a dry run changes nothing


def test_ladder_counts_current_members(program, organization, make_structure):
    structure = make_structure()
    for who, points in zip(
        CustomerProfileFactory.create_batch(3, organization=organization),
        (10, 150, 160),
        strict=True,
    ):
        earn(program, who, points, T0)
    rows = {row["tier"].name: row["members"] for row in selectors.tier_ladder(structure=structure)}
    assert rows == {"Bronze": 1, "Silver": 2, "Gold": 0}


def test_card_tiers(organization):
    card = LoyaltyCardFactory(organization=organization)
    structure = services.create_tier_structure(
        program=card.program, data={"name": "Cards"}, tiers=BRONZE_SILVER_GOLD
    )
    services.set_tier_structure_status(structure=structure, status="ACTIVE")
    ledger.earn_points(program=card.program, card=card, amount=120, now=T0)
    assert selectors.current_tier(program=card.program, card=card).name == "Silver"


def test_custom_activity_extends_a_sliding_tier(program, profile, make_structure):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        expiration_type="SLIDING",
        expiration_period_value=10,
        expiration_period_unit="DAY",
        sliding_custom_activity=True,
        sliding_custom_activity_types=["store_visit"],
    )
    earn(program, profile, 600, T0, expires_at=T0 + days(365))
    account = PointsAccount.objects.get()
    tiering.record_activity(
        program=program, account=account, activity_type="store_visit", now=T0 + days(5)
    )
    assert TierAssignment.objects.get().expires_at == T0 + days(15)
    tiering.record_activity(
        program=program, account=account, activity_type="other", now=T0 + days(6)
    )
    assert TierAssignment.objects.get().expires_at == T0 + days(15)
