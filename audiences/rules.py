"""The rule compiler: audience rules -> one queryset over customer profiles (one SQL query).

Fields
- profile columns: integration_id, email, msisdn, first_name, last_name (text) and
  created_at, updated_at (date-times, ISO 8601 values);
- `attributes.<key>`: a custom attribute (JSON scalars);
- `loyalty.points.<program id>`: the active points of the profile's main ledger in a
  profile-based program (0 without an account);
- `loyalty.tier.<program id>`: the name of the tier the profile holds in the program's active
  tier structure;
- `audiences`: the ids of the audiences the profile is in (audiences/rule_fields.py);
- fields registered by the apps above audiences (`register_rule_field`): memberships adds
  `membership.state.<program id>` and `member_groups` (memberships/rule_fields.py).
Operators: eq, neq, in, not_in, gt, gte, lt, lte, between, contains, exists, not_exists. Rules
with the same `condition_group` are ANDed; the groups are ORed. `neq`/`not_in` also match
profiles that lack the value (an attribute that is not set, no tier).
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Exists, F, Func, OuterRef, Q, Subquery, Value
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.validators import INT64_MAX, INT64_MIN, is_clean_text, unstorable_json_reason
from customers.models import CustomerProfile
from customers.validators import is_valid_attribute_key
from loyalty.models import LoyaltyProgram, PointsAccount, TierAssignment, TierStructure

TEXT_FIELDS = ("integration_id", "email", "msisdn", "first_name", "last_name")
DATETIME_FIELDS = ("created_at", "updated_at")
OPERATORS = (
    "eq",
    "neq",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "contains",
    "exists",
    "not_exists",
)
ALLOWED = {
    "text": {"eq", "neq", "in", "not_in", "contains", "exists", "not_exists"},
    "datetime": {"gt", "gte", "lt", "lte", "between"},
    "json": set(OPERATORS),
    "number": {"eq", "neq", "in", "not_in", "gt", "gte", "lt", "lte", "between"},
    "tier": {"eq", "neq", "in", "not_in", "exists", "not_exists"},
}
MAX_VALUES = 1000
MAX_VALUE_LENGTH = 500
MAX_RULES = 100


@dataclass(frozen=True)
class Rule:
    field: str
    operator: str
    values: list
    condition_group: int = 0
    position: int = 0

    @classmethod
    def of(cls, item) -> "Rule":
        get = item.get if isinstance(item, Mapping) else lambda k, d=None: getattr(item, k, d)
        return cls(
            field=get("field"),
            operator=get("operator"),
            values=get("values", []),
            condition_group=get("condition_group", 0) or 0,
            position=get("position", 0) or 0,
        )


@dataclass(frozen=True)
class Compiled:
    condition: Q
    annotations: dict


class RuleError(ValidationError):
    pass


@dataclass(frozen=True)
class RuleField:
    """Rule fields another app contributes, registered in its `AppConfig.ready()` (audiences
    never imports the apps above it). `name` is a field name, or a prefix ending in "." that
    is followed by a loyalty program id (`membership.state.<program id>`).

    `check_values(values)` answers a message or None; `compile(operator=, values=,
    organization=, program=)` answers a Q over customer profiles (`program` is the
    organization's program named by the field, for prefixes)."""

    name: str
    operators: frozenset
    check_values: Callable[[list], str | None]
    compile: Callable[..., Q]
    # for the admin's rule builder (audiences.vocabulary): what the field is called, and the
    # values it offers: choices(organization=, program=) → [(value, label)], or None
    label: str = ""
    choices: Callable[..., list] | None = None

    @property
    def takes_program(self) -> bool:
        return self.name.endswith(".")


def check_ids(values: list, noun: str) -> str | None:
    """A RuleField's `check_values` for fields whose values are ids (`member_groups`,
    `audiences`)."""
    try:
        [uuid.UUID(str(v)) for v in values]
    except ValueError:
        return f"values must be {noun} ids."
    return None


REGISTERED_FIELDS: dict[str, RuleField] = {}


def register_rule_field(field: RuleField) -> RuleField:
    REGISTERED_FIELDS[field.name] = field
    return field


def _registered(field: str):
    """(RuleField, program id or None) for a registered field name, else None."""
    if field in REGISTERED_FIELDS and not field.endswith("."):
        return REGISTERED_FIELDS[field], None
    for name, registered in REGISTERED_FIELDS.items():
        if registered.takes_program and field.startswith(name):
            try:
                return registered, uuid.UUID(field.removeprefix(name))
            except ValueError:
                return None
    return None


def _fail(index: int, rule: Rule, message: str):
    raise RuleError({"rules": [f"Rule {index + 1} ({rule.field} {rule.operator}): {message}"]})


def _field_kind(field: str):
    """(kind, detail) of a field name, or None if unknown."""
    if field in TEXT_FIELDS:
        return "text", field
    if field in DATETIME_FIELDS:
        return "datetime", field
    if field.startswith("attributes."):
        key = field.removeprefix("attributes.")
        return ("json", key) if is_valid_attribute_key(key) else None
    if registered := _registered(field):
        return registered
    for prefix, kind in (
        ("loyalty.points.", "number"),
        ("loyalty.tier.", "tier"),
    ):
        if field.startswith(prefix):
            try:
                return kind, uuid.UUID(field.removeprefix(prefix))
            except ValueError:
                return None
    return None


def _arity_error(operator: str, values: list) -> str | None:
    count = len(values)
    if operator in ("exists", "not_exists"):
        return None if count == 0 else "takes no values."
    if operator == "between":
        return None if count == 2 else "needs exactly two values (from, to)."
    if operator in ("in", "not_in"):
        return None if 1 <= count <= MAX_VALUES else f"needs 1 to {MAX_VALUES:,} values."
    return None if count == 1 else "needs exactly one value."


def _check_values(kind: str, values: list) -> str | None:
    for value in values:
        if isinstance(value, str) and (len(value) > MAX_VALUE_LENGTH or not is_clean_text(value)):
            return f"text values are at most {MAX_VALUE_LENGTH} characters of valid text."
    if isinstance(kind, RuleField):
        return kind.check_values(values)
    if kind in ("text", "tier"):
        if not all(isinstance(v, str) for v in values):
            return "values must be text."
    elif kind == "number":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "values must be whole numbers."
        if not all(INT64_MIN <= v <= INT64_MAX for v in values):
            return "values must fit in 64 bits."
    elif kind == "json":
        if not all(isinstance(v, str | int | float | bool) for v in values):
            return "values must be text, numbers or true/false."
        if reason := unstorable_json_reason(values):
            return reason
    return None


def _parse_moment(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = dt.datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00
        return None


# (is PostgreSQL) -> kind -> the type names jsonb_typeof / JSON_TYPE report
JSON_TYPES = {
    True: {"number": ["number"], "text": ["string"]},
    False: {"number": ["integer", "real"], "text": ["text"]},
}


def _json_type(key: str) -> Func:
    if connection.vendor == "postgresql":
        return Func(
            KeyTransform(key, "attributes"), function="jsonb_typeof", output_field=CharField()
        )
    # the key is a validated attribute name (letters, digits, '_', '-'), safe in a JSON path
    return Func(
        F("attributes"), Value(f'$."{key}"'), function="JSON_TYPE", output_field=CharField()
    )


EQUALITY = ("eq", "neq", "in", "not_in")


def _equality(lookup: str, operator: str, values: list) -> Q:
    """eq, neq, in or not_in on a column or an annotation."""
    one = operator in ("eq", "neq")
    q = Q(**{lookup: values[0]}) if one else Q(**{f"{lookup}__in": values})
    return q if operator in ("eq", "in") else ~q


def _ordered(lookup: str, operator: str, values: list) -> Q:
    if operator == "between":
        return Q(**{f"{lookup}__gte": values[0], f"{lookup}__lte": values[1]})
    return Q(**{f"{lookup}__{operator}": values[0]})


def _compile_one(index: int, rule: Rule, organization, annotations: dict) -> Q:
    kind_detail = _field_kind(rule.field or "")
    if kind_detail is None:
        _fail(index, rule, "unknown field.")
    kind, detail = kind_detail
    if rule.operator not in OPERATORS:
        _fail(index, rule, f"unknown operator (use one of {', '.join(OPERATORS)}).")
    allowed = kind.operators if isinstance(kind, RuleField) else ALLOWED[kind]
    if rule.operator not in allowed:
        kind_name = kind.name.rstrip(".") if isinstance(kind, RuleField) else kind
        _fail(index, rule, f"this operator does not apply to {kind_name} fields.")
    values = rule.values
    if not isinstance(values, list):
        _fail(index, rule, "values must be a list.")
    if message := _arity_error(rule.operator, values) or _check_values(kind, values):
        _fail(index, rule, message)
    op = rule.operator

    if kind == "text":
        field = detail
        if field == "email":
            values = [v.lower() for v in values]
        if op in EQUALITY:
            return _equality(field, op, values)
        if op == "contains":
            return Q(**{f"{field}__icontains": values[0]})
        return ~Q(**{field: ""}) if op == "exists" else Q(**{field: ""})

    if kind == "datetime":
        moments = [_parse_moment(v) for v in values]
        if any(m is None for m in moments):
            _fail(index, rule, "values must be ISO 8601 dates or date-times.")
        if op == "between" and moments[0] > moments[1]:
            _fail(index, rule, "the first value must not be after the second.")
        return _ordered(detail, op, moments)

    if kind == "json":
        lookup = f"attributes__{detail}"
        has = Q(attributes__has_key=detail)
        if op == "exists":
            return has
        if op == "not_exists":
            return ~has
        if op in ("gt", "gte", "lt", "lte", "between"):
            kinds = {"text" if isinstance(v, str) else "number" for v in values}
            if len(kinds) > 1 or any(isinstance(v, bool) for v in values):
                _fail(index, rule, "compare with numbers or with text, not a mix or true/false.")
            if op == "between" and values[0] > values[1]:
                _fail(index, rule, "the first value must not be above the second.")
            # only values of the same JSON type compare (a number never matches text)
            name = f"_type_{index}"
            annotations[name] = _json_type(detail)
            wanted = JSON_TYPES[connection.vendor == "postgresql"][kinds.pop()]
            return has & Q(**{f"{name}__in": wanted}) & _ordered(lookup, op, values)
        if op == "contains":
            if not isinstance(values[0], str):
                _fail(index, rule, "contains needs a text value.")
            return has & Q(**{f"{lookup}__icontains": values[0]})
        matches = (
            Q(**{lookup: values[0]}) if op in ("eq", "neq") else Q(**{f"{lookup}__in": values})
        )
        if op in ("eq", "in"):
            return has & matches
        return ~(has & matches)

    if isinstance(kind, RuleField) and not kind.takes_program:
        return kind.compile(operator=op, values=values, organization=organization, program=None)

    program = LoyaltyProgram.objects.filter(organization=organization, pk=detail).first()
    if program is None:
        _fail(index, rule, "no such loyalty program.")
    if isinstance(kind, RuleField):
        return kind.compile(operator=op, values=values, organization=organization, program=program)
    if program.kind != LoyaltyProgram.Kind.PROFILE:
        _fail(index, rule, "a card-based program ranks cards, not customer profiles.")

    if kind == "number":
        if op == "between" and values[0] > values[1]:
            _fail(index, rule, "the first value must not be above the second.")
        name = f"_points_{program.pk.hex}"
        annotations[name] = Coalesce(
            Subquery(
                PointsAccount.objects.filter(
                    program_id=program.pk, profile=OuterRef("pk"), subledger_id=""
                ).values("active_points")[:1]
            ),
            Value(0),
        )
        if op in EQUALITY:
            return _equality(name, op, values)
        return _ordered(name, op, values)

    # tier
    held = TierAssignment.objects.filter(
        account__profile=OuterRef("pk"),
        account__program_id=program.pk,
        account__subledger_id="",
        structure__status=TierStructure.Status.ACTIVE,
        tier__isnull=False,
    )
    if op in ("exists", "not_exists"):
        return Q(Exists(held)) if op == "exists" else ~Q(Exists(held))
    names = values if op in ("in", "not_in") else values[:1]
    in_tier = Q(Exists(held.filter(tier__name__in=names)))
    return in_tier if op in ("eq", "in") else ~in_tier


def compile_rules(*, organization, rules: Iterable) -> Compiled:
    """Validate and compile rules; raises ValidationError {"rules": ["Rule 2 (…): …"]}."""
    specs = [Rule.of(item) for item in rules]
    if len(specs) > MAX_RULES:
        raise RuleError({"rules": [f"At most {MAX_RULES} rules per audience."]})
    annotations: dict = {}
    groups: dict[int, Q] = {}
    for index, rule in enumerate(specs):
        if not isinstance(rule.condition_group, int) or rule.condition_group < 0:
            _fail(index, rule, "condition_group must be a whole number from 0.")
        q = _compile_one(index, rule, organization, annotations)
        groups[rule.condition_group] = groups.get(rule.condition_group, Q()) & q
    condition = Q()
    for q in groups.values():
        condition |= q
    return Compiled(condition=condition, annotations=annotations)


def matching_profiles(*, organization, rules: Iterable):
    """The profiles the rules select (none when there are no rules), as a queryset."""
    rules = list(rules)
    profiles = CustomerProfile.objects.filter(organization=organization)
    if not rules:
        return profiles.none()
    compiled = compile_rules(organization=organization, rules=rules)
    if compiled.annotations:
        profiles = profiles.annotate(**compiled.annotations)
    return profiles.filter(compiled.condition)
