"""One access helper per object type: a walk the user may not see is a 404, never someone else's data."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from participants.roles import OFFICER, role_of

from . import reads
from .models import Concern, Walk


def walk_for(request: HttpRequest, pk: int) -> Walk:
    """The walk with everyone it concerns, if she may see it (`WalkQuerySet.visible_to`), or 404."""
    walk = reads.walk_for(request.user, pk)
    if walk is None:
        raise Http404("No such walk")
    return walk


def concern_for(request: HttpRequest, pk: int) -> Concern:
    concerns = Concern.objects.visible_to(request.user).select_related(
        "category", "ward__borough", "officer", "walk__resident"
    )
    return get_object_or_404(concerns, pk=pk)


def walk_page(user, pk: int) -> str:
    """Where this person sees a walk: an officer in her phone app (/app/walks/<pk>/), the resident and
    the sergeant at /walks/<pk>/."""
    return reverse("patrols:officer_walk" if role_of(user) == OFFICER else "patrols:walk_detail", args=[pk])
