"""Staff pages: programs (cards, balances lookup, manual adjustment) and tier structures (tiers
inline, validation shown on the form, status actions, ladder and dry-run preview).

Every write goes through `loyalty.services` / `loyalty.ledger`, like the API.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.errors import ConflictError
from customers.models import CustomerProfile
from organizations.admin_base import ScopedRelatedListFilter, TenantAdmin, TenantInlinePermissions
from organizations.tenancy import user_can_write

from . import ledger, selectors, services
from .models import LoyaltyCard, LoyaltyProgram, PointsTransaction, Tier, TierStructure

# -- tier structures --------------------------------------------------------------------------


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


class TierInline(admin.TabularInline):
    model = Tier
    formset = TierInlineFormSet
    fields = ("order", "name", "min_points", "max_points", "icon_name", "benefits")
    extra = 1
    ordering = ("order",)

    def has_add_permission(self, request, obj=None):
        return TierStructureAdmin._can_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return TierStructureAdmin._can_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return TierStructureAdmin._can_edit(request, obj)


def _status_action(status, label):
    @admin.action(description=label)
    def run(modeladmin, request, queryset):
        done = 0
        for structure in queryset:
            if not user_can_write(request.user, structure.organization_id):
                messages.error(request, f"{structure}: you may not change this structure.")
                continue
            try:
                services.set_tier_structure_status(structure=structure, status=status)
                done += 1
            except (ConflictError, ValidationError) as exc:
                text = exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages)
                messages.error(request, f"{structure}: {text}")
        if done:
            messages.success(request, f"{done} tier structure(s) now {status}.")

    run.__name__ = f"make_{status.lower()}"
    return run


@admin.register(TierStructure)
class TierStructureAdmin(TenantAdmin):
    form = TierStructureForm
    inlines = (TierInline,)
    list_display = ("name", "program", "type", "status", "tier_count", "updated_at")
    list_filter = ("status", "type", ("program", ScopedRelatedListFilter))
    search_fields = ("name", "program__name")
    readonly_fields = (
        "organization",
        "status",
        "tier_ladder",
        "dry_run_preview",
        "created_at",
        "updated_at",
    )
    actions = (
        _status_action(TierStructure.Status.ACTIVE, "Activate selected tier structures"),
        _status_action(TierStructure.Status.INACTIVE, "Deactivate selected tier structures"),
        _status_action(TierStructure.Status.DELETED, "Delete selected tier structures (soft)"),
    )
    fieldsets = (
        (None, {"fields": ("organization", "program", "name", "type", "status", "metadata")}),
        ("Tier ladder", {"fields": ("tier_ladder", "dry_run_preview")}),
        (
            "Points earned (POINT_EARNED only)",
            {
                "fields": (
                    "point_earned_period_value",
                    "point_earned_period_unit",
                    "point_earned_type",
                )
            },
        ),
        (
            "Expiration of a reached tier",
            {
                "fields": (
                    "expiration_type",
                    "expiration_period_value",
                    "expiration_period_unit",
                    "calendar_dates",
                    "sliding_earning_activity",
                    "sliding_spending_activity",
                    "sliding_custom_activity",
                    "sliding_custom_activity_types",
                )
            },
        ),
        (
            "Downgrade",
            {
                "fields": (
                    "downgrade_type",
                    "grace_period_value",
                    "grace_period_unit",
                    "grace_period_round_up",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program")

    @staticmethod
    def _can_edit(request, obj) -> bool:
        if obj is not None and obj.status == TierStructure.Status.DELETED:
            return False
        if obj is None:
            return True
        return request.user.is_superuser or user_can_write(request.user, obj.organization_id)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == TierStructure.Status.DELETED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # structures are soft-deleted with the action (history stays)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if obj is not None:
            readonly += ["program"]
        return readonly

    @admin.display(description="tiers")
    def tier_count(self, obj):
        return obj.tiers.count()

    @admin.display(description="tier ladder (current members)")
    def tier_ladder(self, obj):
        if obj is None or obj.pk is None:
            return "Save the structure to see its ladder."
        rows = selectors.tier_ladder(structure=obj)
        if not rows:
            return "No tiers yet."
        return format_html(
            '<table class="tier-ladder"><tr><th>Order</th><th>Tier</th><th>Points</th>'
            "<th>Members now</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((r["tier"].order, r["tier"].name, r["range"], r["members"]) for r in rows),
            ),
        )

    @admin.display(description="dry run: customers per tier if activated now")
    def dry_run_preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save the structure to preview it."
        rows = selectors.structure_preview(structure=obj)
        return format_html(
            '<table class="tier-preview"><tr><th>Tier</th><th>Customers</th></tr>{}</table>',
            format_html_join(
                "", "<tr><td>{}</td><td>{}</td></tr>", ((r["name"], r["count"]) for r in rows)
            ),
        )

    def save_model(self, request, obj, form, change):
        data = {
            f: form.cleaned_data[f] for f in services.STRUCTURE_FIELDS if f in form.cleaned_data
        }
        program = obj.program if change else form.cleaned_data["program"]
        if not user_can_write(request.user, program.organization_id):
            raise PermissionDenied
        if change:
            saved = services.update_tier_structure(structure=obj, data=data)
        else:
            saved = services.create_tier_structure(program=program, data=data)
        obj.pk = saved.pk
        obj._state.adding = False
        obj.status = saved.status

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            if isinstance(formset, TierInlineFormSet):
                services.update_tier_structure(
                    structure=form.instance, data={}, tiers=formset.tier_payloads()
                )
                # what the admin's change message reads after formset.save()
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


# -- programs ---------------------------------------------------------------------------------


class LoyaltyCardInline(TenantInlinePermissions, admin.TabularInline):
    model = LoyaltyCard
    fields = ("identifier", "status", "linked_profiles")
    readonly_fields = ("linked_profiles",)
    extra = 0
    show_change_link = False

    @admin.display(description="linked profiles")
    def linked_profiles(self, obj):
        return ", ".join(p.integration_id for p in obj.profiles.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("profiles")

    def has_add_permission(self, request, obj=None):
        return (
            obj is not None
            and obj.kind == LoyaltyProgram.Kind.CARD
            and (self.has_change_permission(request, obj))
        )


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


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(TenantAdmin):
    list_display = ("name", "kind", "status", "points_validity_days", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    readonly_fields = ("points_tools", "created_at", "updated_at")
    inlines = (LoyaltyCardInline,)
    fieldsets = (
        (None, {"fields": ("organization", "name", "description", "kind", "status")}),
        (
            "Points",
            {
                "fields": (
                    "points_validity_days",
                    "pending_days",
                    "allow_negative_balance",
                    "subledgers_allowed",
                    "timezone",
                    "points_tools",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.kind == LoyaltyProgram.Kind.CARD else ()

    @admin.display(description="balances and adjustments")
    def points_tools(self, obj):
        if obj is None or obj.pk is None:
            return "Save the program first."
        url = reverse("admin:loyalty_loyaltyprogram_points", args=[obj.pk])
        return format_html('<a class="button" href="{}">Look up balances / adjust points</a>', url)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.PROGRAM_FIELDS if f in form.cleaned_data}
        if change:
            saved = services.update_loyalty_program(
                program=LoyaltyProgram.objects.get(pk=obj.pk), data=data
            )
        else:
            saved = services.create_loyalty_program(
                organization=form.cleaned_data["organization"], data=data
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        self.delete_queryset(request, LoyaltyProgram.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Through the service: a program with points is kept (archive it instead)."""
        for program in queryset:
            try:
                services.delete_loyalty_program(program=program)
            except ConflictError as exc:
                self.message_user(request, f"“{program.name}”: {exc.message}", messages.ERROR)

    def save_formset(self, request, form, formset, change):
        if formset.model is not LoyaltyCard:
            return super().save_formset(request, form, formset, change)
        program = form.instance
        for card_form in formset.forms:
            data = card_form.cleaned_data
            if not data:
                continue
            card = card_form.instance
            if data.get("DELETE") and card.pk:
                card.delete()
            elif card.pk and not card._state.adding:
                if "status" in card_form.changed_data:
                    services.update_loyalty_card(card=card, status=data["status"])
            elif not data.get("DELETE"):
                services.create_loyalty_card(
                    program=program, identifier=data["identifier"], status=data["status"]
                )

    def get_urls(self):
        return [
            path(
                "<uuid:program_id>/points/",
                self.admin_site.admin_view(self.points_view),
                name="loyalty_loyaltyprogram_points",
            ),
            *super().get_urls(),
        ]

    def _owner(self, program, key: str) -> dict:
        if program.kind == LoyaltyProgram.Kind.CARD:
            card = LoyaltyCard.objects.filter(program=program, identifier=key).first()
            if card is None:
                raise ValidationError(f"No card “{key}” in this program.")
            return {"card": card}
        profile = CustomerProfile.objects.filter(
            organization_id=program.organization_id, integration_id=key
        ).first()
        if profile is None:
            raise ValidationError(f"No customer with integration id “{key}”.")
        return {"profile": profile}

    def points_view(self, request, program_id):
        program = get_object_or_404(self.get_queryset(request), pk=program_id)
        if not self.has_view_permission(request, program):
            raise PermissionDenied
        can_write = self.has_change_permission(request, program)
        lookup = (request.GET.get("owner") or "").strip()
        form = AdjustPointsForm(initial={"owner": lookup})
        if request.method == "POST":
            if not can_write:
                raise PermissionDenied
            form = AdjustPointsForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    txn = ledger.adjust_points(
                        program=program,
                        amount=data["amount"],
                        reason=data["reason"],
                        subledger_id=data["subledger_id"],
                        actor=ledger.Actor(user=request.user),
                        **self._owner(program, data["owner"]),
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(
                        request, f"{txn.amount:+,} points recorded for {data['owner']}."
                    )
                    url = reverse("admin:loyalty_loyaltyprogram_points", args=[program.pk])
                    return redirect(f"{url}?owner={data['owner']}")
        result = error = None
        if lookup:
            try:
                owner = self._owner(program, lookup)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                result = {
                    "balances": selectors.balances(program=program, **owner),
                    "tier": selectors.current_tier(program=program, **owner),
                    "transactions": PointsTransaction.objects.filter(
                        program=program,
                        account__in=selectors.account_queryset(program=program, **owner),
                    ).select_related("account", "created_by")[:20],
                }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "program": program,
            "title": f"Points: {program.name}",
            "lookup": lookup,
            "result": result,
            "error": error,
            "form": form,
            "can_write": can_write,
        }
        return TemplateResponse(request, "admin/loyalty/program_points.html", context)


@admin.register(PointsTransaction)
class PointsTransactionAdmin(TenantAdmin):
    """The ledger, read-only: corrections are new transactions (program page)."""

    list_display = ("created_at", "program", "owner", "subledger", "amount", "kind", "reason")
    list_filter = ("kind", ("program", ScopedRelatedListFilter))
    search_fields = ("=account__profile__integration_id", "=account__card__identifier", "reason")
    search_help_text = "Exact customer integration id or card identifier, or words of the reason."
    list_select_related = ("program", "account__profile", "account__card")
    ordering = ("-created_at",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="customer / card")
    def owner(self, obj):
        account = obj.account
        return account.profile.integration_id if account.profile_id else account.card.identifier

    @admin.display(description="subledger")
    def subledger(self, obj):
        return obj.account.subledger_id or "main"
