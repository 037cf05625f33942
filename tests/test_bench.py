"""The bench (bench/dispatch.py, `make bench`) with a few messages: it runs, and reports no duplicates;
and with the worker SIGKILLed twice on the way, nothing is lost and there are no more duplicates than
kills that landed inside a send. The 10,000-message runs are `make bench`, not part of the suite.

And the web bench (bench/web.py) at the tiny scale, a fraction of a second per page: every page runs,
the partner loop's and the dashboard's new scenarios included, the result has each page's shares of
SQL, templates and Python and the workers' peak memory, and the rows it added are gone afterwards.
No figure is asserted: timings are `make bench`'s to report, not the suite's."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "bench/dispatch.py", *args],
        cwd=BASE_DIR,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=240,
    )


def summary(result: subprocess.CompletedProcess) -> dict:
    match = re.search(r"^summary: (\{.*\})$", result.stdout, re.MULTILINE)
    assert match, result.stdout + result.stderr
    return json.loads(match.group(1))


def test_the_bench_sends_every_message_once():
    result = bench("--count", "30")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent twice:        0" in result.stdout
    assert "not sent:          0" in result.stdout
    assert "messages/second:" in result.stdout
    assert summary(result)["kills"] == 0


def test_killing_the_worker_mid_run_loses_nothing():
    result = bench("--count", "300", "--kills", "2", "--reclaim-after", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    figures = summary(result)
    assert figures["kills"] == 2
    assert figures["lost"] == 0
    assert figures["sent_rows"] == 300
    assert figures["delivered"] == 300 + figures["duplicates"]
    assert figures["duplicates"] <= figures["kills_inside_a_send"] <= figures["kills"]
    # a duplicate is a row whose claim lapsed mid-send and was taken again
    assert figures["reclaimed_rows"] >= figures["duplicates"]


NEW_PAGES = {
    "partner_page",
    "partner_post",
    "open311_requests",
    "dashboard_borough",
    "dashboard_ward",
    "dashboard_new_scope",
}


@pytest.mark.timeout(900)
@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="the web bench needs a PostgreSQL server")
def test_the_web_bench_runs_every_page_profiles_each_and_leaves_no_rows():
    import psycopg2

    from bench.web import bench_database

    started = datetime.now(UTC)
    result = subprocess.run(
        [
            sys.executable,
            "bench/web.py",
            "--scale",
            "tiny",
            "--duration",
            "0.2",
            "--bookings",
            "2",
            "--new-scopes",
            "3",
            "--dispatch",
            "0",
        ],
        cwd=BASE_DIR,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=880,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert "Targets (issue 16):" in result.stdout
    written = re.search(r"^Written (\S+)$", result.stdout, re.MULTILINE)
    assert written, result.stdout
    figures = json.loads((BASE_DIR / written.group(1)).read_text())

    pages = figures["pages"]
    assert {row["key"] for row in pages} >= NEW_PAGES
    for row in pages:
        # every request answered as the page should (no "HTTP 4xx/5xx" outcome)
        assert not [name for name in row["outcomes"] if name.startswith("HTTP")], row
        assert isinstance(row["queries"], int), row
        shares = row["profile"]
        assert {"ms", "sql_pct", "template_pct", "python_pct"} <= shares.keys(), row
        assert 99 <= shares["sql_pct"] + shares["template_pct"] + shares["python_pct"] <= 101, row
        assert row["worker_peak_mb"] > 0, row
    by_key = {row["key"]: row for row in pages}
    assert by_key["partner_post"]["outcomes"].get("answered"), by_key["partner_post"]
    assert by_key["dashboard_ward"]["profile"]["sql_pct"] > 0  # a ward's figures come from the database
    assert len(figures["workers"]) == 2
    assert all(worker["peak_mb"] > 0 for worker in figures["workers"])
    assert figures["targets"] and all(isinstance(t["met"], bool) for t in figures["targets"])

    assert figures["cleanup"]["referrals_removed"] == 2
    assert figures["cleanup"]["api_keys_removed"] == 1
    url, _, _ = bench_database(os.environ["DATABASE_URL"], "tiny")
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        for table, column in [
            ("patrols_referral", "referred_at"),
            ("patrols_concernupdate", "at"),
            ("patrols_partnerapikey", "created_at"),
            ("outbox_notification", "created_at"),
            ("patrols_walk", "created_at"),
        ]:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {column} >= %s", [started])  # noqa: S608
            assert cursor.fetchone()[0] == 0, f"{table}: rows left by the bench"
        cursor.execute("SELECT counts FROM seed_scale_marker ORDER BY seeded_at DESC LIMIT 1")
        (counts,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM patrols_referral")
        assert cursor.fetchone()[0] == counts["referrals"]
