"""Admin base for tenant-owned models: staff see and edit only their organizations' rows."""

from django.contrib import admin
from django.db import models

from .models import Organization
from .tenancy import user_can_write, user_roles


def writable_organizations(user, roles: frozenset[str] | None = None):
    """Organizations where the user may write (with one of `roles`, if given)."""
    organizations = Organization.objects.all()
    if user.is_superuser:
        return organizations
    writable = [
        org_id
        for org_id, role in user_roles(user).items()
        if (role in roles if roles else user_can_write(user, org_id))
    ]
    return organizations.filter(id__in=writable)


class TenantAdmin(admin.ModelAdmin):
    """Rows are limited to the user's organizations; viewers get read-only pages.

    Rights come from the user's organization roles, not from Django model permissions:
    owner and editor may add, change and delete; viewer may only look. Superusers see all.
    """

    # Role needed to add/change/delete; ApiKeyAdmin raises it to owner.
    write_roles: frozenset[str] | None = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organization_id__in=list(user_roles(request.user)))

    def _can_write(self, request, obj=None) -> bool:
        user = request.user
        if user.is_superuser:
            return True
        roles = user_roles(user)
        allowed = self.write_roles
        if obj is not None:
            role = roles.get(obj.organization_id)
            return role in allowed if allowed else user_can_write(user, obj.organization_id)
        if allowed:
            return any(role in allowed for role in roles.values())
        return any(user_can_write(user, org_id) for org_id in roles)

    def has_module_permission(self, request) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and (request.user.is_superuser or bool(user_roles(request.user)))
        )

    def has_view_permission(self, request, obj=None) -> bool:
        if not self.has_module_permission(request):
            return False
        return (
            obj is None
            or request.user.is_superuser
            or obj.organization_id in user_roles(request.user)
        )

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request) and self._can_write(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and self._can_write(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and self._can_write(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related is Organization:
            kwargs["queryset"] = writable_organizations(request.user, self.write_roles)
        elif not request.user.is_superuser and _is_tenant_model(related):
            # a row can only point at rows of organizations the user may write in
            kwargs["queryset"] = related._default_manager.filter(
                organization__in=writable_organizations(request.user, self.write_roles)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser or len(user_roles(request.user)) > 1:
            filters.insert(0, ("organization", OrganizationListFilter))
        return filters


class ReadOnlyTenantAdmin(TenantAdmin):
    """A tenant list kept by services (ledgers, logs, group members): staff look, never edit
    rows by hand; any change goes through the page's actions, which call the services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _is_tenant_model(model) -> bool:
    try:
        field = model._meta.get_field("organization")
    except Exception:
        return False
    return isinstance(field, models.ForeignKey) and field.related_model is Organization


class TenantInlinePermissions:
    """Mixin for inlines: rights follow the parent page's organization roles, not Django model
    permissions. (obj is None when Django builds the inline's queryset, which is already
    limited to the parent object.)"""

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.is_superuser or bool(user_roles(request.user))
        return request.user.is_superuser or obj.organization_id in user_roles(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return self.has_view_permission(request)
        return user_can_write(request.user, obj.organization_id)

    def has_add_permission(self, request, obj=None):
        return obj is None or self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


class OrganizationListFilter(admin.RelatedFieldListFilter):
    """The organization filter offers only the user's organizations."""

    def field_choices(self, field, request, model_admin):
        organizations = Organization.objects.all()
        if not request.user.is_superuser:
            organizations = organizations.filter(id__in=list(user_roles(request.user)))
        return [(org.pk, org.name) for org in organizations]


class ScopedRelatedListFilter(admin.RelatedFieldListFilter):
    """A list filter on a tenant-owned foreign key that offers only the user's organizations'
    rows (the default filter lists every organization's)."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        queryset = related._default_manager.all()
        if not request.user.is_superuser:
            queryset = queryset.filter(organization_id__in=list(user_roles(request.user)))
        ordering = self.field_admin_ordering(field, request, model_admin) or ()
        return [(obj.pk, str(obj)) for obj in queryset.order_by(*ordering)]
