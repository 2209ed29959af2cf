"""Staff pages for audiences: rules inline (validated by the rule compiler), member count, last
refresh and the refresh log, "refresh now", a dry-run preview, members with search, sync
sources inline, and a form that creates loyalty-tier audiences. Writes go through services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.forms.models import BaseInlineFormSet
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from core.errors import ConflictError, PayloadTooLargeError
from loyalty.ledger import MAX_AMOUNT as MAX_POINTS
from loyalty.models import LoyaltyProgram
from organizations.admin_base import (
    ScopedRelatedListFilter,
    TenantAdmin,
    TenantInlinePermissions,
    writable_organizations,
)
from organizations.tenancy import user_can_write

from . import imports, selectors, services
from .models import (
    Audience,
    AudienceGroup,
    AudienceImport,
    AudienceMembership,
    AudienceRefresh,
    AudienceRule,
    SyncSource,
)
from .rules import OPERATORS, compile_rules


class RuleFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.organization_id is None:
            return  # the page's own errors (e.g. no organization chosen) come first
        try:
            compile_rules(organization=self.instance.organization, rules=self.rule_payloads())
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["rules"]) from None

    def rule_payloads(self) -> list[dict]:
        payloads = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            payloads.append(
                {
                    "field": data["field"],
                    "operator": data["operator"],
                    "values": data.get("values") or [],
                    "condition_group": data.get("condition_group") or 0,
                    "position": data.get("position") or 0,
                }
            )
        return payloads


class RuleForm(forms.ModelForm):
    operator = forms.ChoiceField(choices=[(o, o.replace("_", " ")) for o in OPERATORS])

    class Meta:
        model = AudienceRule
        fields = ("condition_group", "position", "field", "operator", "values")
        help_texts = {
            "field": "email, first_name, created_at…, attributes.<name>, "
            "loyalty.points.<program id> or loyalty.tier.<program id>",
            "values": 'A list: ["Leeds"], [100, 499], or [] for exists / not exists.',
        }


class AudienceRuleInline(TenantInlinePermissions, admin.TabularInline):
    model = AudienceRule
    form = RuleForm
    formset = RuleFormSet
    fields = ("condition_group", "position", "field", "operator", "values")
    extra = 1
    verbose_name = "rule (same group: all must match; different groups: any group)"


class SyncSourceInline(TenantInlinePermissions, admin.TabularInline):
    model = SyncSource
    fields = ("vendor", "external_id", "sync_status", "last_synced_at", "is_primary", "archived")
    extra = 0


class AudienceRefreshInline(TenantInlinePermissions, admin.TabularInline):
    model = AudienceRefresh
    fields = ("started_at", "status", "added", "removed", "member_count", "duration_ms", "error")
    readonly_fields = fields
    ordering = ("-started_at",)
    extra = 0
    max_num = 0
    verbose_name_plural = "refresh log"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description="Refresh now")
def refresh_now(modeladmin, request, queryset):
    queued = 0
    for audience in queryset:
        if not user_can_write(request.user, audience.organization_id):
            messages.error(request, f"{audience}: you may not refresh this audience.")
            continue
        try:
            queued += services.request_refresh(audience=audience)
        except ConflictError as exc:
            messages.error(request, f"{audience}: {exc.message}")
    messages.success(request, f"{queued} audience refresh(es) queued.")


@admin.register(Audience)
class AudienceAdmin(TenantAdmin):
    list_display = (
        "name",
        "group",
        "member_count",
        "last_refreshed_at",
        "refresh_interval_seconds",
        "archived",
    )
    list_filter = ("archived", ("group", ScopedRelatedListFilter))
    search_fields = ("name",)
    actions = (refresh_now,)
    inlines = (AudienceRuleInline, SyncSourceInline, AudienceRefreshInline)
    readonly_fields = (
        "member_count",
        "members_link",
        "imports_panel",
        "last_refreshed_at",
        "next_refresh_at",
        "dry_run_preview",
        "order",
        "start_value",
        "end_value",
        "program",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {"fields": ("organization", "name", "description", "group", "icon_name", "archived")},
        ),
        (
            "Members and refresh",
            {
                "fields": (
                    "member_count",
                    "members_link",
                    "imports_panel",
                    "refresh_interval_seconds",
                    "last_refreshed_at",
                    "next_refresh_at",
                    "dry_run_preview",
                )
            },
        ),
        ("Loyalty tier range", {"fields": ("program", "order", "start_value", "end_value")}),
        ("More", {"fields": ("metadata", "created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("group")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if obj is not None:
            readonly.append("organization")
        return readonly

    @admin.display(description="members")
    def members_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("admin:audiences_audiencemembership_changelist")
        return format_html(
            '<a href="{}?audience__id__exact={}">Browse and search the {} members</a>',
            url,
            obj.pk,
            obj.member_count,
        )

    @admin.display(description="imports")
    def imports_panel(self, obj):
        if obj is None or obj.pk is None:
            return "Save the audience to import customers into it."
        upload = reverse("admin:audiences_audience_import", args=[obj.pk])
        recent = format_html_join(
            "",
            '<li><a href="{}">{}</a>: {} ({}%)</li>',
            (
                (
                    reverse("admin:audiences_audienceimport_change", args=[i.pk]),
                    i.original_name or i.pk,
                    i.get_status_display(),
                    i.progress,
                )
                for i in obj.imports.order_by("-created_at")[:5]
            ),
        )
        return format_html(
            '<a class="button" href="{}">Import a CSV</a><ul>{}</ul>', upload, recent
        )

    def get_urls(self):
        return [
            path(
                "<uuid:audience_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="audiences_audience_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request, audience_id):
        audience = get_object_or_404(self.get_queryset(request), pk=audience_id)
        if not self.has_change_permission(request, audience):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                audience_import = imports.start_import(
                    audience=audience,
                    uploaded_file=form.cleaned_data["file"],
                    mode=form.cleaned_data["mode"],
                    actor=request.user,
                )
            except PayloadTooLargeError as exc:
                form.add_error("file", exc.message)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Import started; this page follows its progress.")
                return redirect(
                    reverse("admin:audiences_audienceimport_change", args=[audience_import.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Import customers into “{audience.name}”",
            "form": form,
            "audience": audience,
        }
        return TemplateResponse(request, "admin/audiences/import_upload.html", context)

    @admin.display(description="dry run of the saved rules")
    def dry_run_preview(self, obj):
        if obj is None or obj.pk is None:
            return "Save the audience to preview its rules."
        rules = list(obj.rules.all())
        if not rules:
            return "No rules: members come from imports and the API only."
        try:
            result = selectors.preview_rules(organization=obj.organization, rules=rules)
        except (ValidationError, DatabaseError) as exc:
            return (
                f"These rules cannot be previewed: {' '.join(getattr(exc, 'messages', [str(exc)]))}"
            )
        sample = format_html_join(
            "",
            "<li>{} {}</li>",
            ((p["integration_id"], p["email"]) for p in result["sample"]),
        )
        return format_html(
            '<p class="rule-preview">{} profiles match now.</p><ul>{}</ul>',
            result["count"],
            sample,
        )

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.AUDIENCE_FIELDS if f in form.cleaned_data}
        organization = obj.organization if change else form.cleaned_data["organization"]
        if not user_can_write(request.user, organization.pk):
            raise PermissionDenied
        if change:
            saved = services.update_audience(audience=obj, data=data, actor=request.user)
        else:
            saved = services.create_audience(
                organization=organization, data=data, actor=request.user
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            if isinstance(formset, RuleFormSet):
                services.update_audience(
                    audience=form.instance, data={}, rules=formset.rule_payloads()
                )
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            elif formset.model is SyncSource:
                for sync_form in formset.forms:
                    sync_form.instance.organization_id = form.instance.organization_id
                formset.save()
            else:  # the read-only refresh log
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(AudienceMembership)
class AudienceMembershipAdmin(TenantAdmin):
    """Members of audiences; open it from an audience to see that audience's members."""

    list_display = ("profile_integration_id", "profile_email", "audience", "source", "added_at")
    list_filter = ("source", ("audience", ScopedRelatedListFilter))
    search_fields = ("=profile__integration_id", "profile__email")
    search_help_text = "Exact integration id, or part of the email."
    list_select_related = ("profile", "audience")
    ordering = ("-added_at",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="integration id", ordering="profile__integration_id")
    def profile_integration_id(self, obj):
        return obj.profile.integration_id

    @admin.display(description="email")
    def profile_email(self, obj):
        return obj.profile.email

    def delete_queryset(self, request, queryset):
        services.delete_audience_memberships(memberships=queryset)

    def delete_model(self, request, obj):
        services.delete_audience_memberships(
            memberships=AudienceMembership.objects.filter(pk=obj.pk)
        )


