"""A walk's own pages, seen by her, her officer and the sergeant (each sees what is theirs to see)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from participants.access import role_required
from participants.audit import record_views
from participants.roles import OFFICER, RESIDENT, SERGEANT, role_of

from .. import booking, offline
from ..access import walk_for, walk_page
from ..calendar import walk_invite
from ..forms import CancelForm
from ..models import Disclosure, Referral, Walk

EVERYONE = (RESIDENT, OFFICER, SERGEANT)


@role_required(*EVERYONE)
@require_GET
def walk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Her own walk for a resident, any walk for the sergeant. An officer has her own page of it in her
    phone app (officer_walk, under /app/): she is sent there, so links in old emails keep working."""
    walk = walk_for(request, pk)
    if role_of(request.user) == OFFICER:
        query = request.META.get("QUERY_STRING", "")
        return redirect(walk_page(request.user, walk.pk) + (f"?{query}" if query else ""))
    return _walk_page(request, walk)


@role_required(OFFICER)
@require_GET
def officer_walk(request: HttpRequest, pk: int) -> HttpResponse:
    """Her own walks for an officer: the same page as the resident's, in the officer's app (/app/)."""
    return _walk_page(request, walk_for(request, pk))


def _walk_page(request: HttpRequest, walk: Walk) -> HttpResponse:
    kept = offline.offline_copy(request) and offline.in_window(walk)
    context = {
        "walk": walk,
        "events": walk.events.select_related("by").order_by("at", "pk"),
        "can_change": walk.status == Walk.Status.BOOKED,
        "concerns": walk.concerns.select_related("category", "partner")
        .prefetch_related(Prefetch("referrals", Referral.objects.current(), to_attr="current_referrals"))
        .order_by("created_at", "pk"),
        # Restricted: only her officer and the sergeant ever get these; a resident's page never does,
        # and the copy an officer's phone keeps for no signal leaves them out (patrols/offline.py).
        "disclosures": Disclosure.objects.none()
        if kept
        else Disclosure.objects.visible_to(request.user).filter(walk=walk),
        "offline_copy": kept,
        "walk_url": walk_page(request.user, walk.pk),
    }
    if role_of(request.user) != RESIDENT:
        record_views(request=request, objects=[walk.resident], detail=f"walk {walk.pk}")
    response = render(request, "patrols/walk_detail.html", context)
    return offline.keep_offline(request, response) if kept else response


@role_required(*EVERYONE)
@require_GET
def walk_invite_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The walk as a calendar invite (.ics)."""
    walk = walk_for(request, pk)
    mention_police = role_of(request.user) != RESIDENT or walk.resident.mention_police_in_messages
    # Saved and opened by hand, so PUBLISH (no reply expected); a cancelled walk removes the event.
    method = "CANCEL" if walk.status == walk.Status.CANCELLED else "PUBLISH"
    invite = walk_invite(
        walk,
        method=method,
        attendee=request.user.email,
        mention_police=mention_police,
        for_officer=role_of(request.user) != RESIDENT,
    )
    response = HttpResponse(invite, content_type=f"text/calendar; method={method}")
    response["Content-Disposition"] = f'attachment; filename="walk-{walk.local_start:%Y-%m-%d-%H%M}.ics"'
    return response


@role_required(*EVERYONE)
@require_http_methods(["GET", "POST"])
def walk_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first, then cancels. Her officer and the sergeant must give a reason."""
    walk = walk_for(request, pk)
    form = CancelForm(request.POST or None, reason_required=role_of(request.user) != RESIDENT)
    if request.method == "POST" and form.is_valid():
        try:
            booking.cancel_walk(walk=walk, by=request.user, reason=form.cleaned_data["reason"])
        except booking.BookingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _who_is_told(request))
            return redirect(walk_page(request.user, walk.pk))
    context = {"walk": walk, "form": form, "walk_url": walk_page(request.user, walk.pk)}
    return render(request, "patrols/walk_cancel.html", context)


def _who_is_told(request: HttpRequest) -> str:
    role = role_of(request.user)
    if role == RESIDENT:
        return gettext("The walk is cancelled. Your officer has been told.")
    if role == OFFICER:
        return gettext("The walk is cancelled. The resident has been told.")
    return gettext("The walk is cancelled. The resident and the officer have been told.")
