"""An officer's pages: her schedule by day and her availability."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participants.access import officer_of, role_required
from participants.roles import OFFICER

from .. import availability
from ..forms import AvailabilityExceptionForm, AvailabilityWindowForm
from ..models import LONDON, AvailabilityException, AvailabilityWindow, Walk


@role_required(OFFICER)
@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """Officer: her walks from today for the next four weeks, by day."""
    officer = officer_of(request)
    today = timezone.localtime(timezone.now(), LONDON).replace(hour=0, minute=0, second=0, microsecond=0)
    walks = (
        Walk.objects.visible_to(request.user)
        .filter(starts_at__gte=today, starts_at__lt=today + timedelta(days=29))
        .exclude(status=Walk.Status.CANCELLED)
        .select_related("resident__ward")
        .order_by("starts_at")
    )
    days = [(day, list(group)) for day, group in groupby(walks, key=lambda w: w.local_start.date())]
    return render(request, "patrols/schedule.html", {"officer": officer, "days": days})


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
