"""Calendar arithmetic of tier periods (loyalty.periods, on dateutil's relativedelta): month ends,
leap days, year ends and DST, and what the tier rules make of them."""

import datetime as dt

import pytest

from loyalty import ledger, periods
from loyalty.models import TierAssignment

from .conftest import days


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "expected"),
    [
        # the day is kept where the month has it and clamped to the month's end where not
        (utc(2026, 1, 31, 12), 1, "MONTH", utc(2026, 2, 28, 12)),
        (utc(2028, 1, 31, 12), 1, "MONTH", utc(2028, 2, 29, 12)),  # a leap year
        (utc(2026, 3, 31, 12), 1, "MONTH", utc(2026, 4, 30, 12)),
        (utc(2026, 1, 30, 12), 1, "MONTH", utc(2026, 2, 28, 12)),
        (utc(2026, 1, 31, 12), 2, "MONTH", utc(2026, 3, 31, 12)),  # not 28 March
        (utc(2026, 1, 31, 12), 13, "MONTH", utc(2027, 2, 28, 12)),
        (utc(2026, 2, 28, 12), 1, "MONTH", utc(2026, 3, 28, 12)),
        (utc(2026, 11, 30, 12), 3, "MONTH", utc(2027, 2, 28, 12)),  # across the year end
        (utc(2026, 12, 15), 1, "MONTH", utc(2027, 1, 15)),
        (utc(2026, 3, 31, 12), -1, "MONTH", utc(2026, 2, 28, 12)),
        (utc(2026, 1, 31, 12), -2, "MONTH", utc(2025, 11, 30, 12)),
        # years: 29 February falls on 28 February, and back on 29 February four years on
        (utc(2028, 2, 29, 12), 1, "YEAR", utc(2029, 2, 28, 12)),
        (utc(2028, 2, 29, 12), 4, "YEAR", utc(2032, 2, 29, 12)),
        (utc(2028, 2, 29, 12), -1, "YEAR", utc(2027, 2, 28, 12)),
        (utc(2026, 1, 31, 12), 100, "YEAR", utc(2126, 1, 31, 12)),
        # days and hours are not calendar months
        (utc(2026, 1, 31, 12), 30, "DAY", utc(2026, 3, 2, 12)),
        (utc(2026, 2, 28, 23), 2, "HOUR", utc(2026, 3, 1, 1)),
    ],
)
def test_add_period_in_utc(start, amount, unit, expected):
    assert periods.add_period(start, amount, unit) == expected


def test_subtract_period_is_add_period_backwards():
    assert periods.subtract_period(utc(2026, 3, 31, 12), 1, "MONTH") == utc(2026, 2, 28, 12)
    assert periods.subtract_period(utc(2029, 2, 28), 1, "YEAR") == utc(2028, 2, 28)


def test_months_move_the_calendar_date_of_the_programs_time_zone():
    # 31 Jan 23:30 in UTC is already 1 February in Paris: + 1 month is 1 March there
    start = utc(2026, 1, 31, 23, 30)
    assert periods.add_period(start, 1, "MONTH", "Europe/Paris") == utc(2026, 2, 28, 23, 30)
    # and 28 February in UTC, had the program been on UTC
    assert periods.add_period(start, 1, "MONTH", "UTC") == utc(2026, 2, 28, 23, 30)
    # 31 Jan 00:30 in Paris is 30 Jan 23:30 UTC: the month is counted from 31 January
    paris_31st = utc(2026, 1, 30, 23, 30)
    assert periods.add_period(paris_31st, 1, "MONTH", "Europe/Paris") == utc(2026, 2, 27, 23, 30)


def test_months_and_days_keep_the_wall_clock_time_across_dst():
    # 12:00 in Paris: CET (UTC+1) in March before the change, CEST (UTC+2) after it
    start = utc(2026, 3, 1, 11)
    assert periods.add_period(start, 1, "MONTH", "Europe/Paris") == utc(2026, 4, 1, 10)
    assert periods.add_period(start, 31, "DAY", "Europe/Paris") == utc(2026, 4, 1, 10)
    # an hour is an hour, whatever the clocks do
    assert periods.add_period(utc(2026, 3, 29, 0, 30), 2, "HOUR", "Europe/Paris") == utc(
        2026, 3, 29, 2, 30
    )


