"""Concerns: logging them on a walk (also from a phone that lost signal), following them up, the
officer's open list and her area's anonymised view; safeguarding disclosures."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from participants.access import officer_of, role_required
from participants.roles import OFFICER, SERGEANT, role_of

from .. import concerns as concern_service
from .. import offline, referrals
from ..access import concern_for, walk_for, walk_page
from ..forms import (
    ConcernFilterForm,
    ConcernForm,
    ConcernPinForm,
    ConcernUpdateForm,
    DisclosureForm,
    ReferForm,
)
from ..models import Concern, Referral, RoutingRule
from ..stats import without_pin

STAFF = (OFFICER, SERGEANT)
PAGE_SIZE = 25


def _wants_json(request: HttpRequest) -> bool:
    """The phone's draft sender asks for JSON; a plain form post (no JavaScript) gets pages."""
    return "application/json" in request.headers.get("Accept", "")


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def concern_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a concern on a walk: its officer (or the sergeant), during or after the walk."""
    walk = walk_for(request, pk)
    form = ConcernForm(request.POST or None, initial={"draft_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern, created = concern_service.log_concern(walk=walk, by=request.user, **data)
        except concern_service.ConcernError as error:
            form.add_error(None, str(error))
        else:
            done = walk_page(request.user, walk.pk)
            # Sent in the background from another page (the phone's outbox): that page says so itself,
            # and a flash message would turn up later on some unrelated page.
            if created and not request.headers.get("X-Concern-Outbox"):
                messages.success(
                    request, f"Concern logged: {concern.category}. Log another, or finish the walk."
                )
            if _wants_json(request):
                # done_at: when it is recorded as logged (for one queued with no signal, when she
                # saved it, within bounds: patrols/acted_at.py), for the phone to say.
                return JsonResponse(
                    {
                        "ok": True,
                        "concern": concern.pk,
                        "created": created,
                        "next": done,
                        "done_at": concern.created_at.isoformat(),
                    }
                )
            return redirect(done)
    if request.method == "POST" and _wants_json(request):
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    context = {
        "walk": walk,
        "walk_url": walk_page(request.user, walk.pk),
        "form": form,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_ATTRIBUTION,
    }
    response = render(request, "patrols/concern_form.html", context)
    if request.method == "GET" and offline.in_window(walk):
        return offline.keep_offline(request, response)
    return response


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def concern_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A concern and its follow-ups: the officer who logged it (or the sergeant) adds updates here,
    refers it to a partner or re-routes it (the form posts to concern_refer). Others get 404."""
    concern = concern_for(request, pk)
    current = concern.referrals.current().select_related("partner").first()
    form = ConcernUpdateForm(request.POST or None, partner=current.partner if current else None)
    if request.method == "POST" and form.is_valid():
        try:
            update = concern_service.add_update(concern=concern, by=request.user, **form.cleaned_data)
        except concern_service.ConcernError as error:
            form.add_error(None, str(error))
        else:
            shared = form.cleaned_data.get("share_with_partner")
            if not request.headers.get("X-Concern-Outbox"):
                messages.success(
                    request, f"Update added and sent to {current.partner}." if shared else "Update added."
                )
            if _wants_json(request):
                return JsonResponse(
                    {
                        "ok": True,
                        "next": reverse("patrols:concern_detail", args=[concern.pk]),
                        "done_at": update.at.isoformat(),
                    }
                )
            return redirect("patrols:concern_detail", pk=concern.pk)
    if request.method == "POST" and _wants_json(request):
        # Sent from her phone's outbox: the reason (concern closed meanwhile, a field to fix) as JSON.
        errors = {field: [str(e) for e in errs] for field, errs in form.errors.items()}
        return JsonResponse({"ok": False, "errors": errors}, status=409 if "__all__" in errors else 400)
    response = _detail_page(request, concern, form=form, current=current)
    return offline.keep_offline(request, response) if request.method == "GET" else response


@role_required(*STAFF)
@require_POST
def concern_refer(request: HttpRequest, pk: int) -> HttpResponse:
    """Refer a concern to a partner, or re-route it to another: the officer who logged it, or the
    sergeant (others get 404). The partner's contacts are emailed a link to answer it."""
    concern = concern_for(request, pk)
    refer_form = ReferForm(request.POST)
    if refer_form.is_valid():
        partner = refer_form.cleaned_data["partner"]
        try:
            referral = referrals.refer(
                concern=concern, partner=partner, by=request.user, team=refer_form.cleaned_data["team"]
            )
        except concern_service.ConcernError as error:
            refer_form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Referred to {referral.partner}. Their contacts are emailed a link to answer it."
            )
            return redirect("patrols:concern_detail", pk=concern.pk)
    return _detail_page(request, concern, refer_form=refer_form)


def suggestion_text(rule: RoutingRule) -> str:
    """ "Lambeth Council — street lighting (badly lit in Lambeth)": who, and which rule said so."""
    what = rule.category.name.lower() if rule.category_id else "anything"
    where = f"in {rule.borough.name}" if rule.borough_id else "anywhere"
    team = f" — {rule.team}" if rule.team else ""
    return f"{rule.partner}{team} ({what} {where})"


