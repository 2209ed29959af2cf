"""Staff pages: loyalty memberships, member groups with counts, members search, and bulk add
by pasting identifiers. System groups are read-only; writes go through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from audiences.admin import rule_builder
from core.admin_csv import CsvDownloadMixin
from core.errors import BatchValidationError, ConflictError
from loyalty.models import Tier
from organizations.admin_base import ReadOnlyTenantAdmin, ScopedRelatedListFilter, TenantAdmin
from organizations.models import Organization
from organizations.tenancy import user_can_write

from . import conditions, exports, services
from .models import LoyaltyMembership, MembersGroup, MembersGroupMember
from .selectors import engine_tier


@admin.action(description="Delete selected memberships (soft)")
def soft_delete(modeladmin, request, queryset):
    by_org: dict = {}
    active = queryset.filter(deleted_at__isnull=True).values_list("organization_id", "pk")
    for organization_id, pk in active:
        if user_can_write(request.user, organization_id):
            by_org.setdefault(organization_id, []).append(pk)
    organizations = Organization.objects.in_bulk(list(by_org))  # one query, not one a row
    deleted = 0
    for organization_id, ids in by_org.items():
        organization = organizations[organization_id]
        try:
            deleted += services.delete_memberships(organization=organization, ids=ids)
        except BatchValidationError as exc:
            messages.error(request, f"{len(exc.errors)} membership(s) could not be deleted.")
    messages.success(request, f"{deleted} membership(s) deleted.")


@admin.register(LoyaltyMembership)
class LoyaltyMembershipAdmin(CsvDownloadMixin, TenantAdmin):
    """Memberships are written through the API (batch endpoints); here staff look them up."""

    def csv_export(self, request, queryset):
        return exports.memberships(
            queryset.order_by("created_at", "id"), filename="memberships.csv"
        )

    list_display = (
        "profile",
        "program",
        "state",
        "is_primary",
        "engine_tier",
        "code",
        "deleted_at",
    )
    list_filter = (
        "state",
        ("program", ScopedRelatedListFilter),
        ("deleted_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("=profile__integration_id", "profile__email", "code")
    list_select_related = ("profile", "program")
    actions = (soft_delete,)
    readonly_fields = [*(f.name for f in LoyaltyMembership._meta.fields), "engine_tier"]

    def get_queryset(self, request):
        tiers = Tier.objects.filter(pk=OuterRef("engine_tier_id")).values("name")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(engine_tier_id=engine_tier())
            .annotate(engine_tier_name=Subquery(tiers))
        )

    @admin.display(description="tier (from the tier engine)")
    def engine_tier(self, obj):
        return obj.engine_tier_name or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PasteIdentifiersForm(forms.Form):
    identifier_type = forms.ChoiceField(
        choices=[("email", "Email"), ("msisdn", "Mobile number"), ("id", "Integration id")]
    )
    identifiers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "cols": 60}),
        help_text="One per line (or separated by commas). Up to 10,000.",
    )

    def clean_identifiers(self):
        raw = self.cleaned_data["identifiers"].replace(",", "\n")
        values = [v.strip() for v in raw.splitlines() if v.strip()]
        if len(values) > services.IDENTIFIERS_LIMIT:
            raise ValidationError(f"At most {services.IDENTIFIERS_LIMIT:,} identifiers at once.")
        return values


class MembersGroupForm(rule_builder.BuilderFormMixin, forms.ModelForm):
    """A group, and its automatic conditions as the rule builder writes them (the API's
    `audience_conditions`): customers who match are its members, kept by its audience's
    refresh. No conditions: a manual group."""

    builder_field = "conditions_builder"
    conditions_builder = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = MembersGroup
        fields = ("conditions_builder",)  # the admin adds the page's fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        group = self.instance
        self.initial_conditions = []
        if not group._state.adding and group.audience_conditions:
            self.initial_conditions = conditions.as_rules(group.audience_conditions)
        self.setup_builder(
            rules=self.initial_conditions,
            title="Automatic members: the customers who match",
            empty="No conditions: a manual group (add members by pasting, or by the API).",
        )

    def changed_conditions(self) -> list | None:
        """The conditions to follow, when the builder sent others than the group's."""
        posted = self.cleaned_data.get("conditions_builder")
        if not posted:
            return None
        comparable = [
            (r["field"], r["operator"], r["values"], r["condition_group"]) for r in posted
        ]
        before = [
            (r["field"], r["operator"], r["values"], r.get("condition_group", 0))
            for r in self.initial_conditions
        ]
        return posted if comparable != before else None


