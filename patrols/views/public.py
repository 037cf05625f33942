""" "You said, we did": anyone may see it (no sign-in). What residents told officers on walks, and what
partners did, per borough and ward, as aggregates only (patrols/public.py keeps the small numbers
hidden). GET only; cached for ten minutes, since the figures change once a month."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from participants.models import Borough, Ward

from .. import public

CACHE_SECONDS = 10 * 60


@require_GET
@cache_page(CACHE_SECONDS)
def you_said_we_did(request: HttpRequest) -> HttpResponse:
    """Anyone may see it: each borough with its headline for the last 12 months."""
    when = public.period()
    context = {"period": when, "headlines": public.borough_headlines(when=when)}
    return render(request, "patrols/you_said_index.html", context)


@require_GET
@cache_page(CACHE_SECONDS)
def you_said_we_did_borough(request: HttpRequest, borough: str) -> HttpResponse:
    """Anyone may see it: a borough's figures and the list of its wards. An unknown borough is a 404."""
    area = get_object_or_404(Borough, slug=borough)
    when = public.period()
    context = {
        "period": when,
        "borough": area,
        "wards": list(area.wards.order_by("name")),
        "summary": public.area_summary(borough=area, when=when),
    }
    return render(request, "patrols/you_said_borough.html", context)


@require_GET
@cache_page(CACHE_SECONDS)
def you_said_we_did_ward(request: HttpRequest, borough: str, ward: int) -> HttpResponse:
    """Anyone may see it: one ward's figures. A ward that is not in that borough is a 404."""
    area = get_object_or_404(Ward.objects.select_related("borough"), pk=ward, borough__slug=borough)
    when = public.period()
    context = {
        "period": when,
        "borough": area.borough,
        "ward": area,
        "summary": public.area_summary(borough=area.borough, ward=area, when=when),
    }
    return render(request, "patrols/you_said_ward.html", context)
