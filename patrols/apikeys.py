"""Partners' API keys for their own referrals as Open311 open data (issue 15, points 7 and 9).

- `issue_key` makes a key: 256 random bits from `secrets`, shown once (the plaintext is returned and
  never stored); the row keeps its SHA-256 and its first characters, to tell keys apart in lists.
- `verify` finds the key a request presents. A key is a long random string, not a password, so a fast
  hash is enough (nothing to stretch); looking the row up by its hash means the comparison never runs
  over the secret itself, and a wrong key costs one indexed query like a right one.
- `revoke` stops a key at once; the row stays, for the audit log and the list.

Issuing and revoking are written to the audit log (participants.audit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from participants.audit import record_event
from participants.models import AuditEvent, User

from .models import Partner, PartnerApiKey

PREFIX_LENGTH = 8
# `last_used_at` is for the sergeant ("is this key still in use?"), not a log: one write a minute at
# most, so a partner's system polling every second does not write a row each time.
LAST_USED_GRANULARITY = timedelta(minutes=1)
# Longer than any key we issue (43 characters); anything longer is not one of ours and is not hashed.
MAX_KEY_LENGTH = 200


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def issue_key(*, partner: Partner, name: str, by: User | None = None) -> tuple[PartnerApiKey, str]:
    """A new key for `partner`: the row and the plaintext, which is shown once and never again."""
    plaintext = secrets.token_urlsafe(32)
    key = PartnerApiKey(
        partner=partner,
        name=name.strip()[:120],
        prefix=plaintext[:PREFIX_LENGTH],
        key_hash=hash_key(plaintext),
    )
    key.full_clean(exclude=["key_hash"])  # its uniqueness is the database's (a collision is 2^-256)
    key.save()
    record_event(
        actor=by,
        action=AuditEvent.Action.CREATED,
        obj=key,
        detail=f"Open311 API key {key.prefix}… issued for {partner.name}",
    )
    return key, plaintext


def verify(plaintext: str | None, *, now: datetime | None = None) -> PartnerApiKey | None:
    """The live key `plaintext` is, with its partner; None for a missing, unknown or revoked key."""
    if not plaintext or len(plaintext) > MAX_KEY_LENGTH:
        return None
    digest = hash_key(plaintext)
    key = PartnerApiKey.objects.select_related("partner").filter(key_hash=digest).first()
    if key is None or not hmac.compare_digest(key.key_hash, digest) or key.revoked_at is not None:
        return None
    now = now or timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_GRANULARITY:
        # Conditional, so concurrent requests write it once; and never while it is being revoked.
        PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


def revoke(*, key: PartnerApiKey, by: User | None = None, now: datetime | None = None) -> bool:
    """Stop `key` at once. False if it was already revoked (nothing changes, nothing is logged)."""
    now = now or timezone.now()
    changed = PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not changed:
        return False
    key.revoked_at = now
    record_event(
        actor=by,
        action=AuditEvent.Action.CHANGED,
        obj=key,
        detail=f"Open311 API key {key.prefix}… revoked for {key.partner.name}",
    )
    return True
