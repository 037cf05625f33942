"""A resident's pages: her walks, booking one, moving and cancelling it."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from participants.access import role_required
from participants.models import Pairing, Resident
from participants.roles import RESIDENT

from .. import booking, reads
from ..access import walk_for
from ..forms import BookingForm, SlotChoiceForm
from ..models import LONDON, Walk
from ..slots import Slot, bookable_slots, booking_period
from ..sun import sunset_on


def _resident(request: HttpRequest) -> Resident | None:
    return Resident.objects.select_related("ward__borough", "user").filter(user=request.user).first()


def _resident_and_pairing(
    request: HttpRequest, *, officer_user: bool = False
) -> tuple[Resident | None, Pairing | None]:
    """Her profile and her active pairing in one query (every resident page needs both: issue 16);
    a second query only for a resident with no officer yet (waiting, or not signed up).
    `officer_user`: her officer's user too, for a page that writes to her officer."""
    pairing = reads.her_pairing(request.user, officer_user=officer_user)
    if pairing is not None:
        return pairing.resident, pairing
    return _resident(request), None


@role_required(RESIDENT)
@require_GET
def my_walks(request: HttpRequest) -> HttpResponse:
    """Resident: her landing page — her officer, how to check it is her, her walks."""
    resident, pairing = _resident_and_pairing(request)
    if resident is None:
        return redirect("participants:profile_create")
    upcoming, past = reads.her_walks(resident.pk, timezone.now())  # hers: visible_to's rule
    # Each row's words worked out here, once: the template's date filters, status labels and URL
    # tags on every row were most of the page's rendering (issue 16).
    walk_url, feedback_url = reads.pk_url("patrols:walk_detail"), reads.pk_url("patrols:walk_feedback")
    for walk in upcoming:
        local = timezone.localtime(walk["starts_at"], LONDON)
        walk.update(
            url=walk_url(walk["pk"]),
            day=date_format(local, "l j F"),
            time=time_format(local, "H:i"),
            after_dark=local >= sunset_on(local.date()),
        )
    labels = {status.value: status.label for status in Walk.Status}
    for walk in past:
        completed = walk["status"] == Walk.Status.COMPLETED
        walk.update(
            url=walk_url(walk["pk"]),
            when=date_format(timezone.localtime(walk["starts_at"], LONDON), "DATETIME_FORMAT"),
            status_label=labels[walk["status"]],
            rating=walk["rating"] if completed else None,
            feedback_url=feedback_url(walk["pk"]) if completed and walk["rating"] is None else "",
        )
    context = {"resident": resident, "pairing": pairing, "upcoming_walks": upcoming, "past_walks": past}
    return render(request, "patrols/my_walks.html", context)


def _week_of_slots(request: HttpRequest, officer, ignore_walk=None) -> dict:
    """One week of bookable slots, grouped by day, with links to the weeks before and after."""
    earliest, latest = booking_period(timezone.now())
    first_bookable = earliest.astimezone(LONDON).date()
    weeks = (latest.astimezone(LONDON).date() - first_bookable).days // 7 + 1
    try:
        week = min(max(int(request.POST.get("show_week") or request.GET.get("week") or 0), 0), weeks - 1)
    except ValueError:
        week = 0
    first_day = first_bookable + timedelta(days=7 * week)
    slots = bookable_slots(
        officer=officer, first_day=first_day, last_day=first_day + timedelta(days=6), ignore_walk=ignore_walk
    )
    if ignore_walk is not None:
        # Moving: her walk's own time is not a time she can move to (the service refuses it too).
        slots = [slot for slot in slots if slot.starts_at != ignore_walk.starts_at]
    chosen = request.POST.get("starts_at", "")
    days = [_slot_day(day, list(group), chosen) for day, group in groupby(slots, key=lambda s: s.day)]
    return {
        "days": days,
        "week": week,
        "previous_week": week - 1 if week > 0 else None,
        "next_week": week + 1 if week + 1 < weeks else None,
        "week_heading": _week_heading(get_language(), first_day),
    }


# The picker's headings are the same for everyone reading that language: worked out once per process
# (the date filters in seven legends a week were an eighth of Book a walk's time, issue 16). The
# language is the cache's key only; gettext reads the active one. The words are blocktranslate's were.
@lru_cache(maxsize=512)
def _week_heading(language: str, first_day: date) -> str:
    return mark_safe(  # noqa: S308 — as _day_legend
        gettext("%(first_day)s to %(last_day)s")
        % {
            "first_day": escape(date_format(first_day, "MONTH_DAY_FORMAT")),
            "last_day": escape(date_format(first_day + timedelta(days=6), "DATE_FORMAT")),
        }
    )


