from django.contrib import admin


class SergeantAdminSite(admin.AdminSite):
    """The admin site, which the sergeant uses to run the scheme."""

    site_header = "Walk and Talk — scheme administration"
    site_title = "Walk and Talk admin"
    index_title = "Scheme dashboard"
