"""allauth adapter: too many failed sign-ins answer 429 with the friendly page, and are logged."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext

from .models import User
from .network import client_ip

security_log = logging.getLogger("walkandtalk.security")


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        """An address longer than the column is refused: allauth would cut it to fit (user_field), so
        the account got 254 `a`s and no `@`, and the confirmation went to nobody. Every email form
        (sign-up, add or change an address, reset a password) asks this."""
        email = super().clean_email(email)
        limit = User._meta.get_field("email").max_length
        if len(email) > limit:
            raise ValidationError(
                gettext(
                    "That email address is too long: enter one of %(limit)s characters or fewer "
                    "(this one has %(length)s)."
                )
                % {"limit": limit, "length": number_format(len(email), force_grouping=True)},
                code="max_length",
            )
        return email

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits and the sessions list use: the client's, through the trusted
        proxy (participants/network.py), the same one the sign-in and audit logs record."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth shows an exhausted "login_failed" limit as a form error; the scheme answers 429, so
        # the sixth failed sign-in in five minutes is plainly refused (the admin's sign-in is this one).
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            security_log.warning(
                "sign-in rate limited for=%s ip=%s",
                str(credentials.get("email", credentials.get("username", "")))[:120],
                client_ip(request) or "-",
            )
            raise ImmediateHttpResponse(respond_429(request)) from None