class TierAudiencesForm(forms.Form):
    group_name = forms.CharField(max_length=200)
    program = forms.ModelChoiceField(queryset=LoyaltyProgram.objects.none())
    tiers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="One tier per line: name, start points, end points (empty for no limit), "
        "icon (optional). Orders follow the lines. E.g. “Silver, 100, 499, star”.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = LoyaltyProgram.objects.filter(
            organization__in=writable_organizations(user), kind=LoyaltyProgram.Kind.PROFILE
        )

    def clean_tiers(self):
        tiers = []
        for number, line in enumerate(self.cleaned_data["tiers"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) < 2:
                raise ValidationError(f"Line {number}: write “name, start, end, icon”.")
            try:
                start = int(parts[1])
                end = int(parts[2]) if len(parts) > 2 and parts[2] else None
            except ValueError:
                raise ValidationError(f"Line {number}: start and end are whole numbers.") from None
            if not 0 <= start <= MAX_POINTS or (end is not None and not 0 <= end <= MAX_POINTS):
                raise ValidationError(f"Line {number}: points go from 0 to {MAX_POINTS:,}.")
            tiers.append(
                {
                    "name": parts[0],
                    "order": len(tiers) + 1,
                    "start_value": start,
                    "end_value": end,
                    "icon_name": parts[3] if len(parts) > 3 else "",
                }
            )
        if not tiers:
            raise ValidationError("Write at least one tier.")
        return tiers


@admin.register(AudienceGroup)
class AudienceGroupAdmin(TenantAdmin):
    list_display = ("name", "kind", "audience_count", "created_at")
    search_fields = ("name",)
    change_list_template = "admin/audiences/audiencegroup/change_list.html"

    @admin.display(description="audiences")
    def audience_count(self, obj):
        return obj.audiences.count()

    def get_urls(self):
        return [
            path(
                "loyalty-tiers/",
                self.admin_site.admin_view(self.loyalty_tiers_view),
                name="audiences_audiencegroup_loyalty_tiers",
            ),
            *super().get_urls(),
        ]

    def loyalty_tiers_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TierAudiencesForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            program = form.cleaned_data["program"]
            try:
                group, audiences = services.create_tier_audiences(
                    organization=program.organization,
                    group_name=form.cleaned_data["group_name"],
                    program=program,
                    tiers=form.cleaned_data["tiers"],
                    actor=request.user,
                )
            except (ValidationError, ConflictError) as exc:
                messages_ = exc.messages if isinstance(exc, ValidationError) else [exc.message]
                for message in messages_:
                    form.add_error("tiers", message)
            else:
                messages.success(
                    request, f"Created {len(audiences)} audiences in group “{group.name}”."
                )
                return redirect(reverse("admin:audiences_audience_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Create loyalty tier audiences",
            "form": form,
        }
        return TemplateResponse(request, "admin/audiences/loyalty_tiers.html", context)


# -- imports ----------------------------------------------------------------------------------


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
class AudienceImportAdmin(TenantAdmin):
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

    def get_urls(self):
        return [
            path(
                "<uuid:import_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="audiences_audienceimport_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request, import_id):
        audience_import = get_object_or_404(self.get_queryset(request), pk=import_id)
        return JsonResponse(
            {
                "status": audience_import.status,
                "progress": audience_import.progress,
                "processed": audience_import.processed,
                "total": audience_import.total,
                "error_count": audience_import.error_count,
                "finished": audience_import.status
                in (
                    AudienceImport.Status.COMPLETED,
                    AudienceImport.Status.FAILED,
                    AudienceImport.Status.CANCELLED,
                ),
            }
        )
