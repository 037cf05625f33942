"""NUL characters in query strings: refused with a 400 before they reach a database lookup."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RejectNulInQueryMiddleware:
    """PostgreSQL cannot hold or compare text with a NUL character, so a lookup with one fails (a 500).
    Form fields already refuse NUL with a message (Django's CharField), but some query parameters reach
    a lookup without a form: the admin's list filters (`?status=%00`). Any NUL in the query string is a
    400 here, for every page at once. Last in MIDDLEWARE, so the response still gets every header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return HttpResponseBadRequest(
                    "This address holds a character that is not allowed.", content_type="text/plain"
                )
        return self.get_response(request)
