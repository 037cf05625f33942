from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "walkandtalk.outbox"
    label = "outbox"
    verbose_name = "Messages"
    default_auto_field = "django.db.models.BigAutoField"
