"""The partner's page: a referral opened from the link in its email (no account). Who may see it:
whoever holds a valid link for that referral; nobody else, and never more than that referral — what
and where (patrols.messages.partner_view), the updates shared with partners, and one form to answer.

The token is in the address, so the page is never cached and sends no referrer (its map link goes to
OpenStreetMap); a refused link (altered, revoked, expired) gets a page that says so and how to get a
new one, and nothing about the concern."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from .. import reads, referrals
from ..forms import PartnerAnswerForm
from ..messages import partner_view
from ..models import Referral

# Why a referral is no longer with the partner, in their words.
ENDED = {
    Referral.State.REROUTED: "The police have passed this concern to another partner.",
    Referral.State.NOT_OURS: "You told us this is not yours. The police will pass it to someone else.",
    Referral.State.WONT_FIX: "You told us you won’t fix this. The police have closed it.",
}
ENDED_BY_POLICE = "The police have closed this concern."


def _private(response: HttpResponse) -> HttpResponse:
    """The link is a credential: nobody keeps the page, and no other site learns its address."""
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
def partner_referral(request: HttpRequest, token: str) -> HttpResponse:
    """Whoever holds a valid link for this referral (no account): its concern as a partner may see it,
    and while it is with them one form to answer. Each use renews the link and is audited."""
    if request.method == "POST":
        # The link opened and the answer written in one transaction: the referral is read (and locked)
        # once, and the answer is judged on the row as it stands (issue 16).
        with transaction.atomic():
            return _partner_referral(request, token)
    return _partner_referral(request, token)


def _partner_referral(request: HttpRequest, token: str) -> HttpResponse:
    try:
        referral = referrals.open_link(token, request=request, answering=request.method == "POST")
    except referrals.LinkRefused as refused:
        # The reason and its message only: the referral it may name is none of the holder's business.
        context = {"reason": refused.reason, "message": refused.message, "show_quick_exit": False}
        status = 410 if refused.reason == "expired" else 403
        return _private(render(request, "patrols/partner_link_refused.html", context, status=status))

    form = None
    if referral.is_current:
        form = PartnerAnswerForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                referrals.answer(referral=referral, locked=True, **form.cleaned_data)
            except referrals.ReferralError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Thank you — your answer is on the concern."))
                return _private(redirect("patrols:partner_referral", token=token))
    elif request.method == "POST":
        messages.error(request, _("This concern is no longer with you, so there is nothing to answer."))

    concern = referral.concern
    history = reads.shared_updates(concern.pk)
    context = {
        **partner_view(concern),
        "referral": referral,
        "partner": referral.partner,
        "history": history,
        "form": form,
        "ended_because": ("" if referral.is_current else ENDED.get(referral.state, ENDED_BY_POLICE)),
        "overdue": referral.is_overdue,
        "station_phone": settings.STATION_PHONE,
        # A partner's page, not a resident's: no "Exit this page" (base.html asks this).
        "show_quick_exit": False,
    }
    return _private(render(request, "patrols/partner_referral.html", context))
