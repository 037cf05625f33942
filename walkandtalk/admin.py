from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest

from participants.admin_base import is_sergeant

from .changelist import with_checked_lists


class SergeantAdminSite(admin.AdminSite):
    """The admin site: the sergeant's dashboard and tools. Sergeants only (and superusers)."""

    site_header = "Walk and Talk — scheme administration"
    site_title = "Walk and Talk admin"
    index_title = "Scheme dashboard"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_sergeant(request)

    def index(self, request, extra_context=None):
        """The front page is the dashboard; the model lists stay one click away."""
        from .dashboard import dashboard

        context = self.each_context(request)
        # each_context has built the app list already (available_apps): building it twice was ~4 ms.
        return dashboard(request, {**context, "app_list": context["available_apps"]})

    def get_urls(self):
        from django.urls import path

        from . import dashboard, geojson_export

        extra = [
            path("exports/concerns.csv", self.admin_view(dashboard.concerns_csv), name="export_concerns"),
            path("dashboard/pins.json", self.admin_view(dashboard.concern_pins), name="dashboard_pins"),
            path(
                "exports/concerns.geojson",
                self.admin_view(geojson_export.concerns_geojson),
                name="export_geojson",
            ),
            path(
                "reports/monthly/",
                self.admin_view(
                    lambda request: dashboard.monthly_report(request, self.each_context(request))
                ),
                name="monthly_report",
            ),
        ]
        return extra + super().get_urls()

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every list, ours and the packages': an impossible date in a filter is an "incorrect lookup".
        admin_class = with_checked_lists(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        # Sign-in goes through allauth: rate limits and the second factor apply to the admin too.
        return secure_admin_login(super().login)(request, extra_context)
