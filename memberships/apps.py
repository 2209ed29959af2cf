from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "memberships"

    def ready(self):
        from audiences.hooks import audience_refreshed
        from customers.hooks import profiles_deleting

        from .services import follow_audience_groups, recount_after_profiles_deleted

        profiles_deleting.register(recount_after_profiles_deleted)
        audience_refreshed.register(follow_audience_groups)
