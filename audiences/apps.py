from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "audiences"

    def ready(self):
        from customers.hooks import (
            customer_data_exported,
            personal_data_erased,
            profile_page_sections,
        )

        from . import profile_page
        from .customer_data import export_sections, scrub_import_files
        from .rule_fields import AUDIENCES
        from .rules import register_rule_field

        customer_data_exported.register(export_sections)
        profile_page_sections.register(profile_page.sections)
        personal_data_erased.register(scrub_import_files)
        register_rule_field(AUDIENCES)
