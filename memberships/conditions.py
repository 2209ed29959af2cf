"""An automatic group's `audience_conditions`: our audience rules (`{field, operator, values,
condition_group}`), or the loyalty-club seed's items (`{type, field, value, operator,
condition_group}`, e.g. `members_group_ids` with `any`), translated to our rules. The group
keeps the items as they were sent, so it answers in the shape it was given."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError

FIELDS = {"members_group_ids": "member_groups"}  # the seed's field names → ours
OPERATORS = {"any": "in", "none": "not_in", "equals": "eq", "not_equals": "neq"}


def is_seed_item(item: Mapping) -> bool:
    return "value" in item or "type" in item or isinstance(item.get("condition_group"), str)


def as_rules(items: Sequence[Mapping]) -> list[dict]:
    """Our audience rules for `items`; the seed's named condition groups become numbers in
    the order they first appear."""
    groups: dict = {}
    rules = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValidationError({"audience_conditions": f"Item {index} is not an object."})
        if not is_seed_item(item):
            rules.append(dict(item))
            continue
        value = item.get("value", item.get("values", []))
        group = item.get("condition_group", 0)
        if not isinstance(group, int | str):
            raise ValidationError(
                {"audience_conditions": f"Item {index}: condition_group is a name or a number."}
            )
        rules.append(
            {
                "field": FIELDS.get(item.get("field"), item.get("field")),
                "operator": OPERATORS.get(item.get("operator"), item.get("operator")),
                "values": list(value) if isinstance(value, list) else [value],
                "condition_group": groups.setdefault(group, len(groups)),
            }
        )
    return rules
