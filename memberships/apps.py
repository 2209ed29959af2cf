from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "memberships"

    def ready(self):
        from audiences.hooks import audience_refreshed
        from audiences.rules import register_rule_field
        from customers.hooks import customer_data_exported, profile_page_sections
        from organizations.hooks import organization_created

        from . import profile_page
        from .customer_data import export_sections
        from .rule_fields import MEMBER_GROUPS, MEMBERSHIP_STATE
        from .services import all_members_group, follow_audience_groups

        audience_refreshed.register(follow_audience_groups)
        customer_data_exported.register(export_sections)
        profile_page_sections.register(profile_page.sections)
        register_rule_field(MEMBERSHIP_STATE)
        register_rule_field(MEMBER_GROUPS)
        organization_created.register(all_members_group)  # every organization has one
