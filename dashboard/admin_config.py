from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin, with the back-office site: the index is the loyalty dashboard."""

    default_site = "dashboard.sites.BackOfficeSite"
