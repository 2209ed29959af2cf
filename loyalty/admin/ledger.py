"""The points ledger in the admin, read-only: corrections are new transactions (a program's
points page)."""

from django.contrib import admin

from core.admin_csv import CsvDownloadMixin
from loyalty import exports
from loyalty.models import PointsTransaction
from organizations.admin_base import ScopedRelatedListFilter, TenantAdmin


@admin.register(PointsTransaction)
class PointsTransactionAdmin(CsvDownloadMixin, TenantAdmin):
    """The ledger, read-only: corrections are new transactions (program page)."""

    def csv_export(self, request, queryset):
        return exports.transactions(queryset, filename="ledger.csv")

    list_display = ("created_at", "program", "owner", "subledger", "amount", "kind", "reason")
    list_filter = ("kind", ("program", ScopedRelatedListFilter))
    search_fields = ("=account__profile__integration_id", "=account__card__identifier", "reason")
    search_help_text = "Exact customer integration id or card identifier, or words of the reason."
    list_select_related = ("program", "account__profile", "account__card")
    ordering = ("-created_at",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="customer / card")
    def owner(self, obj):
        account = obj.account
        return account.profile.integration_id if account.profile_id else account.card.identifier

    @admin.display(description="subledger")
    def subledger(self, obj):
        return obj.account.subledger_id or "main"
