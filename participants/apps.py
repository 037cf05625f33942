from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "People and areas"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 — connects the signal receivers
        from .audit import connect_signals

        connect_signals()
