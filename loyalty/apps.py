from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"

    def ready(self):
        from customers.hooks import customer_data_exported

        from .customer_data import export_sections

        customer_data_exported.register(export_sections)
