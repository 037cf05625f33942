"""An officer's pages: today's walks, running a walk, her schedule by day and her availability."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participants.access import officer_of, role_required
from participants.audit import record_views
from participants.models import Officer
from participants.roles import OFFICER, SERGEANT

from .. import availability, offline, reads
from .. import walks as walk_life
from ..access import walk_for, walk_page
from ..forms import ActionKeyForm, AvailabilityExceptionForm, AvailabilityWindowForm
from ..models import AvailabilityException, AvailabilityWindow, Walk


@role_required(OFFICER)
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    """Officer's landing page, for a phone: today's and tomorrow's walks in order, with what to do next."""
    officer = officer_of(request)
    start, days = _walks_by_day(officer, days=2, concern_count=True)
    record_views(request=request, objects=_residents_in(days), detail="today")
    now = timezone.now()
    context = {
        "officer": officer,
        "days": days,
        "today": start.date(),
        "now": now,
        "start_limit": now + walk_life.START_EARLY,  # "Start walk" shows from an hour before
        # The pages her phone fetches and keeps now, for when the signal goes (patrols/offline.py).
        "offline_urls": offline.warm_urls(
            [walk for _, walks in days for walk in walks],
            today_path=reverse("patrols:today"),
            concern_ids=reads.her_open_concerns(officer.pk, offline.KEPT_CONCERNS),
        ),
    }
    return offline.keep_offline(request, render(request, "patrols/today.html", context))


WALK_ACTIONS = {
    "start": (walk_life.start_walk, "Walk started. Log each place she points out as you go."),
    "finish": (walk_life.finish_walk, "Walk finished. Thank you."),
    "no_show": (walk_life.mark_no_show, "Marked as a no-show."),
    "nothing_to_log": (walk_life.mark_nothing_to_log, "Noted: nothing to log on this walk."),
}


