"""The audit trail: who looked at or changed which record, when, and from where (PRODUCT.md: Privacy).

Written here and nowhere else:
- `record_event` for one event (an export, an erasure, a sign-in, a change);
- `record_views` when a staff page shows residents — one INSERT for the whole page, however many
  residents it lists, so list pages keep a constant query count;
- signal receivers for every save and delete of residents, pairings, walks, concerns, their
  follow-ups and disclosures, so no code path that changes them can skip the log (`audit_changes`:
  participants' models here, patrols' from PatrolsConfig.ready(), as patrols sits above participants).

The request being served (for the actor and the IP address) comes from a context variable that
`participants.middleware.AuditContextMiddleware` sets; a Celery task has none, and is "system".

The log names records by type and id and residents who act by their user id, never by name or
email: it can then be kept whole when a resident's personal data is erased (participants/privacy.py).
Staff are named by email address — accountability is the point of the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import connections, models, router
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEvent, User
from .network import client_ip  # the client's address through the trusted proxy, as the rate limits see it
from .roles import RESIDENT, role_of

Action = AuditEvent.Action

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)

# Changes to these are logged whoever makes them and however (views, admin, tasks, the shell);
# patrols adds its own (walks, concerns, their follow-ups, disclosures) with `audit_changes`.
AUDITED_MODELS = (
    "participants.Resident",
    "participants.Pairing",
)


@contextmanager
def request_context(request: HttpRequest) -> Iterator[None]:
    """Make `request` the one the audit log reads its actor and IP address from."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def current_request() -> HttpRequest | None:
    return _request.get()


def actor_label(user: User | None) -> str:
    """How the log names who acted: staff by email, a resident by her user id, else "system"."""
    if user is None or not user.is_authenticated:
        return "system"
    if role_of(user) == RESIDENT:
        return f"resident (user {user.pk})"
    return user.email


def _type_of(obj: models.Model | type[models.Model]) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _event(
    *,
    actor: User | None,
    action: str,
    request: HttpRequest | None,
    object_type: str = "",
    object_id: Any = "",
    detail: str = "",
    at=None,
    label: str = "",
) -> AuditEvent:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent(
        at=at or timezone.now(),
        actor=actor,
        actor_label=(label or actor_label(actor))[:254],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:40],
        summary=detail[:300],
        path=request.get_full_path()[:300] if request is not None else "",
        ip_address=client_ip(request),
    )


def record_event(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: str = "",
    object_type: str = "",
    object_id: Any = "",
    label: str = "",
) -> AuditEvent:
    """Write one event. With no actor, the current request's user acts (none in a task: "system").

    Name the record with `obj`, or with `object_type` ("participants.resident") and `object_id`
    when only the id is at hand. `detail` must not hold personal data: it outlives erasure. `label`
    names an actor with no account (a partner's link: "partner link: Lambeth Council").
    """
    request = request or current_request()
    if obj is not None:
        object_type, object_id = _type_of(obj), obj.pk
    event = _event(
        actor=actor,
        action=action,
        request=request,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        label=label,
    )
    _insert(event)
    return event


@cache
def _insert_sql() -> tuple[list, str]:
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(f'"{field.column}"' for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    # The model's table and columns; every value is a parameter.
    return fields, f'INSERT INTO "{AuditEvent._meta.db_table}" ({columns}) VALUES ({marks}) RETURNING "id"'  # noqa: S608


def _insert(event: AuditEvent) -> None:
    """`event.save()`, as one statement written once: every page that shows or changes a record
    writes an event, and the ORM's insert, compiled each time, was a twentieth of a POST (issue 16).
    The values are prepared by each field, as save() prepares them."""
    fields, sql = _insert_sql()
    connection = connections[router.db_for_write(AuditEvent)]
    values = [field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias


def record_views(*, request: HttpRequest, objects: Iterable[models.Model], detail: str) -> int:
    """A staff page showed these records (residents, usually): one row each, in a single INSERT."""
    seen: dict[tuple[str, Any], models.Model] = {}
    for obj in objects:
        seen.setdefault((_type_of(obj), obj.pk), obj)
    if not seen:
        return 0
    now = timezone.now()
    events = [
        _event(
            actor=None,
            action=Action.VIEWED,
            request=request,
            object_type=object_type,
            object_id=pk,
            detail=detail,
            at=now,
        )
        for object_type, pk in seen
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)


# --- Changes, by signal ----------------------------------------------------------------------------


def _changed(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw:  # loaddata: not a change anyone made
        return
    detail = ""
    if not created and update_fields:
        detail = "fields: " + ", ".join(sorted(update_fields))
    record_event(
        actor=None, action=Action.CREATED if created else Action.CHANGED, obj=instance, detail=detail
    )


def _deleted(sender, instance, **kwargs) -> None:
    record_event(
        actor=None, action=Action.DELETED, object_type=_type_of(instance), object_id=instance.pk, detail=""
    )


def _signed_in(sender, request, user, **kwargs) -> None:
    record_event(actor=user, action=Action.SIGNED_IN, obj=user, request=request)


def audit_changes(*models: type[models.Model]) -> None:
    """Log every save and delete of these models. From an AppConfig.ready(); twice changes nothing."""
    for model in models:
        label = model._meta.label
        post_save.connect(_changed, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit-delete-{label}")


def connect_signals() -> None:
    """Called once from ParticipantsConfig.ready()."""
    from django.apps import apps

    audit_changes(*(apps.get_model(label) for label in AUDITED_MODELS))
    user_logged_in.connect(_signed_in, dispatch_uid="audit-signed-in")
