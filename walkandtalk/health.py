"""Health checks: is the database reachable, is the broker reachable."""

from __future__ import annotations

from django.db import connection

from .celery import app


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker(timeout: float = 2.0) -> None:
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


CHECKS = {"database": check_database, "broker": check_broker}


def run_checks() -> dict[str, str]:
    """Each check's result: "ok", or the kind of error (never the details, which may hold secrets)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 — any failure means "not reachable"
            results[name] = f"unreachable ({type(error).__name__})"
        else:
            results[name] = "ok"
    return results
