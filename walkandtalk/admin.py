from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest
from django.urls import get_script_prefix
from django.utils import translation

from participants.admin_base import is_sergeant

from .changelist import with_checked_lists


class SergeantAdminSite(admin.AdminSite):
    """The admin site: the sergeant's dashboard and tools. Sergeants only (and superusers)."""

    site_header = "Walk and Talk — scheme administration"
    site_title = "Walk and Talk admin"
    index_title = "Scheme dashboard"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_sergeant(request)

    # The app list for each kind of visitor, built once per process: Django builds it on every admin page
    # (each model's five permission checks and two reverse()s, ~35 models: ~10 ms of the dashboard's
    # time at London scale, issue 16). What it depends on is the key: our model admins' permissions
    # are the role (participants.admin_base), the packages' are Django's permission rows.
    _APP_LISTS_KEPT = 64

    def _build_app_dict(self, request, label=None):
        if label is not None:
            return super()._build_app_dict(request, label)
        user = request.user
        key = (
            user.is_superuser,
            is_sergeant(request),
            frozenset(user.get_all_permissions()),
            translation.get_language(),
            get_script_prefix(),
        )
        kept = self.__dict__.setdefault("_app_lists", {})
        if key not in kept:
            if len(kept) >= self._APP_LISTS_KEPT:
                kept.clear()
            kept[key] = super()._build_app_dict(request)
        return kept[key]

    def admin_view(self, view, cacheable=False):
        """Every admin page (the model admins' too): a change a sergeant makes here (any POST that
        did not fail) shows at once on her dashboard, whose figures are otherwise kept a few seconds."""
        from functools import wraps

        from .dashboard import figures_changed

        @wraps(view)
        def changing(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if request.method == "POST" and response.status_code < 400:
                figures_changed()
            return response

        return super().admin_view(changing, cacheable)

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
