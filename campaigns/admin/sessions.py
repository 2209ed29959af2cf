"""Customer sessions and events, read-only: they are written by the API (and the dialects)
through `campaigns.services`; here staff look them up with their items and applied effects."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from organizations.admin_base import ReadOnlyTenantAdmin, TenantInlinePermissions

from ..models import (
    AppliedEffect,
    CartItem,
    CustomerEvent,
    CustomerSession,
    SessionStateChange,
)


class ReadOnlyInline(TenantInlinePermissions, admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StateChangeInline(ReadOnlyInline):
    model = SessionStateChange
    fields = ("changed_at", "from_state", "to_state")
    verbose_name_plural = "state history"


class CartItemInline(ReadOnlyInline):
    model = CartItem
    fields = ("position", "sku", "name", "quantity", "returned_quantity", "price", "category")
    verbose_name_plural = "cart items"


class AppliedEffectInline(ReadOnlyInline):
    model = AppliedEffect
    fields = (
        "created_at",
        "rule_name",
        "type",
        "amount",
        "shortfall",
        "program_name",
        "subledger_id",
        "reason",
    )
    verbose_name_plural = "applied effects"

    @admin.display(description="program")
    def program_name(self, obj):
        return obj.program.name

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program")


class SessionEffectInline(AppliedEffectInline):
    fk_name = "session"


class EventEffectInline(AppliedEffectInline):
    fk_name = "event"


@admin.register(CustomerSession)
class CustomerSessionAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "session_id",
        "number",
        "customer",
        "state",
        "total",
        "items_count",
        "closed_at",
    )
    list_filter = ("state",)
    search_fields = ("=session_id", "=profile__integration_id")
    search_help_text = "An exact session id or customer integration id."
    list_select_related = ("profile",)
    ordering = ("-created_at",)
    show_full_result_count = False  # a sessions table grows large: one count, not two
    inlines = (CartItemInline, SessionEffectInline, StateChangeInline)
    fields = (
        "organization",
        "session_id",
        "customer",
        "state",
        "total",
        "items_count",
        "store_id",
        "loyalty_cards",
        "attributes",
        "closed_at",
        "number",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="customer", ordering="profile__integration_id")
    def customer(self, obj):
        return obj.profile.integration_id if obj.profile else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("profile", "organization")


@admin.register(CustomerEvent)
class CustomerEventAdmin(ReadOnlyTenantAdmin):
    list_display = ("type", "number", "customer", "created_at", "effects_count")
    search_fields = ("=type", "=profile__integration_id")
    search_help_text = "An exact event type or customer integration id."
    list_select_related = ("profile",)
    ordering = ("-created_at",)
    show_full_result_count = False
    inlines = (EventEffectInline,)
    fields = ("organization", "type", "number", "customer", "attributes", "created_at")
    readonly_fields = fields

    @admin.display(description="customer", ordering="profile__integration_id")
    def customer(self, obj):
        return obj.profile.integration_id

    @admin.display(description="effects", ordering="effects_count")
    def effects_count(self, obj):
        return obj.effects_count

    def get_queryset(self, request):
        effects = (
            AppliedEffect.objects.filter(event=OuterRef("pk"))
            .order_by()
            .values("event")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("profile", "organization")
            # counted for the shown page's rows only, not grouped over the whole table
            .annotate(effects_count=Coalesce(Subquery(effects, output_field=IntegerField()), 0))
        )
