"""Friendly error pages. The 500 page renders without a request context, so it cannot fail itself; it
still has the quick exit, as a plain link."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponseServerError(
        loader.get_template("500.html").render({"QUICK_EXIT_URL": settings.QUICK_EXIT_URL})
    )
