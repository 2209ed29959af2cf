from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "API plumbing"

    def ready(self) -> None:
        from core import lookups  # noqa: F401 - registers the `any` lookup on every field
