"""What every model admin of ours is built on: the admin is for sergeants, and who may do what there
is the role, not Django's permission rows.

Here, below both apps, so participants' and patrols' admins can share them; the admin site itself (the
sergeant's dashboard) is walkandtalk/admin.py, at the top, which may import everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .roles import SERGEANT, role_of


def is_sergeant(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and (user.is_superuser or role_of(user) == SERGEANT))


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


def label_split_datetime(field) -> None:
    """Name the date and the time input of Django's AdminSplitDateTime ("Starts at: date").

    Its template puts "Date:" and "Time:" beside the inputs as bare text, with no <label> (axe: "label"),
    and the form renderer does not read templates/, so the inputs are named here, from the field."""
    from django.contrib.admin.widgets import AdminSplitDateTime

    if isinstance(field.widget, AdminSplitDateTime):
        name = str(field.label or "").capitalize()
        date, time = field.widget.widgets
        date.attrs["aria-label"] = f"{name}: date"
        time.attrs["aria-label"] = f"{name}: time"


class FieldsMixin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Every text field says its limit and refuses past it; every date is one the scheme can mean.
        from django import forms

        from .inputs import check_date_in_range, state_limit

        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            state_limit(field)
            if isinstance(field, forms.DateField | forms.DateTimeField | forms.SplitDateTimeField):
                field.validators.append(check_date_in_range)
            label_split_datetime(field)
        return field


class SergeantModelAdmin(FieldsMixin, SergeantPermissions, admin.ModelAdmin):
    # (Its lists are checked for impossible filters by the admin site: walkandtalk/changelist.py.)
    pass


class SergeantTabularInline(SergeantPermissions, admin.TabularInline):
    # Django's tabular template names each input only by its column heading: ours labels every input.
    template = "admin/edit_inline/tabular_labelled.html"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            label_split_datetime(field)
        return field


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
