from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WalkAndTalkConfig(AppConfig):
    default = True
    name = "walkandtalk"
    verbose_name = "Walk and Talk"

    def ready(self) -> None:
        from django.core.signals import setting_changed

        setting_changed.connect(_forget_fragments, dispatch_uid="walkandtalk-fragments")


def _forget_fragments(**kwargs) -> None:
    """base.html's cached fragments hold settings' words (the scheme's name, the quick exit's URL):
    a test that changes a setting sees them made afresh. While a test's CACHES has no such cache the
    {% cache %} tag uses that test's default one, and there is none here to empty."""
    from django.core.cache import caches

    if "template_fragments" in caches.settings:
        caches["template_fragments"].clear()


class WalkAndTalkAdminConfig(admin_apps.AdminConfig):
    """The admin is the sergeant's dashboard: our own AdminSite replaces the default one."""

    default = False
    default_site = "walkandtalk.admin.SergeantAdminSite"
