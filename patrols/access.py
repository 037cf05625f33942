"""One access helper per object type: a walk the user may not see is a 404, never someone else's data."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .models import Concern, Walk


def walk_for(request: HttpRequest, pk: int) -> Walk:
    walks = Walk.objects.visible_to(request.user).select_related(
        "resident__user", "resident__ward__borough", "officer__user"
    )
    return get_object_or_404(walks, pk=pk)


def concern_for(request: HttpRequest, pk: int) -> Concern:
    concerns = Concern.objects.visible_to(request.user).select_related(
        "category", "ward__borough", "officer", "walk__resident"
    )
    return get_object_or_404(concerns, pk=pk)
