"""Earning rules, edited inline on the loyalty program's page. The forms run the services'
checks (the messages land on the field they name) and the formset saves through
`create_earning_rule` / `update_earning_rule` / `delete_earning_rule`: nothing reaches the
table by `form.save()`."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from audiences.admin import rule_builder
from loyalty.admin.programs import register_program_inline
from organizations.admin_base import TenantInlinePermissions

from .. import services
from ..models import EarningRule

RULE_FIELDS = (
    "name",
    "status",
    "trigger",
    "event_type",
    "priority",
    "stop_here",
    "starts_at",
    "ends_at",
    "conditions",
    "effects",
)

CONDITIONS_HELP = (
    "A JSON list in the audience-rule format (same condition_group: all must hold; different "
    "groups: any group). [] applies to everyone. E.g. "
    '[{"field": "session.total", "operator": "gte", "values": [20]}, '
    '{"field": "session.categories", "operator": "in", "values": ["coffee"]}]. Fields: the '
    "audience fields (email, attributes.<name>, loyalty.tier.<program id>, …), session.total, "
    "session.items_count, session.skus, session.categories, session.attributes.<name>, "
    "session.store_id, event.attributes.<name>."
)
EFFECTS_HELP = (
    "A JSON list of at least one effect. E.g. "
    '[{"type": "points_per_amount", "points": 1, "per": "1.00", "rounding": "down", '
    '"cap": 500}], [{"type": "add_points", "points": 50, "subledger_id": "promo"}] or '
    '[{"type": "multiply", "factor": "2"}]. Each may also say pending_days and validity_days.'
)


class EarningRuleForm(forms.ModelForm):
    class Meta:
        model = EarningRule
        fields = RULE_FIELDS
        widgets = {
            "conditions": forms.Textarea(attrs={"rows": 4, "cols": 80}),
            "effects": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }
        help_texts = {"conditions": CONDITIONS_HELP, "effects": EFFECTS_HELP}

    def __init__(self, *args, program=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.program = program  # the page's program, with the values posted with it
        # the rule builder in place of the conditions' JSON (which it writes)
        widget = self.fields["conditions"].widget
        widget.attrs.update(
            rule_builder.attrs(
                title="Conditions", empty="No conditions: the rule applies to everyone.",
                subject="earning",
            )
        )  # fmt: skip
        if program is not None and program.pk and not program._state.adding:
            widget.attrs["data-organization"] = str(program.organization_id)

    def rule_data(self) -> dict:
        return {key: self.cleaned_data[key] for key in RULE_FIELDS if key in self.cleaned_data}

    def clean(self):
        """Every rule on the page (changed or not) is checked against the program as posted,
        by the service's own validation (one home for the rules)."""
        cleaned = super().clean()
        if self.errors or cleaned.get("DELETE") or self.program is None:
            return cleaned
        existing = self.instance if self.instance.pk and not self.instance._state.adding else None
        try:
            services.validate_earning_rule(
                program=self.program, data=self.rule_data(), rule=existing
            )
        except ValidationError as exc:
            self._show(exc)
        return cleaned

    def _show(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class EarningRuleFormSet(BaseInlineFormSet):
    """Saves through the services (the program page calls `formset.save()`)."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "program": self.instance}

    def save(self, commit=True):
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for form in self.initial_forms:
            rule = form.instance
            if rule.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                services.delete_earning_rule(rule=rule)
                self.deleted_objects.append(rule)
            elif form.has_changed():
                saved = services.update_earning_rule(rule=rule, data=form.rule_data())
                self.changed_objects.append((saved, form.changed_data))
        for form in self.extra_forms:
            if not form.has_changed() or (self.can_delete and self._should_delete_form(form)):
                continue
            saved = services.create_earning_rule(program=self.instance, data=form.rule_data())
            form.instance = saved
            self.new_objects.append(saved)
        return self.new_objects + [rule for rule, _ in self.changed_objects]


@register_program_inline
class EarningRuleInline(TenantInlinePermissions, admin.StackedInline):
    model = EarningRule
    form = EarningRuleForm
    formset = EarningRuleFormSet
    fieldsets = (
        (None, {"fields": (("name", "status"), ("trigger", "event_type"))}),
        (None, {"fields": (("priority", "stop_here"), ("starts_at", "ends_at"))}),
        (None, {"fields": ("conditions", "effects")}),
    )
    extra = 0
    show_change_link = False
    verbose_name = "earning rule"
    verbose_name_plural = "earning rules"

    class Media:
        js = ("audiences/rule_builder.js",)
        css = {"all": ("audiences/rule_builder.css",)}
