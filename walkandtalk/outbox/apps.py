from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "walkandtalk.outbox"
    label = "outbox"
    verbose_name = "Messages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import push  # noqa: F401 — connects the sign-out receiver (a device's push ends with it)
