"""Baselines for `make bench`: what the stack costs before any of the app's own work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines

from participants.models import Borough

PAGE = engines["django"].from_string(
    "<!doctype html><title>Signed in</title><p>{{ user.email }}: {{ boroughs }} boroughs</p>"
    '<form method="post">{% csrf_token %}<button>OK</button></form>'
)


def bare(request: HttpRequest) -> HttpResponse:
    """No session, no user, no query, no template: the middleware stack and gunicorn alone."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    """A minimal signed-in page: session, user, CSRF token, a tiny template and one query of its own."""
    return HttpResponse(PAGE.render({"boroughs": Borough.objects.count()}, request))