@lru_cache(maxsize=512)
def _day_legend(language: str, day: date) -> str:
    sunset = timezone.localtime(sunset_on(day))
    return mark_safe(  # noqa: S308 — the values are escaped, the words are our own catalogue's
        gettext('%(day)s <span class="fw-normal text-body-secondary small">· sunset %(sunset)s</span>')
        % {"day": escape(date_format(day, "l j F")), "sunset": escape(time_format(sunset, "H:i"))}
    )


def _slot_day(day: date, slots: list[Slot], chosen: str) -> dict:
    """One day of the picker, its radio buttons written here: a week is ~80 of them, and the
    template's loop, filters and lookups on each were most of Book a walk's rendering (issue 16).
    The markup, to the character, is what the template's loop wrote (_slot_picker.html)."""
    sunset = sunset_on(day)
    prefix = f"slot-{day:%Y%m%d}-"
    after_dark = format_html('<span class="badge text-bg-dark ms-1">{}</span>', gettext("After dark"))
    buttons = []
    for number, slot in enumerate(slots, start=1):
        value, slot_id = escape(slot.value), f"{prefix}{number}"
        buttons.append(
            f'\n          <input class="btn-check" type="radio" name="starts_at" id="{slot_id}"'
            f' value="{value}"{" checked" if slot.value == chosen else ""}>'
            f'\n          <label class="btn btn-outline-primary slot" for="{slot_id}">{slot.starts_at:%H:%M}'
            f"{after_dark if slot.starts_at >= sunset else ''}</label>\n        "
        )
    legend = _day_legend(get_language(), day)
    return {"day": day, "legend": legend, "slots": mark_safe("".join(buttons))}  # noqa: S308 — escaped above


def _form(request: HttpRequest, form_class):
    """The form, and whether it was submitted to act on. Changing week posts the form too (so what
    she typed survives), but only to show it again, unbound and without errors."""
    if "show_week" in request.POST:
        return form_class(initial=request.POST.dict()), False
    return form_class(request.POST or None), request.method == "POST"


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Resident: choose a time with her officer, where to meet and her route."""
    resident, pairing = _resident_and_pairing(request, officer_user=True)  # the booking tells her officer
    if resident is None:
        return redirect("participants:profile_create")
    if pairing is None:
        messages.info(request, _("You can book a walk as soon as you are paired with an officer."))
        return redirect("patrols:my_walks")
    form, submitted = _form(request, BookingForm)
    if submitted and form.is_valid():
        data = form.cleaned_data
        try:
            walk = booking.book_walk(
                resident=resident,
                starts_at=data["starts_at"],
                meeting_point=data["meeting_point"],
                meeting_latitude=data["meeting_latitude"],
                meeting_longitude=data["meeting_longitude"],
                route=data["route"],
                known_worries=data["known_worries"],
                by=request.user,
                pairing=pairing,
            )
        except booking.BookingError as error:
            form.add_error("starts_at", str(error))
        else:
            messages.success(request, _("Your walk is booked. We’ve sent you a confirmation."))
            return redirect("patrols:walk_detail", pk=walk.pk)
    context = {
        "form": form,
        "officer": pairing.officer,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_ATTRIBUTION,
        **_week_of_slots(request, pairing.officer),
    }
    return render(request, "patrols/book.html", context)


@role_required(RESIDENT)
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Resident: move her walk to another of her officer's times."""
    walk = walk_for(request, pk)
    form, submitted = _form(request, SlotChoiceForm)
    if submitted and form.is_valid():
        try:
            walk = booking.move_walk(walk=walk, starts_at=form.cleaned_data["starts_at"], by=request.user)
        except booking.BookingError as error:
            form.add_error("starts_at", str(error))
        else:
            messages.success(
                request,
                _(
                    "Your walk has moved. We’ll send you and your officer the new time, "
                    "with an updated invite."
                ),
            )
            return redirect("patrols:walk_detail", pk=walk.pk)
    context = {
        "form": form,
        "walk": walk,
        "officer": walk.officer,
        **_week_of_slots(request, walk.officer, ignore_walk=walk),
    }
    return render(request, "patrols/move.html", context)
