from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest

from participants.roles import SERGEANT, role_of

from .changelist import CheckedListsMixin, with_checked_lists


def is_sergeant(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and (user.is_superuser or role_of(user) == SERGEANT))


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

        return dashboard(request, {**self.each_context(request), "app_list": self.get_app_list(request)})

    def get_urls(self):
        from django.urls import path

        from . import dashboard

        extra = [
            path("exports/concerns.csv", self.admin_view(dashboard.concerns_csv), name="export_concerns"),
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


class SergeantPermissions:
    """Sergeants may see and change everything here: who may do what is the role, not permission rows.
    For model admins and inlines alike (their add-permission signatures differ, hence *args)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_sergeant(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_sergeant(request)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return is_sergeant(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_sergeant(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_sergeant(request)


class SergeantModelAdmin(SergeantPermissions, CheckedListsMixin, admin.ModelAdmin):
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Every text field says its limit and refuses past it; every date is one the scheme can mean.
        from django import forms

        from participants.inputs import check_date_in_range, state_limit

        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            state_limit(field)
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField):
                field.validators.append(check_date_in_range)
        return field


class SergeantTabularInline(SergeantPermissions, admin.TabularInline):
    pass


class ReadOnlyPermissions:
    """History that nobody edits: sergeants may read it only."""

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyModelAdmin(ReadOnlyPermissions, SergeantModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyPermissions, SergeantTabularInline):
    can_delete = False
    extra = 0
