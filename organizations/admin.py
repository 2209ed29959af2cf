from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.html import format_html

from . import services
from .admin_base import TenantAdmin, writable_organizations
from .models import ApiKey, ApiScope, Organization, OrganizationMember, Role
from .tenancy import key_organizations, user_roles


class OrganizationMemberInline(admin.TabularInline):
    model = OrganizationMember
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)

    # Picking users needs access to all users: only superusers manage staff roles.
    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return True


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OrganizationMemberInline,)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.create_organization(name=obj.name, slug=obj.slug)  # runs its hooks
        obj.pk = created.pk
        obj.created_at = created.created_at
        obj._state.adding = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(id__in=list(user_roles(request.user)))

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or bool(user_roles(request.user))

    def has_view_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        roles = user_roles(request.user)
        return bool(roles) if obj is None else obj.id in roles

    def has_change_permission(self, request, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        roles = user_roles(request.user)
        if obj is None:
            return Role.OWNER in roles.values()
        return roles.get(obj.id) == Role.OWNER

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.READ],
        help_text="Write keys may also read.",
    )

    portfolio = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Also acts for",
        help_text=(
            "Make a portfolio key: it acts for these organizations too, chosen per request "
            "(X-Organization header; Mews' ChainId). Only organizations you own are offered."
        ),
    )

    class Meta:
        model = ApiKey
        fields = ("organization", "name", "scopes", "portfolio")


@admin.register(ApiKey)
class ApiKeyAdmin(TenantAdmin):
    form = ApiKeyForm
    write_roles = frozenset({Role.OWNER})
    list_display = (
        "name",
        "organization",
        "key_prefix",
        "scope_list",
        "acts_for",
        "status",
        "created_at",
        "last_used_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    actions = ("revoke_keys",)

    @admin.display(description="key")
    def key_prefix(self, obj: ApiKey) -> str:
        return f"{obj.prefix}…"

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description="acts for")
    def acts_for(self, obj: ApiKey) -> str:
        # the portfolio is prefetched for the list (get_queryset): no query per row
        others = sorted(org.name for org in obj.portfolio.all() if org.pk != obj.organization_id)
        return ", ".join([obj.organization.name, *others])

    def get_queryset(self, request):
        """A portfolio key shows to the owners of every organization it acts for (who may
        revoke it), not only to its own organization's."""
        queryset = (
            admin.ModelAdmin.get_queryset(self, request)
            .select_related("organization")
            .prefetch_related("portfolio")
        )
        if request.user.is_superuser:
            return queryset
        roles = list(user_roles(request.user))
        return queryset.filter(
            Q(organization_id__in=roles)
            | Q(pk__in=ApiKey.portfolio.through.objects.filter(
                organization_id__in=roles).values("apikey_id"))
        )  # fmt: skip

    def _covered(self, obj: ApiKey) -> list:
        return [org.pk for org in key_organizations(obj)]

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is None or not obj.is_portfolio or request.user.is_superuser:
            return super().has_view_permission(request, obj)
        roles = user_roles(request.user)
        return self.has_module_permission(request) and any(o in roles for o in self._covered(obj))

    def _can_write(self, request, obj=None) -> bool:
        if obj is None or not obj.is_portfolio or request.user.is_superuser:
            return super()._can_write(request, obj)
        roles = user_roles(request.user)
        return any(roles.get(o) in self.write_roles for o in self._covered(obj))

    @admin.display(description="status")
    def status(self, obj: ApiKey) -> str:
        return "revoked" if obj.revoked_at else "active"

    # an existing key shows what it is; only its name can change (the secret is never shown)
    shown_fields = (
        "organization",
        "name",
        "key_prefix",
        "scope_list",
        "acts_for",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else tuple(f for f in self.shown_fields if f != "name")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("organization", "name", "scopes", "portfolio")
        return self.shown_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form.base_fields["portfolio"].queryset = writable_organizations(
                request.user, self.write_roles
            )
        return form

    def save_model(self, request, obj, form, change):
        if change:
            services.rename_api_key(api_key=obj, name=form.cleaned_data["name"])
            return
        api_key, secret = services.create_api_key(
            organization=form.cleaned_data["organization"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
            portfolio=form.cleaned_data["portfolio"],
        )
        form.instance = api_key
        obj.pk = api_key.pk
        messages.warning(
            request,
            format_html(
                "Copy this API key now, it will not be shown again: <code>{}</code>", secret
            ),
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            if self._can_write(request, api_key):
                services.revoke_api_key(api_key=api_key)
                count += 1
        self.message_user(request, f"Revoked {count} API key(s).")
