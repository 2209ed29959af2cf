"""Business rules shared by the tier services, the API and the admin: a tier structure's
settings fit together, a ladder's ranges do not overlap, metadata is storable JSON."""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError

from core.ranges import Rung, ladder_errors
from core.validators import unstorable_json_reason
from loyalty.models import Tier, TierStructure

# the longest period accepted per unit: a hundred years
MAX_PERIOD = {"HOUR": 876_000, "DAY": 36_500, "MONTH": 1_200, "YEAR": 100}


def validate_metadata(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError({"metadata": "Metadata must be a JSON object."})
    if reason := unstorable_json_reason(value):
        raise ValidationError({"metadata": reason})


def _period_errors(value, unit, value_field: str, unit_field: str, what: str) -> dict:
    errors = {}
    if value is None:
        errors[value_field] = f"{what} needs a period value."
    elif value < 1:
        errors[value_field] = f"{what} period must be at least 1."
    elif unit in MAX_PERIOD and value > MAX_PERIOD[unit]:
        errors[value_field] = f"{what} period is at most {MAX_PERIOD[unit]:,} {unit}s."
    if not unit:
        errors[unit_field] = f"{what} needs a period unit (HOUR, DAY, MONTH or YEAR)."
    return errors


def _validate_calendar_dates(dates) -> None:
    if not isinstance(dates, list) or not dates:
        raise ValidationError({"calendar_dates": "Calendar expiration needs at least one date."})
    seen = set()
    for index, item in enumerate(dates):
        label = f"Date {index + 1}"
        if not isinstance(item, dict) or set(item) != {"day", "month"}:
            raise ValidationError({"calendar_dates": f"{label}: use {{'day': D, 'month': M}}."})
        day, month = item["day"], item["month"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (day, month)):
            raise ValidationError({"calendar_dates": f"{label}: day and month are whole numbers."})
        try:
            dt.date(2024, month, day)  # a leap year, so 29 February is a real date
        except ValueError:
            raise ValidationError(
                {"calendar_dates": f"{label}: {day}/{month} is not a real date (day/month)."}
            ) from None
        if (day, month) in seen:
            raise ValidationError({"calendar_dates": f"{label}: {day}/{month} is listed twice."})
        seen.add((day, month))


def validate_tier_structure(structure: TierStructure) -> None:
    """Cross-field rules of a tier structure's settings (Voucherify semantics)."""
    errors: dict[str, str] = {}
    T, E, D = TierStructure.Type, TierStructure.ExpirationType, TierStructure.DowngradeType
    name = (structure.name or "").strip()
    if not name:
        errors["name"] = "Give the tier structure a name (1 to 200 characters)."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."

    earned = (
        structure.point_earned_period_value,
        structure.point_earned_period_unit,
        structure.point_earned_type,
    )
    if structure.type == T.POINT_EARNED:
        errors.update(
            _period_errors(
                earned[0],
                earned[1],
                "point_earned_period_value",
                "point_earned_period_unit",
                "POINT_EARNED",
            )
        )
        if not structure.point_earned_type:
            structure.point_earned_type = TierStructure.PointEarnedType.IMMEDIATELY
    elif any(earned):
        errors["point_earned"] = "point_earned must be empty when type is POINT_BALANCE."

    kind = structure.expiration_type
    period = (structure.expiration_period_value, structure.expiration_period_unit)
    if kind in (E.ROLLING, E.SLIDING):
        errors.update(
            _period_errors(
                *period, "expiration_period_value", "expiration_period_unit", f"{kind} expiration"
            )
        )
    elif any(v is not None and v != "" for v in period):
        errors["expiration_period_value"] = f"{kind} expiration takes no period."
    if kind == E.CALENDAR:
        try:
            _validate_calendar_dates(structure.calendar_dates)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    elif structure.calendar_dates:
        errors["calendar_dates"] = "Calendar dates are used by CALENDAR expiration only."
    sliding_flags = (
        structure.sliding_earning_activity,
        structure.sliding_spending_activity,
        structure.sliding_custom_activity,
    )
    types = structure.sliding_custom_activity_types
    if kind == E.SLIDING:
        if not any(sliding_flags):
            errors["sliding_earning_activity"] = (
                "SLIDING expiration needs at least one kind of activity that extends the tier."
            )
        if not isinstance(types, list) or not all(
            isinstance(t, str) and 0 < len(t.strip()) <= 100 for t in types
        ):
            errors["sliding_custom_activity_types"] = (
                "Custom activity types are a list of names (1 to 100 characters)."
            )
        elif structure.sliding_custom_activity and not types:
            errors["sliding_custom_activity_types"] = (
                "Name the custom activity types that count as activity."
            )
        elif types and not structure.sliding_custom_activity:
            errors["sliding_custom_activity_types"] = (
                "Custom activity types need custom activity turned on."
            )
    elif any(sliding_flags) or types:
        errors["sliding_earning_activity"] = (
            "Activity settings are used by SLIDING expiration only."
        )

    grace = (structure.grace_period_value, structure.grace_period_unit)
    if structure.downgrade_type == D.NO_DOWNGRADE and (any(v for v in grace)):
        errors["grace_period_value"] = (
            "A grace period needs a downgrade type other than NO_DOWNGRADE."
        )
    elif grace[0] is not None or grace[1]:
        errors.update(
            _period_errors(*grace, "grace_period_value", "grace_period_unit", "The grace period")
        )
    if (
        structure.downgrade_type == D.ONE_LEVEL
        and kind == E.NO_EXPIRATION
        and grace[0] is None
        and "grace_period_value" not in errors
    ):
        errors["downgrade_type"] = (
            "ONE_LEVEL needs an expiration rule or a grace period to pace the steps; without "
            "one it is the same as MULTI_LEVEL."
        )
    try:
        validate_metadata(structure.metadata)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


def validate_tiers(tiers: Sequence[Tier]) -> None:
    """Orders unique, ranges well-formed and not overlapping; errors name the other tier.

    Raises ValidationError {"tiers": [...]} where each message starts with the tier's position
    ("Tier 2 (“Silver”): …") so callers can point at the row.
    """
    rungs = [Rung(t.name, t.order, t.min_points, t.max_points) for t in tiers]
    if errors := ladder_errors(rungs):
        raise ValidationError({"tiers": errors})
