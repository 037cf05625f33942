"""The partner's page: a referral opened from the link in its email (no account). Who may see it:
whoever holds a valid link for that referral; nobody else, and never more than that referral."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .. import referrals


@require_http_methods(["GET", "POST"])
def partner_referral(request: HttpRequest, token: str) -> HttpResponse:
    try:
        referral = referrals.open_link(token, request=request, answering=request.method == "POST")
    except referrals.LinkRefused as refused:
        return render(request, "patrols/partner_link_refused.html", {"refused": refused}, status=403)
    return render(request, "patrols/partner_referral.html", {"referral": referral})
