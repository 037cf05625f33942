"""Web Push (VAPID, RFC 8030/8291/8292) as a channel of the outbox: officers' phones.

How a push is recorded — one Notification row per device, written beside her email's row:
- Exactly once per device falls out of what every row already has: its own unique key
  (`<email row's key>:push:<subscription>`), its own claim, and its own "sent" mark. One row per
  officer fanned out at send time would need a second record of which devices a half-finished send
  reached, or a retry after one phone's failure would push again to the phones that had it.
- The sergeant's outbox stays readable: her email is one row and each phone one more, with channel
  "Push"; a device's failure or removal is that row's own status and note, not hidden in another's.
- Replacing and cancelling need nothing new: the push rows share the email row's kind, recipient and
  subject (`about_*`), so `outbox.record`'s replacing and `outbox.cancel` reach them too.
A device turned on after a message was written does not get that message; the email still tells her.

Safety of the endpoint: it comes from the browser, so from anyone who can post to the subscribe view.
This server must never be made to send requests into its own network (SSRF): an endpoint is https on
a public host name or address (`endpoint_problem`), its name must resolve to public addresses only
when a push is sent (checked again then: DNS can change), and redirects are not followed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import re
import socket
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import requests
from allauth.account.signals import password_changed
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection, models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.module_loading import import_string

from .kinds import Gone
from .models import Notification, PushSubscription
from .vapid import b64url, b64url_decode

logger = logging.getLogger(__name__)

ENDPOINT_MAX_LENGTH = PushSubscription._meta.get_field("endpoint").max_length
# A push service's names: never one of these private suffixes (they resolve inside a network).
PRIVATE_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home", ".corp", ".intranet")


class SubscriptionError(ValueError):
    """A subscription the server will not keep; the message is fit for the page."""


class SubscriptionGone(Exception):
    """The push service says the device's subscription no longer exists (404/410): it is removed."""


@dataclass
class PushContent:
    """What the phone shows (sw-push.js): discreet, since anyone may see a lock screen."""

    title: str
    body: str
    url: str
    tag: str = ""  # a newer message with the same tag replaces the older one on the phone

    def payload(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


# --- Which endpoints are acceptable -------------------------------------------------------------


def _is_test_host(host: str) -> bool:
    return host in settings.PUSH_TEST_ENDPOINT_HOSTS


def endpoint_problem(endpoint: str) -> str:
    """Why an endpoint is refused ("" when it is acceptable), without looking anything up."""
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        return "That push address is too long."
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "That is not a push address."
    if _is_test_host(host) and parts.scheme in ("http", "https"):
        return ""
    if parts.scheme != "https" or not host:
        return "A push address must start with https://."
    if parts.username or parts.password or port not in (None, 443):
        return "That is not a push address."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return "" if address.is_global else "A push address must be on the public internet."
    # A name under a real top-level domain: letters first ("127.1" and "0x7f.1" are addresses that
    # resolvers accept in disguise).
    top = host.rstrip(".").rsplit(".", 1)[-1]
    if (
        "." not in host.rstrip(".")
        or host.rstrip(".").endswith(PRIVATE_SUFFIXES)
        or not re.fullmatch(r"[a-z0-9.-]+", host)
        or not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", top)
    ):
        return "A push address must be on the public internet."
    return ""


def resolves_publicly(endpoint: str) -> bool:
    """At send time: every address the host resolves to is public (or it is a test host)."""
    host = (urlsplit(endpoint).hostname or "").lower()
    if _is_test_host(host):
        return True
    try:
        found = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return True  # not resolvable now: the send fails and is retried like any network failure
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_global for info in found)


def _key(value: object, *, length: int, name: str) -> str:
    if not isinstance(value, str) or len(value) > 200 or not re.fullmatch(r"[A-Za-z0-9_-]+=*", value):
        raise SubscriptionError(f"The browser sent no usable {name} key.")
    try:
        raw = b64url_decode(value.rstrip("="))
    except ValueError:
        raise SubscriptionError(f"The browser sent no usable {name} key.") from None
    if len(raw) != length or (name == "p256dh" and raw[0] != 4):
        raise SubscriptionError(f"The browser sent no usable {name} key.")
    return value.rstrip("=")


