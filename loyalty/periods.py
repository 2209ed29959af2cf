"""Calendar arithmetic for tier periods (HOUR | DAY | MONTH | YEAR), in a program's time zone.

Months and years go through `dateutil.relativedelta`, which keeps the day of the month where
it exists and clamps it to the month's last day where it does not (31 January + 1 month =
28 or 29 February; 29 February + 1 year = 28 February)."""

import datetime as dt
import zoneinfo

from dateutil.relativedelta import relativedelta

CALENDAR_STEPS = {
    "DAY": lambda n: relativedelta(days=n),
    "MONTH": lambda n: relativedelta(months=n),
    "YEAR": lambda n: relativedelta(years=n),
}
_MIDNIGHT = {"hour": 0, "minute": 0, "second": 0, "microsecond": 0}
# what the start of each unit resets
UNIT_START = {
    "HOUR": {"minute": 0, "second": 0, "microsecond": 0},
    "DAY": _MIDNIGHT,
    "MONTH": {"day": 1, **_MIDNIGHT},
    "YEAR": {"month": 1, "day": 1, **_MIDNIGHT},
}


def _shift(local: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """A naive wall-clock time moved by `amount` days, months or years."""
    try:
        moved = local + CALENDAR_STEPS[unit](amount)
    except KeyError:
        raise ValueError(f"unknown period unit {unit!r}") from None
    if unit != "DAY":
        # a month or year moves the date only: an ambiguous wall-clock time (the hour a DST
        # change repeats) stays the occurrence it was (relativedelta would reset `fold`)
        moved = moved.replace(fold=local.fold)
    return moved


def add_period(value: dt.datetime, amount: int, unit: str, tz: str = "UTC") -> dt.datetime:
    """`value` + `amount` units; days, months and years move the calendar date in `tz` (31 Jan
    + 1 month = 28/29 Feb) and keep the wall-clock time."""
    if unit == "HOUR":
        return value + dt.timedelta(hours=amount)
    zone = zoneinfo.ZoneInfo(tz)
    local = value.astimezone(zone).replace(tzinfo=None)
    # on the naive wall-clock time, then the zone again: a DST change between the two dates
    # keeps the wall-clock time
    return _shift(local, amount, unit).replace(tzinfo=zone).astimezone(dt.UTC)


def subtract_period(value: dt.datetime, amount: int, unit: str, tz: str = "UTC") -> dt.datetime:
    return add_period(value, -amount, unit, tz)


def round_up(value: dt.datetime, unit: str, tz: str = "UTC") -> dt.datetime:
    """The end of the `unit` that contains `value` (start of the next one), in `tz`."""
    if unit not in UNIT_START:
        raise ValueError(f"unknown period unit {unit!r}")
    zone = zoneinfo.ZoneInfo(tz)
    local = value.astimezone(zone).replace(tzinfo=None)
    start = local.replace(**UNIT_START[unit])
    if start == local:
        end = start
    elif unit == "HOUR":
        end = start + dt.timedelta(hours=1)
    else:
        end = _shift(start, 1, unit)
    return end.replace(tzinfo=zone).astimezone(dt.UTC)


def next_calendar_date(after: dt.datetime, dates: list[dict], tz: str = "UTC") -> dt.datetime:
    """The first of the calendar `dates` ({day, month}, midnight in `tz`) strictly after
    `after`. 29 February falls on 28 February in other years."""
    zone = zoneinfo.ZoneInfo(tz)
    local = after.astimezone(zone)
    candidates = []
    for year in (local.year, local.year + 1, local.year + 2):
        for item in dates:
            # the month's first day, moved to the day (relativedelta clamps it to the month)
            moment = dt.datetime(year, item["month"], 1, tzinfo=zone) + relativedelta(
                day=item["day"]
            )
            if moment > local:
                candidates.append(moment)
    return min(candidates).astimezone(dt.UTC)
