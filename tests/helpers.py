"""Small helpers several test modules share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each request in its own savepoint, undone afterwards: every role meets the same scene."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def body_of(response) -> str:
    """A response's text, streamed (CSV exports) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")
