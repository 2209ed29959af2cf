"""Audience imports: the upload form, the list and page of an import (progress, whether it was
resumed, its row errors), the progress endpoint the page polls, and cancelling."""

from django import forms
from django.contrib import admin, messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from audiences import imports
from audiences.models import AudienceImport
from core.errors import ConflictError
from organizations.admin_base import ScopedRelatedListFilter, TenantAdmin
from organizations.tenancy import user_can_write

from .base import ExtraViewsMixin

FINISHED = (
    AudienceImport.Status.COMPLETED,
    AudienceImport.Status.FAILED,
    AudienceImport.Status.CANCELED,
)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV, UTF-8, comma or semicolon separated. Columns: integration_id "
        "(required), email, msisdn, first_name, last_name; any other column becomes an "
        "attribute."
    )
    mode = forms.ChoiceField(choices=AudienceImport.Mode.choices, initial="add")


@admin.action(description="Cancel selected imports")
def cancel_imports(modeladmin, request, queryset):
    for audience_import in queryset:
        if not user_can_write(request.user, audience_import.organization_id):
            continue
        try:
            imports.cancel_import(audience_import=audience_import)
            messages.success(request, f"{audience_import}: cancel requested.")
        except ConflictError as exc:
            messages.error(request, f"{audience_import}: {exc.message}")


@admin.register(AudienceImport)
class AudienceImportAdmin(ExtraViewsMixin, TenantAdmin):
    list_display = (
        "original_name",
        "audience",
        "status",
        "progress_bar",
        "processed",
        "total",
        "error_count",
        "created_at",
    )
    list_filter = ("status", ("audience", ScopedRelatedListFilter))
    list_select_related = ("audience",)
    ordering = ("-created_at",)
    actions = (cancel_imports,)
    change_form_template = "admin/audiences/audienceimport/change_form.html"
    extra_views = (
        ("<uuid:import_id>/progress/", "progress_view", "audiences_audienceimport_progress"),
    )
    fields = (
        "audience",
        "original_name",
        "mode",
        "status",
        "recovery",
        "progress_bar",
        "total",
        "processed",
        "imported",
        "error_count",
        "error_message",
        "errors_table",
        "started_at",
        "finished_at",
        "created_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # imports start from the audience page

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress_bar(self, obj):
        return format_html(
            '<progress class="import-progress" max="100" value="{}"></progress> '
            '<span class="import-progress-text">{}%</span>',
            obj.progress,
            obj.progress,
        )

    @admin.display(description="worker")
    def recovery(self, obj):
        """Whether the import was resumed after its worker was killed (audiences.recovery)."""
        if not obj.resumed_count:
            return "—"
        times = "" if obj.resumed_count == 1 else f" {obj.resumed_count} times"
        return format_html(
            "Resumed after a worker stopped{} (last at {}); it went on from its last committed "
            "chunk, so no row was imported twice.",
            times,
            date_format(timezone.localtime(obj.resumed_at), "DATETIME_FORMAT"),
        )

    @admin.display(description="row errors (first 1,000)")
    def errors_table(self, obj):
        if not obj.errors:
            return "None"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((e["row"], " ".join(e["issues"])) for e in obj.errors),
        )
        return format_html(
            '<table class="import-errors"><tr><th>Row</th><th>Issues</th></tr>{}</table>', rows
        )

    def progress_view(self, request, import_id):
        audience_import = get_object_or_404(self.get_queryset(request), pk=import_id)
        return JsonResponse(
            {
                "status": audience_import.status,
                "progress": audience_import.progress,
                "processed": audience_import.processed,
                "total": audience_import.total,
                "error_count": audience_import.error_count,
                "finished": audience_import.status in FINISHED,
            }
        )
