"""Audiences: rules inline (validated by the rule compiler), member count, last refresh and the
refresh log, "refresh now", a dry-run preview, a link to the members, sync sources inline and
the import upload page."""

import json
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.forms.models import BaseInlineFormSet
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from audiences import exports, imports, selectors, services, vocabulary
from audiences.models import Audience, AudienceRefresh, AudienceRule, SyncSource
from audiences.rules import OPERATORS, compile_rules
from core.admin_csv import CsvDownloadMixin
from core.errors import ConflictError, PayloadTooLargeError
from organizations.admin_base import (
    ScopedRelatedListFilter,
    TenantAdmin,
    TenantInlinePermissions,
)
from organizations.models import Organization
from organizations.tenancy import Actor, user_can_write, user_roles

from . import rule_builder
from .audience_import import ImportUploadForm
from .base import ExtraViewsMixin


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


class AudienceForm(rule_builder.BuilderFormMixin, forms.ModelForm):
    """The audience, and its rules as the rule builder writes them (a JSON list of
    `{field, operator, values, condition_group}`, the API's format). Without JavaScript the
    builder is absent and the rules inline below is used instead."""

    rules_builder = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Audience
        fields = ("rules_builder",)  # the admin adds the fieldsets' fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rules = []
        if not self.instance._state.adding:
            rules = self.instance.rules.order_by("condition_group", "position").values(
                "field", "operator", "values", "condition_group"
            )
        self.setup_builder(
            rules=rules,
            title="Rules: who is in this audience",
            empty="No rules: members come from imports and the API only.",
            fallback="#rules-group",
        )


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
class AudienceAdmin(CsvDownloadMixin, ExtraViewsMixin, TenantAdmin):
    csv_button_label = "Download members CSV"

    def csv_export(self, request, queryset):
        return exports.audience_members(queryset, filename="audience-members.csv")

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
    form = AudienceForm
    actions = (refresh_now,)
    inlines = (AudienceRuleInline, SyncSourceInline, AudienceRefreshInline)
    extra_views = (
        ("<uuid:audience_id>/import/", "import_view", "audiences_audience_import"),
        ("rule-fields/", "rule_fields_view", "audiences_audience_rule_fields"),
        ("rule-preview/", "rule_preview_view", "audiences_audience_rule_preview"),
    )

    class Media:
        # the rule builder: pick fields, operators and values; see how many customers match
        js = ("audiences/rule_builder.js",)
        css = {"all": ("audiences/rule_builder.css",)}

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
        "number",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "organization",
                    "name",
                    "description",
                    "group",
                    "icon_name",
                    "archived",
                    "rules_builder",
                )
            },
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
        ("More", {"fields": ("metadata", "number", "created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        # the list's group column joins it (a changelist keeps a queryset's select_related)
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
                    actor=Actor(user=request.user),
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

    def _builder_organization(self, request, organization_id):
        """The organization the builder asks about, if the user has a role in it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        organizations = Organization.objects.all()
        if not request.user.is_superuser:
            organizations = organizations.filter(pk__in=list(user_roles(request.user)))
        organization = organizations.filter(pk=organization_id).first()
        if organization is None:
            raise Http404("No such organization.")
        return organization

    def rule_fields_view(self, request):
        """GET ?organization=<id>[&subject=earning]: the fields, operators and values the
        builder offers."""
        try:
            organization_id = uuid.UUID(request.GET.get("organization", ""))
        except ValueError:
            raise Http404("No such organization.") from None
        organization = self._builder_organization(request, organization_id)
        subject = request.GET.get("subject", "")
        if subject and subject not in vocabulary.SUBJECTS:
            raise Http404("No such subject.")
        return JsonResponse(vocabulary.vocabulary(organization, subject))

    def rule_preview_view(self, request):
        """POST {organization, rules}: how many customers the rules select now, and a few."""
        if request.method != "POST":
            return JsonResponse({"error": "POST the rules."}, status=405)
        try:
            body = json.loads(request.body or b"{}")
            organization_id = uuid.UUID(str(body.get("organization", "")))
            rules = body.get("rules") or []
            if not isinstance(rules, list):
                raise ValueError
        except (ValueError, AttributeError):
            return JsonResponse({"error": "Send {organization, rules}."}, status=400)
        organization = self._builder_organization(request, organization_id)
        try:
            result = selectors.preview_rules(organization=organization, rules=rules)
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages)}, status=400)
        return JsonResponse(result, json_dumps_params={"default": str})

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
            saved = services.update_audience(
                audience=obj, data=data, actor=Actor(user=request.user)
            )
        else:
            saved = services.create_audience(
                organization=organization, data=data, actor=Actor(user=request.user)
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        built = form.cleaned_data.get("rules_builder")
        for formset in formsets:
            if isinstance(formset, RuleFormSet) and built is not None:
                services.update_audience(  # the builder's rules win over the hidden inline
                    audience=Audience.objects.get(pk=form.instance.pk),
                    data={},
                    rules=built,
                    actor=Actor(user=request.user),
                )
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            elif isinstance(formset, RuleFormSet):
                # the saved row, not the form's copy (which never had created_by set)
                services.update_audience(
                    audience=Audience.objects.get(pk=form.instance.pk),
                    data={},
                    rules=formset.rule_payloads(),
                    actor=Actor(user=request.user),
                )
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            elif formset.model is SyncSource:
                for sync_form in formset.forms:
                    source = sync_form.instance
                    source.organization_id = form.instance.organization_id
                    if sync_form.has_changed():
                        if source._state.adding:
                            source.created_by = request.user
                        source.updated_by, source.updated_by_key = request.user, None
                formset.save()
            else:  # the read-only refresh log
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
