"""Makes the request being served available to the audit log (participants/audit.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .audit import request_context


class AuditContextMiddleware:
    """Place after AuthenticationMiddleware: changes saved while serving a request are logged with
    the signed-in user and the client's IP address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_context(request):
            return self.get_response(request)
