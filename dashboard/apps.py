from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The loyalty dashboard: figures, charts and their static files. The admin site that
    shows it is installed by `dashboard.admin_config`."""

    name = "dashboard"
