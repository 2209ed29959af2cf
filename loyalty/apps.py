from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"

    def ready(self):
        from customers.hooks import customer_data_exported, profile_page_sections

        from . import profile_page
        from .customer_data import export_sections

        customer_data_exported.register(export_sections)
        profile_page_sections.register(profile_page.sections)
