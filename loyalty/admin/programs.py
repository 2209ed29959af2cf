"""Loyalty programs in the admin: every write through `loyalty.services` (a program with points
is archived, not deleted), a card-based program's cards inline, and a link to its points page."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core.errors import ConflictError
from loyalty import services
from loyalty.models import LoyaltyCard, LoyaltyProgram
from organizations.admin_base import TenantAdmin, TenantInlinePermissions

from .points import ProgramPointsMixin


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


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(ProgramPointsMixin, TenantAdmin):
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
