from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WalkAndTalkConfig(AppConfig):
    default = True
    name = "walkandtalk"
    verbose_name = "Walk and Talk"


class WalkAndTalkAdminConfig(admin_apps.AdminConfig):
    """The admin is the sergeant's dashboard: our own AdminSite replaces the default one."""

    default = False
    default_site = "walkandtalk.admin.SergeantAdminSite"