@admin.register(MembersGroup)
class MembersGroupAdmin(CsvDownloadMixin, TenantAdmin):
    csv_button_label = "Download members CSV"
    form = MembersGroupForm

    class Media:
        js = ("audiences/rule_builder.js",)
        css = {"all": ("audiences/rule_builder.css",)}

    def csv_export(self, request, queryset):
        return exports.group_members(queryset, filename="group-members.csv")

    list_display = ("name", "type", "automatic", "system", "members_count", "audience")
    list_select_related = ("audience",)  # nullable: select_related() alone would skip it
    list_filter = ("automatic", "system")
    search_fields = ("name", "type")
    readonly_fields = ("system", "automatic", "audience", "members_count", "members_tools")
    fields = ("organization", "name", "type", "description", *readonly_fields, "conditions_builder")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.system:
            return False  # kept by the system
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.system:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "organization") if obj else self.readonly_fields

    @admin.display(description="members")
    def members_tools(self, obj):
        if obj is None or obj.pk is None:
            return "Save the group first."
        browse = reverse("admin:memberships_membersgroupmember_changelist")
        links = format_html(
            '<a href="{}?group__id__exact={}">Browse and search the members</a>', browse, obj.pk
        )
        if obj.system or obj.automatic:
            return links
        paste = reverse("admin:memberships_membersgroup_paste", args=[obj.pk])
        return format_html('{} · <a class="button" href="{}">Add by pasting</a>', links, paste)

    def save_model(self, request, obj, form, change):
        data = {
            f: form.cleaned_data[f]
            for f in ("name", "type", "description")
            if f in form.cleaned_data
        }
        conditions_to_follow = form.changed_conditions()
        if change:
            saved = services.update_group(group=obj, data=data)
            if conditions_to_follow:
                services.change_group_source(group=saved, audience_conditions=conditions_to_follow)
        else:
            organization = form.cleaned_data["organization"]
            if not user_can_write(request.user, organization.pk):
                raise PermissionDenied
            saved = services.create_group(
                organization=organization, data=data, audience_conditions=conditions_to_follow
            )
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.delete_group(group=obj)

    def get_urls(self):
        return [
            path(
                "<uuid:group_id>/paste/",
                self.admin_site.admin_view(self.paste_view),
                name="memberships_membersgroup_paste",
            ),
            *super().get_urls(),
        ]

    def paste_view(self, request, group_id):
        group = get_object_or_404(self.get_queryset(request), pk=group_id)
        if not self.has_change_permission(request, group):
            raise PermissionDenied
        form = PasteIdentifiersForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.add_group_members(group=group, **form.cleaned_data)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                message = f"{result['added']} added, {result['already_members']} already members."
                if result["unknown"]:
                    shown = ", ".join(result["unknown"][:20])
                    more = len(result["unknown"]) - 20
                    message += f" Not found ({len(result['unknown'])}): {shown}"
                    message += f" and {more} more." if more > 0 else "."
                    messages.warning(request, message)
                else:
                    messages.success(request, message)
                return redirect(reverse("admin:memberships_membersgroup_change", args=[group.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Add members to “{group.name}”",
            "form": form,
            "group": group,
        }
        return TemplateResponse(request, "admin/memberships/paste_members.html", context)


@admin.register(MembersGroupMember)
class MembersGroupMemberAdmin(ReadOnlyTenantAdmin):
    """Browse and search groups' members (a tenant row: scoped by TenantAdmin); they are
    written through the group's services only."""

    list_display = ("profile__integration_id", "profile__email", "group", "added_at")
    sortable_by = ("group", "added_at")  # as before: not by profile columns (a join of all)
    list_filter = (("group", ScopedRelatedListFilter),)
    search_fields = ("=profile__integration_id", "profile__email")
    list_select_related = ("profile", "group")
    ordering = ("-added_at",)
