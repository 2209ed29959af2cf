"""Calendar arithmetic for tier periods (HOUR | DAY | MONTH | YEAR), in a program's time zone."""

import calendar
import datetime as dt
import zoneinfo


def _add_months(value: dt.datetime, months: int) -> dt.datetime:
    month_index = value.month - 1 + months
    year, month = value.year + month_index // 12, month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def add_period(value: dt.datetime, amount: int, unit: str, tz: str = "UTC") -> dt.datetime:
    """`value` + `amount` units; months and years move the calendar date in `tz` (31 Jan + 1
    month = 28/29 Feb) and keep the wall-clock time."""
    if unit == "HOUR":
        return value + dt.timedelta(hours=amount)
    local = value.astimezone(zoneinfo.ZoneInfo(tz))
    if unit == "DAY":
        moved = local + dt.timedelta(days=amount)
    elif unit == "MONTH":
        moved = _add_months(local, amount)
    elif unit == "YEAR":
        moved = _add_months(local, 12 * amount)
    else:
        raise ValueError(f"unknown period unit {unit!r}")
    # re-attach the zone so a DST change between the two dates keeps the wall-clock time
    return moved.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(tz)).astimezone(dt.UTC)


def subtract_period(value: dt.datetime, amount: int, unit: str, tz: str = "UTC") -> dt.datetime:
    return add_period(value, -amount, unit, tz)


def round_up(value: dt.datetime, unit: str, tz: str = "UTC") -> dt.datetime:
    """The end of the `unit` that contains `value` (start of the next one), in `tz`."""
    zone = zoneinfo.ZoneInfo(tz)
    local = value.astimezone(zone).replace(tzinfo=None)
    if unit == "HOUR":
        start = local.replace(minute=0, second=0, microsecond=0)
        end = start + dt.timedelta(hours=1)
    elif unit == "DAY":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + dt.timedelta(days=1)
    elif unit == "MONTH":
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = _add_months(start, 1)
    elif unit == "YEAR":
        start = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1)
    else:
        raise ValueError(f"unknown period unit {unit!r}")
    if start == local:
        end = start
    return end.replace(tzinfo=zone).astimezone(dt.UTC)


def next_calendar_date(after: dt.datetime, dates: list[dict], tz: str = "UTC") -> dt.datetime:
    """The first of the calendar `dates` ({day, month}, midnight in `tz`) strictly after
    `after`. 29 February falls on 28 February in other years."""
    zone = zoneinfo.ZoneInfo(tz)
    local = after.astimezone(zone)
    candidates = []
    for year in (local.year, local.year + 1, local.year + 2):
        for item in dates:
            day = min(item["day"], calendar.monthrange(year, item["month"])[1])
            moment = dt.datetime(year, item["month"], day, tzinfo=zone)
            if moment > local:
                candidates.append(moment)
    return min(candidates).astimezone(dt.UTC)
