from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = "Walks and concerns"

    def ready(self) -> None:
        from . import messages  # noqa: F401 — registers the walk and concern message kinds
