"""Audience members: browse and search them (open from an audience for that audience's members);
removing them goes through the service (member_count follows by database triggers)."""

from django.contrib import admin

from audiences import services
from audiences.models import AudienceMembership
from organizations.admin_base import ScopedRelatedListFilter, TenantAdmin


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
