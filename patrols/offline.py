"""The officer's pages that her phone keeps for when there is no signal (issue 17, points 2 and 5).

The service worker (frontend/service-worker.js) caches a page only when its response says so with
OFFLINE_HEADER: the server, not the phone, decides what may be kept. It says so only to an officer, and
only for the pages named in the issue — Today, the walks of today and tomorrow (their page, concern form
and "finish?" page), her open concerns and the week's schedule — so a resident's or the sergeant's page,
or a walk further ahead, is never kept on a phone. Today lists these pages (warm_urls) so the phone
fetches them all as soon as she opens Today with signal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from participants.roles import OFFICER, role_of

from . import reads
from .models import LONDON, Walk

OFFLINE_HEADER = "X-Offline-Cache"
# What the service worker drops a kept page after (also enforced there, from the page's Date).
KEPT_FOR = timedelta(hours=24)
# The schedule's offline copy: the week, with who and where only for today's and tomorrow's walks.
SCHEDULE_OFFLINE_DAYS = 7
WITH_RESIDENT_DAYS = 2


def start_of_today(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now(), LONDON).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def in_window(walk: Walk, now: datetime | None = None) -> bool:
    """A walk of today or tomorrow (London): the only walks whose resident data a phone may keep."""
    start = start_of_today(now)
    return start <= walk.starts_at < start + timedelta(days=WITH_RESIDENT_DAYS)


def offline_copy(request: HttpRequest) -> bool:
    """Whether this GET is the phone fetching a page to keep (`?offline=1`, asked by Today's warm-up).
    Only these responses are kept, never the page she browses, so the kept copy is the lean one: no
    disclosures, no resident beyond tomorrow."""
    return request.GET.get("offline") == "1" and role_of(request.user) == OFFICER


def keep_offline(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Mark an officer's page as one her phone may keep. It stays `no-store` for the browser's own cache
    (walkandtalk.middleware.PrivateResponseMiddleware): only the app keeps it, on purpose, for 24 h."""
    if offline_copy(request) and response.status_code == 200:
        response[OFFLINE_HEADER] = "officer"
    return response


# Her open concerns whose pages the phone keeps (for a follow-up with no signal): the first page of
# her list, oldest first, as the list shows them.
KEPT_CONCERNS = 25


def warm_urls(walks: list[Walk], *, today_path: str, concern_ids: list[int] = ()) -> list[dict[str, str]]:
    """What Today asks the phone to fetch and keep: {"url": fetched, "key": kept as}."""
    keys = [today_path, reverse("patrols:my_concerns"), reverse("patrols:schedule")]
    # Each URL reversed once, not once for every walk (issue 16).
    concern_page, walk_page = reads.pk_url("patrols:concern_detail"), reads.pk_url("patrols:officer_walk")
    concern_form, finish_page = reads.pk_url("patrols:concern_new"), reads.pk_url("patrols:walk_finish")
    # Their kept copies leave out what the resident said (patrols/views/concerns.py, concern_detail).
    keys += [concern_page(pk) for pk in concern_ids]
    for walk in walks:
        keys.append(walk_page(walk.pk))
        keys.append(concern_form(walk.pk))
        # As Today links to it (templates/patrols/today.html), so the kept copy is found by that link.
        keys.append(f"{finish_page(walk.pk)}?next={today_path}")
        keys.append(finish_page(walk.pk))  # as the walk's page links to it
    # Each is fetched as its offline copy and kept as the page she opens.
    return [{"url": key + ("&" if "?" in key else "?") + "offline=1", "key": key} for key in keys]