def _detail_page(
    request: HttpRequest,
    concern: Concern,
    *,
    form: ConcernUpdateForm | None = None,
    refer_form: ReferForm | None = None,
    current: Referral | None = None,
) -> HttpResponse:
    history = list(
        concern.referrals.select_related("partner", "referred_by__officer").order_by("-referred_at", "-pk")
    )
    for referral in history:
        by = referral.referred_by
        officer = getattr(by, "officer", None) if by is not None else None
        referral.by_label = officer.display_name if officer is not None else ("the sergeant" if by else "")
    current = current or next((referral for referral in history if referral.is_current), None)
    if form is None:
        form = ConcernUpdateForm(partner=current.partner if current else None)
    can_refer = concern.status in (Concern.Status.OPEN, Concern.Status.REFERRED)
    rule = referrals.suggest(concern) if can_refer else None
    if refer_form is None and can_refer:
        initial = {}
        if rule is not None and (current is None or current.partner_id != rule.partner_id):
            initial = {"partner": rule.partner_id, "team": rule.team}
        refer_form = ReferForm(initial=initial)
    updates = list(concern.updates.select_related("by", "referral__partner"))
    for update in updates:
        # A partner's answer reads as theirs: "Lambeth Council: fixed".
        update.heading = (
            f"{update.referral.partner}: {referrals.ANSWER_HEADINGS.get(update.answer, update.answer)}"
            if update.answer and update.referral_id
            else ""
        )
    context = {
        "concern": concern,
        "walk_url": walk_page(request.user, concern.walk_id),
        "updates": updates,
        "form": form,
        "refer_form": refer_form,
        "suggestion": suggestion_text(rule) if rule is not None else "",
        "current": current,
        "referral_history": history,
        "overdue": bool(current and current.is_overdue),
        # The copy her phone keeps for no signal leaves out what the resident said (patrols/offline.py).
        "offline_copy": offline.offline_copy(request),
    }
    return render(request, "patrols/concern_detail.html", context)


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def concern_pin(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a map pin to a concern logged by street or landmark: one tap on the map, then Save.
    The officer who logged it, or the sergeant; anyone else gets 404."""
    concern = concern_for(request, pk)
    # Not `request.POST or None`: an empty POST (Save with no pin) must still say what to do.
    form = ConcernPinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            concern_service.set_pin(concern=concern, by=request.user, **form.cleaned_data)
        except concern_service.ConcernError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Map pin saved: {concern.category} — {concern.location_text}.")
            if role_of(request.user) == OFFICER:
                return redirect("patrols:my_concerns")
            return redirect("patrols:concern_detail", pk=concern.pk)
    context = {
        "concern": concern,
        "form": form,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_ATTRIBUTION,
    }
    return render(request, "patrols/concern_pin.html", context)


@role_required(OFFICER)
@require_GET
def my_open_concerns(request: HttpRequest) -> HttpResponse:
    """Officer: the concerns she logged that are still open or referred, oldest first."""
    concerns = (
        Concern.objects.visible_to(request.user)
        .unresolved()
        .select_related("category", "ward")
        .order_by("created_at", "pk")
    )
    page = Paginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "no_pin": without_pin(concerns)}
    return offline.keep_offline(request, render(request, "patrols/my_concerns.html", context))


@role_required(OFFICER)
@require_GET
def area_concerns(request: HttpRequest) -> HttpResponse:
    """Officer: concerns from every walk in her wards, anonymised — no resident's name or details."""
    officer = officer_of(request)
    filters = ConcernFilterForm(request.GET or None)
    concerns = (
        Concern.objects.in_wards_of(officer).select_related("category", "ward").order_by("-created_at", "-pk")
    )
    if filters.is_valid():
        if filters.cleaned_data["category"]:
            concerns = concerns.filter(category=filters.cleaned_data["category"])
        if filters.cleaned_data["status"]:
            concerns = concerns.filter(status=filters.cleaned_data["status"])
    # Only what a map marker needs: never the walk, the resident or what she said.
    points = [
        {
            "lat": float(c["latitude"]),
            "lng": float(c["longitude"]),
            "category": c["category__name"],
            "colour": c["category__colour"],
            "status": Concern.Status(c["status"]).label,
        }
        for c in concerns.filter(latitude__isnull=False).values(
            "latitude", "longitude", "category__name", "category__colour", "status"
        )[:2000]
    ]
    page = Paginator(concerns, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "points": points,
        "no_pin": without_pin(concerns),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_ATTRIBUTION,
        "query": _query_without_page(request),
    }
    return render(request, "patrols/area_concerns.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def disclosure_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a safeguarding disclosure on the walk. Restricted: her officer and the sergeant only."""
    walk = walk_for(request, pk)
    form = DisclosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            concern_service.record_disclosure(walk=walk, by=request.user, **form.cleaned_data)
        except concern_service.ConcernError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Disclosure recorded. Only you and the sergeant can see it.")
            return redirect(walk_page(request.user, walk.pk))
    context = {"walk": walk, "form": form, "walk_url": walk_page(request.user, walk.pk)}
    return render(request, "patrols/disclosure_form.html", context)
