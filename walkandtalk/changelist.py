"""The admin's lists refuse impossible filter values the way Django refuses unknown ones.

The admin takes lookups straight from the query string (`?at__gte=...`, `?starts_at__year=...`).
Django turns a value it cannot parse into IncorrectLookupParameters, which the list answers with a
redirect to `?e=1`. Three kinds got past that and were a 500:
- a date drill-down at the ends of the calendar (`?starts_at__year=9999`): Django's own "next year"
  and "next day" sums overflow (ValueError, OverflowError) while building the filters;
- a well-formed instant with an offset PostgreSQL cannot hold (`+20:00`, `-23:59`): Python accepts it,
  so the query is built, and the database refuses it as it runs (DataError);
- a value that becomes an instant out of range once in UTC.
All are turned into IncorrectLookupParameters here, for every list at once. The query runs in a
savepoint, so a refused one leaves the request's transaction usable.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, ChangeList
from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.http import HttpRequest

FILTER_REFUSED = (
    "The filter in the page’s address could not be applied (a date or value that cannot be), "
    "so the whole list is shown. Choose a filter from the list instead."
)


class CheckedChangeList(ChangeList):
    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_queryset(self, request, exclude_parameters=None):
        try:
            return super().get_queryset(request, exclude_parameters)
        except (ValueError, OverflowError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request):
        try:
            with transaction.atomic():
                super().get_results(request)
        except (DataError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


def say_filter_refused(request: HttpRequest) -> None:
    """On the list Django redirects to after refusing a lookup (`?e=1`), say so."""
    if ERROR_FLAG in request.GET and request.method == "GET":
        messages.warning(request, FILTER_REFUSED)


class CheckedListsMixin:
    """For a ModelAdmin: its list is a CheckedChangeList, and the `?e=1` page says what happened."""

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def changelist_view(self, request, extra_context=None):
        say_filter_refused(request)
        return super().changelist_view(request, extra_context)


def with_checked_lists(admin_class: type) -> type:
    """The same admin class with checked lists: for the packages' admins (allauth's, auth's Group)
    that a superuser reaches, which the site registers without our base class."""
    if issubclass(admin_class, CheckedListsMixin):
        return admin_class
    return type(
        admin_class.__name__, (CheckedListsMixin, admin_class), {"__module__": admin_class.__module__}
    )
