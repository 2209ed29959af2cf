"""Tier structures: tiers inline (the ladder checked as a whole), the services' rules shown on
the form, status actions, the ladder with its members and the dry-run preview. Every write
goes through `loyalty.services`."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils.html import format_html, format_html_join

from core.errors import ConflictError
from loyalty import selectors, services
from loyalty.models import Tier, TierStructure
from organizations.admin_base import ScopedRelatedListFilter, TenantAdmin
from organizations.tenancy import user_can_write

from .forms import TierInlineFormSet, TierStructureForm


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

    class Media:
        # the ladder drawn above the tiers as they are typed, overlaps and gaps marked
        js = ("loyalty/tier_ladder.js",)
        css = {"all": ("loyalty/tier_ladder.css",)}

    fieldsets = (
        (None, {"fields": ("organization", "program", "name", "type", "status", "metadata")}),
        ("Tier ladder", {"fields": ("tier_ladder", "dry_run_preview")}),
        ("Points earned (POINT_EARNED only)", {"fields": services.POINT_EARNED_FIELDS}),
        ("Expiration of a reached tier", {"fields": services.EXPIRATION_FIELDS}),
        ("Downgrade", {"fields": services.DOWNGRADE_FIELDS}),
        ("History", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        # the tier count in the list: one query for the page, not one a row
        return (
            super()
            .get_queryset(request)
            .select_related("program")
            .annotate(tier_total=Count("tiers", distinct=True))
        )

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
        return obj.tier_total

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
