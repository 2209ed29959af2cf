from django.apps import AppConfig


class AudiencesConfig(AppConfig):
    name = "audiences"

    def ready(self):
        from customers.hooks import profiles_deleting

        from .services import recount_after_profiles_deleted

        profiles_deleting.register(recount_after_profiles_deleted)
