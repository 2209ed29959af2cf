"""Forms of the loyalty admin: a tier structure's settings (calendar dates and activity names
typed as text, the services' cross-field rules shown on the form), the ladder inline checked
as a whole, and the manual points adjustment."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from loyalty import ledger, services
from loyalty.models import Tier, TierStructure


class CalendarDatesField(forms.CharField):
    """Calendar dates typed as "31/12, 30/6" (day/month)."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(f"{d['day']}/{d['month']}" for d in value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, list):
            return value
        dates = []
        for part in filter(None, (p.strip() for p in (value or "").split(","))):
            try:
                day, month = (int(x) for x in part.split("/"))
            except ValueError:
                raise ValidationError(f"“{part}” is not day/month, e.g. 31/12.") from None
            dates.append({"day": day, "month": month})
        return dates


class NamesField(forms.CharField):
    """A list of names typed as "a, b"."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, list):
            return value
        return [p.strip() for p in (value or "").split(",") if p.strip()]


class TierStructureForm(forms.ModelForm):
    calendar_dates = CalendarDatesField(
        required=False,
        help_text="CALENDAR expiration: day/month dates, comma-separated, e.g. 30/6, 31/12.",
    )
    sliding_custom_activity_types = NamesField(
        required=False,
        help_text="SLIDING expiration: custom activity names, comma-separated.",
    )

    class Meta:
        model = TierStructure
        # the organization is the program's (shown read-only); status changes by actions
        fields = ("program", *services.STRUCTURE_FIELDS)

    def clean(self):
        cleaned = super().clean()
        structure = self.instance
        for field in services.STRUCTURE_FIELDS:
            if field in cleaned:
                setattr(structure, field, cleaned[field])
        try:
            services.validate_tier_structure(structure)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = field if field in self.fields else None
                if field == "point_earned":
                    target = "point_earned_period_value"
                for error in errors:
                    self.add_error(target, error)
        return cleaned


class TierInlineFormSet(BaseInlineFormSet):
    """Checks the whole ladder at once, so an overlap names the other tier."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        tiers = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            data = form.cleaned_data
            tiers.append(
                Tier(
                    name=data.get("name"),
                    order=data.get("order"),
                    min_points=data.get("min_points"),
                    max_points=data.get("max_points"),
                )
            )
        try:
            services.validate_tiers(tiers)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["tiers"]) from None

    def tier_payloads(self) -> list[dict]:
        payloads = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            item = {field: data.get(field) for field in services.TIER_FIELDS if field in data}
            item["metadata"] = item.get("metadata") or {}
            if form.instance.pk and not form.instance._state.adding:
                item["id"] = form.instance.pk
            payloads.append(item)
        return payloads


class AdjustPointsForm(forms.Form):
    owner = forms.CharField(
        label="Customer integration id or card identifier", max_length=255, strip=True
    )
    amount = forms.IntegerField(
        help_text="Positive adds points, negative removes them.",
        min_value=-ledger.MAX_AMOUNT,
        max_value=ledger.MAX_AMOUNT,
    )
    reason = forms.CharField(max_length=500, help_text="Shown in the customer's history.")
    subledger_id = forms.CharField(max_length=64, required=False, label="Subledger (optional)")

    def clean_amount(self):
        if self.cleaned_data["amount"] == 0:
            raise ValidationError("Enter a number of points other than 0.")
        return self.cleaned_data["amount"]
