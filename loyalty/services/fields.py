"""The model columns each service writes. The admin's forms and fieldsets and the API's error
mapping read the same lists, so a new column is added in one place."""

from collections.abc import Iterable, Mapping

PROGRAM_FIELDS = (
    "name",
    "description",
    "kind",
    "points_validity_days",
    "pending_days",
    "allow_negative_balance",
    "subledgers_allowed",
    "timezone",
    "status",
)

# a tier structure's settings, in the groups the API nests them in (`point_earned`,
# `expiration`, `downgrade`) and the admin shows them in
POINT_EARNED_FIELDS = (
    "point_earned_period_value",
    "point_earned_period_unit",
    "point_earned_type",
)
EXPIRATION_FIELDS = (
    "expiration_type",
    "expiration_period_value",
    "expiration_period_unit",
    "calendar_dates",
    "sliding_earning_activity",
    "sliding_spending_activity",
    "sliding_custom_activity",
    "sliding_custom_activity_types",
)
DOWNGRADE_FIELDS = (
    "downgrade_type",
    "grace_period_value",
    "grace_period_unit",
    "grace_period_round_up",
)
STRUCTURE_FIELDS = (
    "name",
    "type",
    *POINT_EARNED_FIELDS,
    *EXPIRATION_FIELDS,
    *DOWNGRADE_FIELDS,
    "metadata",
)

TIER_FIELDS = ("name", "order", "min_points", "max_points", "icon_name", "benefits", "metadata")


def set_fields(obj, data: Mapping, fields: Iterable[str]) -> None:
    """Copy the `fields` present in `data` onto `obj` (absent ones stay as they are)."""
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])