@role_required(OFFICER, SERGEANT)
@require_POST
def walk_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Start, finish, no-show, nothing to log: the walk's officer (or the sergeant), POST only.

    The phone's outbox (static/js/outbox.js) sends these with an action key and asks for JSON: the
    same key twice is done once, and a refusal comes back as a 4xx with the reason to show her."""
    walk = walk_for(request, pk)
    if action not in WALK_ACTIONS:
        raise Http404
    change, done = WALK_ACTIONS[action]
    wants_json = "application/json" in request.headers.get("Accept", "")
    key_form = ActionKeyForm(request.POST)
    if not key_form.is_valid():
        # A damaged key, or a time she acted (queued on the phone) that cannot be right: nothing done.
        reason = " ".join(message for errors in key_form.errors.values() for message in errors)
        if wants_json:
            return JsonResponse({"ok": False, "errors": {"__all__": [reason]}}, status=400)
        messages.error(request, reason)
        return redirect(_next_or_walk(request, request.POST.get("next", ""), walk))
    try:
        walk = change(walk=walk, by=request.user, **key_form.cleaned_data)
    except walk_life.WalkError as error:
        if wants_json:
            # 409: the walk is not in a state for this any more (cancelled meanwhile, already over).
            return JsonResponse({"ok": False, "errors": {"__all__": [str(error)]}}, status=409)
        messages.error(request, str(error))
    else:
        # Sent in the background from another page: that page says so itself (as concern_new does).
        if not request.headers.get("X-Concern-Outbox"):
            messages.success(request, done)
        if wants_json:
            # "at": the server's clock, which the phone compares with a page's data-rendered-at to
            # know whether that page already shows this (static/js/outbox.js, walkStatus).
            next_page = _next_or_walk(request, request.POST.get("next", ""), walk)
            return JsonResponse(
                {
                    "ok": True,
                    "next": next_page,
                    "at": timezone.now().isoformat(),
                    "done_at": _done_at(walk, action),
                }
            )
    return redirect(_next_or_walk(request, request.POST.get("next", ""), walk))


@role_required(OFFICER, SERGEANT)
@require_http_methods(["GET", "POST"])
def walk_finish(request: HttpRequest, pk: int) -> HttpResponse:
    """Finishing a walk cannot be undone, so it asks first: a GET shows the question and changes nothing;
    the POST from its "Yes, finish the walk" button finishes it (as walk_action does)."""
    if request.method == "POST":
        return walk_action(request, pk, action="finish")
    walk = walk_for(request, pk)
    back = _next_or_walk(request, request.GET.get("next", ""), walk)
    context = {
        "walk": walk,
        "concern_count": walk.concerns.count(),
        "next": back,
        "can_finish": walk.status == Walk.Status.IN_PROGRESS,
    }
    response = render(request, "patrols/walk_finish.html", context)
    return offline.keep_offline(request, response) if offline.in_window(walk) else response


DONE_AT = {"start": "started_at", "finish": "finished_at", "nothing_to_log": "nothing_to_log_at"}


def _done_at(walk: Walk, action: str) -> str | None:
    """When the walk records this action as done (a queued one: when she did it, within bounds), for
    the phone to say; a no-show has no time of its own on the walk."""
    moment = getattr(walk, DONE_AT.get(action, ""), None)
    return moment.isoformat() if moment else None


def _next_or_walk(request: HttpRequest, target: str, walk: Walk) -> str:
    """Only a path on this site: redirect() would try any other word as a URL name (a 500 when it isn't)."""
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return walk_page(request.user, walk.pk)
    return target


@role_required(OFFICER)
@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """Officer: her walks from today for the next four weeks, by day."""
    officer = officer_of(request)
    kept = offline.offline_copy(request)
    # The copy her phone keeps is the week, naming residents only on today's and tomorrow's walks.
    _, days = _walks_by_day(officer, days=offline.SCHEDULE_OFFLINE_DAYS if kept else 29)
    named = offline.start_of_today() + timedelta(days=offline.WITH_RESIDENT_DAYS)
    record_views(request=request, objects=_residents_in(days), detail="schedule")
    context = {"officer": officer, "days": days, "offline_copy": kept, "named_until": named}
    return offline.keep_offline(request, render(request, "patrols/schedule.html", context))


def _walks_by_day(officer: Officer, *, days: int, concern_count: bool = False):
    """Her walks (not cancelled) from the start of today (London) for that many days, grouped by day."""
    start = offline.start_of_today()
    walks = reads.officer_walks(officer.pk, start, start + timedelta(days=days), concern_count=concern_count)
    return start, [(day, list(group)) for day, group in groupby(walks, key=lambda w: w.local_start.date())]


def _residents_in(days) -> list:
    return [walk.resident for _, walks in days for walk in walks]


@role_required(OFFICER)
@require_http_methods(["GET", "POST"])
def availability_page(request: HttpRequest) -> HttpResponse:
    """Officer: her weekly windows and the changes to them, with forms to add either."""
    officer = officer_of(request)
    window_form = AvailabilityWindowForm(request.POST if "add_window" in request.POST else None)
    exception_form = AvailabilityExceptionForm(request.POST if "add_exception" in request.POST else None)
    if "add_window" in request.POST and window_form.is_valid():
        availability.add_window(officer=officer, **window_form.cleaned_data)
        messages.success(request, "Window added. Residents can book it now.")
        return redirect("patrols:availability")
    if "add_exception" in request.POST and exception_form.is_valid():
        data = exception_form.cleaned_data
        _, clashes = availability.add_exception(
            officer=officer,
            kind=data["kind"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            note=data["note"],
        )
        messages.success(request, "Change saved.")
        if clashes:
            messages.warning(
                request,
                f"You have {clashes} walk(s) booked in that time. They stay booked: cancel or move them "
                "from your schedule, so the resident is told.",
            )
        return redirect("patrols:availability")
    now = timezone.now()
    context = {
        "windows": officer.availability_windows.order_by("weekday", "start_time"),
        "exceptions": officer.availability_exceptions.filter(ends_at__gt=now).order_by("starts_at"),
        "window_form": window_form,
        "exception_form": exception_form,
    }
    return render(request, "patrols/availability.html", context)


@role_required(OFFICER)
@require_POST
def window_delete(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(AvailabilityWindow, pk=pk, officer__user=request.user)
    window.delete()
    messages.success(request, f"Removed {window}. Walks already booked stay booked.")
    return redirect("patrols:availability")


@role_required(OFFICER)
@require_POST
def exception_delete(request: HttpRequest, pk: int) -> HttpResponse:
    exception = get_object_or_404(AvailabilityException, pk=pk, officer__user=request.user)
    exception.delete()
    messages.success(request, "Change removed.")
    return redirect("patrols:availability")
