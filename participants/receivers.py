"""Signal receivers: everyone who signs up through the public form is a resident; sign-ins are logged."""

import logging
import time

from allauth.account.signals import user_signed_up
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .network import client_ip
from .roles import LOGIN_AT, RESIDENTS, is_staff_member

security_log = logging.getLogger("walkandtalk.security")


@receiver(user_signed_up)
def make_resident(sender, request, user, **kwargs) -> None:
    user.groups.add(Group.objects.get(name=RESIDENTS))


@receiver(user_logged_in)
def note_sign_in(sender, request, user, **kwargs) -> None:
    """Log it; staff sessions end when the browser closes, and after STAFF_SESSION_HOURS anyway."""
    security_log.info("signed in user=%s ip=%s", user.pk, client_ip(request) or "-")
    if request is not None and is_staff_member(user):
        request.session.set_expiry(0)
        request.session[LOGIN_AT] = time.time()


@receiver(user_login_failed)
def note_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    # The address tried is logged (a repeated guess at one account matters), never the password.
    security_log.warning(
        "sign-in failed for=%s ip=%s",
        str(credentials.get("email", credentials.get("username", "")))[:120],
        client_ip(request) or "-",
    )
