"""CSV downloads in the admin (core.csv_export): a "Download CSV" button on a list page, for
the rows the list shows (its filters and search, across every page), and an action for the
rows selected. The admin's own queryset scopes both to the user's organizations."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.urls import path

from core.csv_export import CsvExport, csv_response


class CsvDownloadMixin:
    change_list_template = "admin/csv_change_list.html"
    csv_button_label = "Download CSV"

    def csv_export(self, request, queryset) -> CsvExport:
        raise NotImplementedError

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "download.csv",
                self.admin_site.admin_view(self.csv_download_view),
                name=f"{opts.app_label}_{opts.model_name}_csv",
            ),
            *super().get_urls(),
        ]

    def csv_download_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("These filters cannot be read.")
        return csv_response(self.csv_export(request, changelist.get_queryset(request)))

    @admin.action(description="Download the selected rows as CSV")
    def download_csv(self, request, queryset):
        return csv_response(self.csv_export(request, queryset))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            actions["download_csv"] = self.get_action("download_csv")
        return actions

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "csv_button_label": self.csv_button_label}
        return super().changelist_view(request, extra_context)