def device_label(user_agent: str) -> str:
    """ "Chrome on Android": enough for her to tell her devices apart, nothing more is kept."""
    browser = next(
        (
            name
            for token, name in (
                ("Edg/", "Edge"),
                ("SamsungBrowser", "Samsung Internet"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
            )
            if token in user_agent
        ),
        "A browser",
    )
    system = next(
        (
            name
            for token, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS X", "Mac"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if token in user_agent
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


# --- Turning push on and off (the officer's page in participants) --------------------------------


def subscribe(*, user, session_key: str, subscription: object, user_agent: str = "") -> PushSubscription:
    """Keep this device's subscription (the browser's PushSubscription.toJSON()) for this session.
    Raises SubscriptionError with a message for the page."""
    if not session_key:
        raise SubscriptionError("Sign in again, then turn notifications on.")
    if not isinstance(subscription, dict):
        raise SubscriptionError("The browser sent no subscription.")
    endpoint = subscription.get("endpoint")
    keys = subscription.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise SubscriptionError("The browser sent no push address.")
    problem = endpoint_problem(endpoint)
    if problem:
        raise SubscriptionError(problem)
    if not isinstance(keys, dict):
        raise SubscriptionError("The browser sent no encryption keys.")
    p256dh = _key(keys.get("p256dh"), length=65, name="p256dh")
    auth = _key(keys.get("auth"), length=16, name="auth")
    row, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "session_key": session_key,
            "label": device_label(user_agent)[:100],
            "created_at": timezone.now(),
            "last_success_at": None,
        },
    )
    return row


def unsubscribe(*, user, endpoint: str = "", session_key: str = "") -> int:
    """This device turns push off: by its endpoint, or (the browser lost it) this session's rows."""
    mine = PushSubscription.objects.filter(user=user)
    if endpoint:
        return mine.filter(endpoint=endpoint).delete()[0]
    if session_key:
        return mine.filter(session_key=session_key).delete()[0]
    return 0


def remove(*, user, pk: int) -> int:
    """She removes one of her devices from the list (a lost phone). Only her own."""
    return PushSubscription.objects.filter(user=user, pk=pk).delete()[0]


# --- Which device a request comes from -------------------------------------------------------------
#
# A subscription belongs to the session it was made in (`session_key`), and the browser also keeps a
# signed cookie naming it, because a session does not last as long as a phone: a staff session ends
# with the browser or after STAFF_SESSION_HOURS, and a password change gives it a new key. With the
# cookie, signing in again on that phone moves the subscription to the new session (so signing out
# there still removes it), and someone else signing in on it removes the last person's.

DEVICE_COOKIE_SALT = "walkandtalk.outbox.push.device"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def remember_device(response, device: PushSubscription) -> None:
    response.set_signed_cookie(
        settings.PUSH_DEVICE_COOKIE_NAME,
        str(device.pk),
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def forget_device(response) -> None:
    response.delete_cookie(settings.PUSH_DEVICE_COOKIE_NAME, samesite="Lax")


def device_of(request) -> int | None:
    """The subscription this browser says it holds (signed, so never a guess at another's)."""
    cookies = getattr(request, "COOKIES", None) or {}
    if settings.PUSH_DEVICE_COOKIE_NAME not in cookies:
        return None
    value = request.get_signed_cookie(
        settings.PUSH_DEVICE_COOKIE_NAME, default=None, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_MAX_AGE
    )
    return int(value) if value and value.isdigit() else None


def _session_key(request) -> str:
    return getattr(getattr(request, "session", None), "session_key", None) or ""


@receiver(user_logged_out, dispatch_uid="outbox.push.signed_out")
def signed_out(sender, request, user, **kwargs) -> None:
    """Signing out on a device ends its push: a shared or lost phone shows nothing more of hers."""
    if user is None:
        return
    device = device_of(request)
    session_key = _session_key(request)
    if session_key or device:
        PushSubscription.objects.filter(user=user).filter(
            models.Q(session_key=session_key) | models.Q(pk=device)
        ).delete()


@receiver(user_logged_in, dispatch_uid="outbox.push.signed_in")
@receiver(password_changed, dispatch_uid="outbox.push.password_changed")
def session_changed(sender, request, user, **kwargs) -> None:
    """Signed in again (or a new session key after a password change) on a phone with push on: the
    subscription follows the new session. Someone else signing in on it: the last person's goes."""
    device = device_of(request)
    session_key = _session_key(request)
    if device is None or not session_key:
        return
    PushSubscription.objects.filter(pk=device).exclude(user=user).delete()
    PushSubscription.objects.filter(pk=device, user=user).update(session_key=session_key)


# --- Recording: one row per device (see the module's docstring) ----------------------------------


# Their devices, newest first (PushSubscription's ordering), as one statement written once: every
# booking, move and cancellation records messages, and compiling this each time was a tenth of the
# booking POST's time (issue 16).
_DEVICES_SQL = f"""
    SELECT id, user_id, label FROM {PushSubscription._meta.db_table} WHERE user_id = ANY(%s)
    ORDER BY created_at DESC, id
"""  # noqa: S608 — the model's table; every value is a parameter


def fan_out(rows: list[Notification], *, pushed) -> list[Notification]:
    """The push rows for these rows: one per device of the recipient, for each row whose kind is
    pushed (`pushed(row)`). One query, and none when no row is pushed."""
    if not settings.PUSH_ENABLED:
        return []
    wanted = [
        row for row in rows if row.recipient_id and row.channel != Notification.Channel.PUSH and pushed(row)
    ]
    if not wanted:
        return []
    devices: dict[int, list[tuple[int, str]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_DEVICES_SQL, [sorted({row.recipient_id for row in wanted})])
        for pk, user_id, label in cursor.fetchall():
            devices.setdefault(user_id, []).append((pk, label))
    return [
        Notification(
            kind=row.kind,
            recipient_id=row.recipient_id,
            channel=Notification.Channel.PUSH,
            about_type=row.about_type,
            about_id=row.about_id,
            # the device's label, for the sergeant's list ("… · Chrome on Android")
            data={**row.data, "subscription": device, "device": label},
            due_at=row.due_at,
            idempotency_key=f"{row.idempotency_key}:push:{device}",
        )
        for row in wanted
        for device, label in devices.get(row.recipient_id, [])
    ]


# --- Sending ------------------------------------------------------------------------------------


def subscription_for(notification: Notification) -> PushSubscription:
    """The row's device, if it may still be pushed to (else Gone: the message is cancelled)."""
    device = PushSubscription.objects.filter(
        pk=notification.data.get("subscription"), user_id=notification.recipient_id
    ).first()
    if device is None:
        raise Gone("That device has turned notifications off or signed out.")
    engine = import_string(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore()
    if not store.exists(device.session_key):
        # Signed out elsewhere, or the session ran out: the phone may be in someone else's hands.
        device.delete()
        raise Gone("The device's session has ended: its subscription was removed.")
    return device


def topic(reference: str) -> str:
    """The message's Topic (RFC 8030 5.4), the same on every try: a push service holding an undelivered
    copy (the phone is off) replaces it rather than delivering both, as a stable Message-ID lets a mail
    system spot a duplicate. At most 32 characters of base64url."""
    return b64url(hashlib.sha256(reference.encode()).digest())[:32]


class _NoRedirects(requests.Session):
    """A push service answers; it does not send us elsewhere (that could be inside our network)."""

    def request(self, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


class WebPushBackend:
    """Sends through the device's push service with pywebpush."""

    def send(self, *, device: PushSubscription, content: PushContent, reference: str) -> str:
        from pywebpush import WebPushException, webpush

        if endpoint_problem(device.endpoint) or not resolves_publicly(device.endpoint):
            device.delete()
            raise SubscriptionGone("The push address is not on the public internet: removed.")
        try:
            with _NoRedirects() as session:
                response = webpush(
                    subscription_info=device.info(),
                    data=content.payload(),
                    vapid_private_key=settings.VAPID_PRIVATE_KEY,
                    vapid_claims={"sub": settings.VAPID_SUBJECT},
                    ttl=settings.PUSH_TTL_SECONDS,
                    timeout=settings.PUSH_TIMEOUT_SECONDS,
                    headers={"Urgency": "normal", "Topic": topic(reference)},
                    requests_session=session,
                )
        except WebPushException as error:
            if error.status_code in (404, 410):
                device.delete()
                raise SubscriptionGone(
                    f"The push service no longer knows that device ({error.status_code}): removed."
                ) from None
            raise
        PushSubscription.objects.filter(pk=device.pk).update(last_success_at=timezone.now())
        # The push service's id for the message (Location), when it gives one.
        return response.headers.get("Location", "")[-100:] if hasattr(response, "headers") else ""


def get_backend() -> WebPushBackend:
    return WebPushBackend()
