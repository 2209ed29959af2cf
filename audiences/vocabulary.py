"""What the admin's rule builder offers for one organization: every rule field by a name a
person reads (profile fields, the attribute names seen in the organization's data, each
program's points, tier and registered fields), the operators its type takes, and the values
to pick from where there is a list (tiers by name, groups by name, states). The stored rule
format is unchanged: the builder writes the same `{field, operator, values, condition_group}`
the API takes (audiences.rules)."""

from django.db import connection

from customers.models import CustomerProfile
from loyalty.models import LoyaltyProgram, Tier

from .rules import ALLOWED, DATETIME_FIELDS, OPERATORS, REGISTERED_FIELDS, TEXT_FIELDS

LABELS = {
    "integration_id": "Integration id",
    "email": "Email",
    "msisdn": "Mobile number",
    "first_name": "First name",
    "last_name": "Last name",
    "created_at": "Profile created",
    "updated_at": "Profile updated",
}
OPERATOR_LABELS = {
    "eq": "is",
    "neq": "is not",
    "in": "is any of",
    "not_in": "is none of",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "between": "is between",
    "contains": "contains",
    "exists": "is set",
    "not_exists": "is not set",
    "all": "has all of",
}
# Other subjects' fields, registered by the apps above (campaigns: "earning", a session's
# and an event's facts): {subject: fields(organization) → [field dict]}.
SUBJECTS: dict = {}


def register_subject(name: str, fields) -> None:
    SUBJECTS[name] = fields


ATTRIBUTE_SAMPLE = 10_000  # the newest profiles whose attribute names are offered
MAX_ATTRIBUTES = 200


def _operators(allowed) -> list[str]:
    return [op for op in OPERATORS if op in allowed]


def attribute_names(organization) -> list[str]:
    """Attribute names of the organization's newest profiles, sorted (one query)."""
    table = CustomerProfile._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT jsonb_object_keys(attributes) AS name FROM (SELECT attributes FROM {table} "  # noqa: E501, S608
            "WHERE organization_id = %s ORDER BY created_at DESC LIMIT %s) p ORDER BY name LIMIT %s"
        )
        params = [organization.pk, ATTRIBUTE_SAMPLE, MAX_ATTRIBUTES]
    else:
        sql = (
            f"SELECT DISTINCT j.key AS name FROM (SELECT attributes FROM {table} "  # noqa: S608
            "WHERE organization_id = %s ORDER BY created_at DESC LIMIT %s) p, "
            "json_each(p.attributes) j ORDER BY name LIMIT %s"
        )
        params = [organization.pk.hex, ATTRIBUTE_SAMPLE, MAX_ATTRIBUTES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def rule_fields(organization) -> list[dict]:
    """[{value, label, group, kind, operators, choices}] for the builder's field picker."""
    fields = [
        {"value": name, "label": LABELS[name], "group": "Customer", "kind": "text",
         "operators": _operators(ALLOWED["text"])}
        for name in TEXT_FIELDS
    ] + [
        {"value": name, "label": LABELS[name], "group": "Customer", "kind": "datetime",
         "operators": _operators(ALLOWED["datetime"])}
        for name in DATETIME_FIELDS
    ] + [
        {"value": f"attributes.{name}", "label": name, "group": "Attributes", "kind": "json",
         "operators": _operators(ALLOWED["json"])}
        for name in attribute_names(organization)
    ]  # fmt: skip
    programs = list(LoyaltyProgram.objects.filter(organization=organization).order_by("name"))
    tiers: dict = {}
    for program_id, name in (
        Tier.objects.filter(organization=organization)
        .order_by("structure__program_id", "order")
        .values_list("structure__program_id", "name")
    ):
        names = tiers.setdefault(program_id, [])
        if name not in names:
            names.append(name)
    for program in programs:
        group = f"Program: {program.name}"
        fields.append(
            {"value": f"loyalty.points.{program.pk}", "label": f"Points in {program.name}",
             "group": group, "kind": "number", "operators": _operators(ALLOWED["number"])}
        )  # fmt: skip
        fields.append(
            {"value": f"loyalty.tier.{program.pk}", "label": f"Tier in {program.name}",
             "group": group, "kind": "choice", "operators": _operators(ALLOWED["tier"]),
             "choices": [[name, name] for name in tiers.get(program.pk, [])]}
        )  # fmt: skip
        for registered in REGISTERED_FIELDS.values():
            if registered.takes_program:
                fields.append(_registered(registered, organization, program, group))
    for registered in REGISTERED_FIELDS.values():
        if not registered.takes_program:
            fields.append(_registered(registered, organization, None, "Audiences and groups"))
    return fields


def _registered(registered, organization, program, group) -> dict:
    label = registered.label or registered.name
    choices = (
        [[str(v), str(text)] for v, text in registered.choices(
            organization=organization, program=program)]
        if registered.choices else None
    )  # fmt: skip
    return {
        "value": f"{registered.name}{program.pk}" if program else registered.name,
        "label": f"{label} {program.name}" if program else label,
        "group": group,
        "kind": "choice" if choices is not None else "text",
        "operators": _operators(registered.operators),
        "choices": choices,
    }


def vocabulary(organization, subject: str = "") -> dict:
    """The fields of audience rules, and those of `subject` first when one is named."""
    extra = SUBJECTS[subject](organization) if subject else []
    return {"fields": [*extra, *rule_fields(organization)], "operators": OPERATOR_LABELS}
