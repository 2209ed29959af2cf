from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """The checkout side (seed 002): customer sessions, events and the earning rules that move
    points by themselves. Above memberships: it reads profiles, ledgers, audiences and groups,
    and nothing below imports it."""

    name = "campaigns"

    def ready(self):
        from audiences.vocabulary import register_subject
        from customers.hooks import customer_data_exported, profiles_created

        from .customer_data import export_sections
        from .services.welcome import queue_profile_created_rules
        from .vocabulary import earning_fields

        profiles_created.register(queue_profile_created_rules)
        customer_data_exported.register(export_sections)
        register_subject("earning", earning_fields)
