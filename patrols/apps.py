from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = "Walks and concerns"

    def ready(self) -> None:
        # participants sits below patrols: her walks reach her data download, erasure and retention
        # through the hooks participants/privacy.py defines.
        from . import privacy

        privacy.connect()