def test_a_year_keeps_the_occurrence_of_a_repeated_hour():
    # 25 Oct 2026 and 25 Oct 2037 are both the night Paris clocks go back: 02:30 happens twice
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)  # CEST, then CET
    assert periods.add_period(first, 11, "YEAR", "Europe/Paris") == utc(2037, 10, 25, 0, 30)
    assert periods.add_period(second, 11, "YEAR", "Europe/Paris") == utc(2037, 10, 25, 1, 30)
    assert periods.add_period(second, 132, "MONTH", "Europe/Paris") == utc(2037, 10, 25, 1, 30)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (utc(2026, 2, 10, 12), "MONTH", utc(2026, 3, 1)),
        (utc(2026, 12, 10, 12), "MONTH", utc(2027, 1, 1)),  # December ends in January
        (utc(2026, 3, 1), "MONTH", utc(2026, 3, 1)),  # already the start: unchanged
        (utc(2028, 2, 29, 1), "DAY", utc(2028, 3, 1)),
        (utc(2026, 7, 4, 9), "YEAR", utc(2027, 1, 1)),
        (utc(2026, 7, 4, 9, 5), "HOUR", utc(2026, 7, 4, 10)),
    ],
)
def test_round_up_to_the_end_of_the_unit(value, unit, expected):
    assert periods.round_up(value, unit) == expected


def test_round_up_in_the_programs_time_zone():
    # 10 Feb 12:00 UTC: the month ends at midnight 1 March, Paris time (23:00 UTC)
    assert periods.round_up(utc(2026, 2, 10, 12), "MONTH", "Europe/Paris") == utc(2026, 2, 28, 23)


@pytest.mark.parametrize(
    ("after", "dates", "expected"),
    [
        (utc(2026, 1, 10), [{"day": 29, "month": 2}], utc(2026, 2, 28)),  # no 29th this year
        (utc(2028, 1, 10), [{"day": 29, "month": 2}], utc(2028, 2, 29)),
        (utc(2026, 2, 28), [{"day": 29, "month": 2}], utc(2027, 2, 28)),  # strictly after
        (utc(2026, 7, 1), [{"day": 30, "month": 6}, {"day": 31, "month": 12}], utc(2026, 12, 31)),
        (utc(2026, 12, 31), [{"day": 30, "month": 6}, {"day": 31, "month": 12}], utc(2027, 6, 30)),
    ],
)
def test_next_calendar_date(after, dates, expected):
    assert periods.next_calendar_date(after, dates) == expected


def test_unknown_units_are_refused():
    with pytest.raises(ValueError, match="WEEK"):
        periods.add_period(utc(2026, 1, 1), 1, "WEEK")
    with pytest.raises(ValueError, match="WEEK"):
        periods.round_up(utc(2026, 1, 1), "WEEK")


# -- what the tier rules make of it ---------------------------------------------------------


@pytest.mark.django_db
def test_a_rolling_month_reached_on_31_january_ends_on_28_february(
    program, profile, make_structure
):
    make_structure(
        downgrade_type="MULTI_LEVEL",
        expiration_type="ROLLING",
        expiration_period_value=1,
        expiration_period_unit="MONTH",
    )
    reached = utc(2026, 1, 31, 12)
    ledger.earn_points(
        program=program, profile=profile, amount=600, now=reached, expires_at=reached + days(365)
    )
    assert TierAssignment.objects.get().expires_at == utc(2026, 2, 28, 12)


@pytest.mark.django_db
def test_a_months_grace_from_31_january_ends_on_the_last_day_of_february(
    program, profile, make_structure
):
    make_structure(downgrade_type="MULTI_LEVEL", grace_period_value=1, grace_period_unit="MONTH")
    at = utc(2028, 1, 31, 12)  # 2028 is a leap year
    ledger.earn_points(
        program=program, profile=profile, amount=600, now=at, expires_at=at + days(365)
    )
    ledger.spend_points(program=program, profile=profile, amount=600, now=at)
    assert TierAssignment.objects.get().downgrade_at == utc(2028, 2, 29, 12)
