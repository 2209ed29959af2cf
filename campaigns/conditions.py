"""Earning-rule conditions: the audience rule format (`field`, `operator`, `values`,
`condition_group`; the same group ANDs, groups OR) over three subjects:

- the profile: every audience rule field (`email`, `attributes.<key>`, `loyalty.tier.<program>`,
  `loyalty.points.<program>`, `member_groups`, …), compiled by `audiences.rules` into SQL;
- the session: `session.total`, `session.items_count` (numbers), `session.skus`,
  `session.categories` (`in`: any item has one of the values; `all`: every value is in the
  cart), `session.attributes.<key>`, `session.store_id`;
- the event: `event.attributes.<key>`.

Session and event conditions are checked in Python on the request's data (no query); profile
conditions of all of a program's rules are answered by one query (engine.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from audiences.rules import Rule, compile_rules

NUMBER_FIELDS = ("session.total", "session.items_count")
SET_FIELDS = ("session.skus", "session.categories")
NUMBER_OPERATORS = {"eq", "neq", "gt", "gte", "lt", "lte", "between"}
VALUE_OPERATORS = {"eq", "neq", "in", "not_in", "exists", "not_exists"}
SET_OPERATORS = {"in", "all", "not_in"}
MAX_CONDITIONS = 50


@dataclass(frozen=True)
class Facts:
    """What session and event conditions look at."""

    total: Decimal = Decimal(0)
    items_count: int = 0
    skus: frozenset = frozenset()
    categories: frozenset = frozenset()
    session_attributes: Mapping | None = None
    store_id: str = ""
    event_attributes: Mapping | None = None


def is_profile_field(field: str) -> bool:
    return not field.startswith(("session.", "event."))


def _number(value) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _check_fact_condition(rule: Rule) -> str | None:
    field, op, values = rule.field, rule.operator, rule.values
    if field in NUMBER_FIELDS:
        if op not in NUMBER_OPERATORS:
            return f"{field} takes {', '.join(sorted(NUMBER_OPERATORS))}."
        wanted = 2 if op == "between" else 1
        if len(values) != wanted or any(_number(v) is None for v in values):
            return f"{op} on {field} needs {wanted} number(s)."
        return None
    if field in SET_FIELDS:
        if op not in SET_OPERATORS:
            return f"{field} takes in, all or not_in."
        if not values or not all(isinstance(v, str) and v for v in values):
            return f"{field} needs 1 or more names."
        return None
    if field == "session.store_id" or field.startswith(
        ("session.attributes.", "event.attributes.")
    ):
        if field.endswith("."):
            return "Name the attribute after the dot."
        if op not in VALUE_OPERATORS:
            return f"{field} takes {', '.join(sorted(VALUE_OPERATORS))}."
        if op in ("exists", "not_exists"):
            return None if not values else f"{op} takes no values."
        if not values:
            return f"{op} needs a value."
        return None
    return f"Unknown field {field!r}."


def validate_conditions(conditions, *, organization, trigger: str) -> list[Rule]:
    """The conditions as rules, or a ValidationError naming the bad one ("conditions")."""
    if not isinstance(conditions, list):
        raise ValidationError({"conditions": "Send a list of conditions."})
    if len(conditions) > MAX_CONDITIONS:
        raise ValidationError({"conditions": f"At most {MAX_CONDITIONS} conditions."})
    rules = []
    for index, item in enumerate(conditions):
        if not isinstance(item, Mapping):
            raise ValidationError({"conditions": f"Condition {index + 1}: send an object."})
        rule = Rule.of(item)
        if not isinstance(rule.field, str) or not isinstance(rule.values, list):
            raise ValidationError({"conditions": f"Condition {index + 1}: field and values."})
        if rule.field.startswith("session.") and trigger != "session_closed":
            raise ValidationError(
                {"conditions": f"Condition {index + 1}: session fields need a session trigger."}
            )
        if rule.field.startswith("event.") and trigger != "event":
            raise ValidationError(
                {"conditions": f"Condition {index + 1}: event fields need an event trigger."}
            )
        if not is_profile_field(rule.field):
            problem = _check_fact_condition(rule)
            if problem:
                raise ValidationError({"conditions": f"Condition {index + 1}: {problem}"})
        rules.append(rule)
    profile_rules = [r for r in rules if is_profile_field(r.field)]
    if profile_rules:
        try:
            compile_rules(organization=organization, rules=profile_rules)
        except ValidationError as exc:
            messages = exc.message_dict.get("rules", exc.messages)
            raise ValidationError({"conditions": messages}) from exc
    return rules


def _attribute(mapping: Mapping | None, key: str):
    return (mapping or {}).get(key)


def _value_matches(op: str, actual, values: list) -> bool:
    if op == "exists":
        return actual is not None
    if op == "not_exists":
        return actual is None
    if op in ("eq", "in"):
        return actual is not None and actual in values
    return actual is None or actual not in values  # neq, not_in


def fact_holds(rule: Rule, facts: Facts) -> bool:
    field, op, values = rule.field, rule.operator, rule.values
    if field in NUMBER_FIELDS:
        actual = facts.total if field == "session.total" else Decimal(facts.items_count)
        bounds = [_number(v) for v in values]
        return {
            "eq": lambda: actual == bounds[0],
            "neq": lambda: actual != bounds[0],
            "gt": lambda: actual > bounds[0],
            "gte": lambda: actual >= bounds[0],
            "lt": lambda: actual < bounds[0],
            "lte": lambda: actual <= bounds[0],
            "between": lambda: bounds[0] <= actual <= bounds[1],
        }[op]()
    if field in SET_FIELDS:
        present = facts.skus if field == "session.skus" else facts.categories
        if op == "all":
            return set(values) <= present
        hit = bool(set(values) & present)
        return hit if op == "in" else not hit
    if field == "session.store_id":
        return _value_matches(op, facts.store_id or None, values)
    if field.startswith("session.attributes."):
        key = field.removeprefix("session.attributes.")
        return _value_matches(op, _attribute(facts.session_attributes, key), values)
    key = field.removeprefix("event.attributes.")
    return _value_matches(op, _attribute(facts.event_attributes, key), values)


def grouped(rules: list[Rule]) -> dict[int, list[Rule]]:
    groups: dict[int, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.condition_group, []).append(rule)
    return groups
