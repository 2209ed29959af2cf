"""The ledger per day: closed days summed once by a beat task, today read live, and the chart
the same whether or not the task has run."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loyalty import ledger, rollups
from loyalty.models import PointsAccount, PointsDailyTotal, PointsTransaction
from loyalty.tasks import roll_up_points
from tests.factories import CustomerProfileFactory, LoyaltyProgramFactory

pytestmark = pytest.mark.django_db
DAYS = 10


@pytest.fixture
def club(organization):
    program = LoyaltyProgramFactory(organization=organization)
    profile = CustomerProfileFactory(organization=organization)
    ledger.earn_points(program=program, profile=profile, amount=500)  # today
    account = PointsAccount.objects.get(profile=profile, subledger_id="")

    def write(days_ago, amount, kind="manual"):
        PointsTransaction.objects.create(
            organization=organization, program=program, account=account, amount=amount,
            kind=kind, created_at=timezone.now() - dt.timedelta(days=days_ago),
        )  # fmt: skip

    write(3, 40)
    write(3, -15, "redeem")
    write(5, -7, "expiration")
    write(400, 1_000)  # outside any window
    program.write = write
    return program


def chart(organization):
    return [(d.issued, d.redeemed, d.expired) for d in
            rollups.points_per_day(organization, days=DAYS)]  # fmt: skip


def test_the_chart_is_the_same_before_and_after_the_roll_up(organization, club):
    before = chart(organization)
    assert before[-1] == (500, 0, 0) and before[-4] == (40, 15, 0) and before[-6] == (0, 0, 7)
    assert sum(issued for issued, _, _ in before) == 540

    written = roll_up_points.delay().get()
    assert written >= rollups.KEPT_DAYS
    assert PointsDailyTotal.objects.filter(organization=organization).count() == rollups.KEPT_DAYS
    with CaptureQueriesContext(connection) as queries:
        after = chart(organization)
    assert after == before
    assert len(queries) == 2  # the summed days, and today's transactions


def test_a_second_run_recomputes_only_the_last_days(organization, club):
    rollups.roll_up_organization(organization)
    club.write(1, 60)  # a late, backdated transaction of yesterday
    assert rollups.roll_up_organization(organization) == rollups.RECOMPUTE_DAYS
    assert chart(organization)[-2] == (60, 0, 0)
    yesterday = timezone.now().date() - dt.timedelta(days=1)
    assert PointsDailyTotal.objects.get(organization=organization, day=yesterday).issued == 60


def test_a_day_the_task_has_not_summed_is_read_live(organization, club):
    rollups.roll_up_organization(organization)
    three_days_ago = timezone.now().date() - dt.timedelta(days=3)
    PointsDailyTotal.objects.filter(day=three_days_ago).delete()
    assert chart(organization)[-4] == (40, 15, 0)
