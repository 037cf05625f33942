from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "People and areas"

    def ready(self) -> None:
        from . import messages, receivers  # noqa: F401 — registers the message kinds, connects receivers
        from .audit import connect_signals

        connect_signals()
