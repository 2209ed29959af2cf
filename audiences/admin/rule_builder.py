"""The rule builder's server side in a form (audiences/static/audiences/rule_builder.js): a
hidden input it fills with rules in the API's format (`{field, operator, values,
condition_group}`), read and checked here by the same compiler as the API's. Used by the
audience page (its rules) and the member group page (its automatic conditions)."""

import json

from django.core.exceptions import ValidationError
from django.urls import reverse

from audiences.rules import compile_rules

UNREADABLE = "The rule builder sent rules that cannot be read."


def attrs(*, title: str, empty: str, fallback: str = "", subject: str = "") -> dict:
    """The attributes that put the builder on a hidden input: where it asks for the fields
    and the live count, and how it introduces itself (`fallback`: the inline table it
    replaces, kept for browsers without JavaScript; `subject`: more fields, e.g. "earning"
    for a session's and an event's, whose conditions the live count leaves out)."""
    fields_url = reverse("admin:audiences_audience_rule_fields")
    result = {
        "data-rule-builder": "",
        "data-fields-url": f"{fields_url}?subject={subject}" if subject else fields_url,
        "data-preview-url": reverse("admin:audiences_audience_rule_preview"),
        "data-title": title,
        "data-empty": empty,
    }
    if fallback:
        result["data-fallback"] = fallback
    if subject:
        result["data-subject"] = subject
    return result


def parse(raw) -> list[dict] | None:
    """The posted rules, numbered in order; None when the builder did not post any (a
    browser without JavaScript)."""
    if not (raw or "").strip():
        return None
    try:
        rules = json.loads(raw)
    except ValueError:
        rules = None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValidationError(UNREADABLE)
    return [
        {"field": r.get("field"), "operator": r.get("operator"), "values": r.get("values") or [],
         "condition_group": r.get("condition_group") or 0, "position": index}
        for index, r in enumerate(rules)
    ]  # fmt: skip


def check(form, organization, rules) -> None:
    """Each problem of the rules as an error above the form (the input itself is hidden)."""
    if rules is None or organization is None:
        return
    try:
        compile_rules(organization=organization, rules=rules)
    except ValidationError as exc:
        for message in exc.message_dict["rules"]:
            form.add_error(None, message)


def initial(rules) -> str:
    return json.dumps(
        [
            {"field": r["field"], "operator": r["operator"], "values": r["values"],
             "condition_group": r.get("condition_group", 0)}
            for r in rules
        ]
    )  # fmt: skip


class BuilderFormMixin:
    """A ModelForm of a tenant row with one builder input (`builder_field`, a hidden CharField
    the form declares): `setup_builder()` in `__init__`, and `clean()` reads and checks what
    it posted against the row's organization (the form's, for a new row)."""

    builder_field = "rules_builder"

    def setup_builder(self, *, rules, **attr_options) -> None:
        field = self.fields[self.builder_field]
        field.widget.attrs.update(attrs(**attr_options))
        if not self.instance._state.adding:
            field.widget.attrs["data-organization"] = str(self.instance.organization_id)
        field.initial = initial(rules)

    def clean(self):
        cleaned = super().clean()
        try:
            rules = parse(cleaned.get(self.builder_field))
        except ValidationError as exc:
            self.add_error(None, exc)
            return cleaned
        cleaned[self.builder_field] = rules
        adding = self.instance._state.adding
        organization = cleaned.get("organization") if adding else self.instance.organization
        check(self, organization, rules)
        return cleaned
