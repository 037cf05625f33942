"""Bench (issue 10): the app at London scale, served as in production, driven by a load generator.

    DATABASE_URL=postgres://... python bench/web.py [--scale london|pilot] [--duration 10] [--fresh]

`make bench` runs this (with scripts/with-services: the embedded PostgreSQL when DATABASE_URL is unset).
1. A database of its own, ``<name>_bench_<scale>`` on the DATABASE_URL server: created if missing,
   migrated, seeded once with ``manage.py seed_scale`` and reused by later runs (``--fresh`` rebuilds).
2. gunicorn with 2 workers, DEBUG off and production settings from the environment (bench/settings.py adds
   only the two baseline pages and a static folder under .data/), static files collected there.
3. From this process, an asyncio load generator (aiohttp) with signed-in sessions made directly in the
   database for residents, officers and the sergeant, at 1 and 8 concurrent users per page. Requests carry
   ``X-Forwarded-Proto: https`` as they would behind the production proxy, and CSRF cookie and header.
4. Queries per request: one warm request per page again in this process through Django's test client
   under CaptureQueriesContext (the CSV export's streamed query included).
5. Prints one table and writes it as JSON to bench/results/; then runs bench/dispatch.py (10,000 messages).
Rows the bench itself adds (booked walks, logged concerns, its sessions) are deleted at the end, so the
seeded data set stays as seeded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"
DATA = BASE_DIR / ".data" / "bench-web"  # not .data/bench: bench/dispatch.py empties that one
PY = sys.executable


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_database(url: str, scale: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_bench_{scale}"
    return urlunsplit(parts._replace(path="/" + name)), urlunsplit(parts._replace(path="/postgres")), name


def ensure_database(admin_url: str, name: str) -> None:
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"Creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def run(command: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=BASE_DIR, env=env, check=True, **kwargs)  # noqa: S603 — our own commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


# --- scenarios ------------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    label: str
    method: str
    path: Any  # str, or callable(i) -> str
    sessions: list[str] = field(default_factory=list)  # session keys, one per virtual user (cycled)
    data: Any = None  # callable(i) -> dict
    accept_json: bool = False
    ok_status: tuple[int, ...] = (200,)
    count: int | None = None  # a fixed number of requests per level (POSTs that use up targets)
    outcome: Any = None  # callable(status, body) -> str


class Load:
    """An asyncio load generator: `concurrency` users, each sending one request after another."""

    def __init__(self, base: str, csrf: str):
        from django.conf import settings

        self.base, self.csrf = base, csrf
        self.origin = base.replace("http://", "https://")
        # Production names (e.g. "__Host-sessionid"): read from the settings the server runs with.
        self.session_cookie, self.csrf_cookie = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME

    def headers(self, scenario: Scenario, i: int) -> dict:
        """Request i is signed in with session i (cycled): a POST's target belongs to that user."""
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "walkandtalk-bench"}
        cookies = [f"{self.csrf_cookie}={self.csrf}"]
        if scenario.sessions:
            cookies.append(f"{self.session_cookie}={scenario.sessions[i % len(scenario.sessions)]}")
        headers["Cookie"] = "; ".join(cookies)
        if scenario.method == "POST":
            headers |= {"X-CSRFToken": self.csrf, "Origin": self.origin, "Referer": self.origin + "/"}
        if scenario.accept_json:
            headers["Accept"] = "application/json"
        return headers

    async def level(self, scenario: Scenario, concurrency: int, duration: float, offset: int) -> dict:
        import aiohttp

        latencies: list[float] = []
        outcomes: dict[str, int] = {}
        issued = 0
        timeout = aiohttp.ClientTimeout(total=300)
        connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
        async with aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
        ) as http:
            started = time.perf_counter()
            last = started

            async def user(u: int) -> None:
                nonlocal issued, last
                while True:
                    if scenario.count is not None:
                        if issued >= scenario.count:
                            return
                    elif time.perf_counter() - started >= duration and issued >= concurrency:
                        return
                    i = offset + issued
                    issued += 1
                    path = scenario.path(i) if callable(scenario.path) else scenario.path
                    data = scenario.data(i) if scenario.data else None
                    sent = time.perf_counter()
                    async with http.request(
                        scenario.method,
                        self.base + path,
                        headers=self.headers(scenario, i),
                        data=data,
                        allow_redirects=False,
                    ) as response:
                        body = await response.read()
                        status = response.status
                    now = time.perf_counter()
                    latencies.append(now - sent)
                    last = max(last, now)
                    if scenario.outcome:
                        result = scenario.outcome(status, body)
                    else:
                        result = "ok" if status in scenario.ok_status else f"HTTP {status}"
                    outcomes[result] = outcomes.get(result, 0) + 1

            await asyncio.gather(*(user(u) for u in range(concurrency)))
        elapsed = last - started
        return {
            "users": concurrency,
            "requests": len(latencies),
            "seconds": round(elapsed, 2),
            "rps": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
            "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
            "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
            "outcomes": outcomes,
        }


# --- data the scenarios need (this process, Django set up on the bench database) ------------------


def make_session(user, staff: bool) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    now = time.time()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    methods = [{"method": "password", "at": now, "email": user.email}]
    if staff:  # signed in with the second factor, as the MFA rule requires of staff
        methods.append({"method": "mfa", "at": now, "type": "totp"})
        session["staff_login_at"] = now
    session["account_authentication_methods"] = methods
    session.create()
    return session.session_key


def prepare(scale: str, booking_count: int, rng_seed: int = 7) -> tuple[list[Scenario], dict]:
    import random

    from django.conf import settings
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from participants.models import Borough, Officer, Resident, User
    from patrols.models import ConcernCategory, Walk
    from patrols.slots import bookable_slots

    rng = random.Random(rng_seed)  # noqa: S311 — choosing test users
    now = timezone.now()
    sessions: list[str] = []

    def session_for(user, staff=False):
        key = make_session(user, staff)
        sessions.append(key)
        return key

    # Residents who have walked (My walks, Book a walk, the signed-in baseline).
    resident_ids = list(
        Resident.objects.filter(waiting_since__isnull=True, walks__status="completed")
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")[:5000]
    )
    chosen = Resident.objects.filter(pk__in=rng.sample(resident_ids, min(16, len(resident_ids))))
    resident_sessions = [session_for(r.user) for r in chosen.select_related("user")]

    officers = list(Officer.objects.filter(is_active=True).select_related("user").order_by("pk"))
    rng.shuffle(officers)
    officer_sessions, officer_walks = [], []
    for officer in officers[:8]:
        walk = (
            Walk.objects.filter(officer=officer, status="completed")
            .order_by("-starts_at")
            .values_list("pk", flat=True)
            .first()
        )
        officer_sessions.append(session_for(officer.user, staff=True))
        officer_walks.append(walk)
    sergeant = User.objects.get(email="sergeant@bench.walkandtalk.example")
    sergeant_session = session_for(sergeant, staff=True)

    # Booking targets: each a different resident with nothing booked, on a free slot of her own officer,
    # the slots of one officer far enough apart (walk + buffer) that no two bookings clash.
    upcoming = Walk.objects.filter(resident=OuterRef("pk"), status="booked", ends_at__gt=now)
    buffer = timedelta(minutes=settings.WALK_BUFFER_MINUTES)
    per_officer: list[list[tuple[str, str]]] = []
    needed = 2 * booking_count + 8
    for officer in officers:
        if sum(len(t) for t in per_officer) >= needed:
            break
        free = (
            Resident.objects.filter(pairings__officer=officer, pairings__ended_at__isnull=True)
            .exclude(Exists(upcoming))
            .select_related("user")
            .order_by("pk")
        )
        residents = list(free[:40])
        targets, last_end = [], None
        for slot in bookable_slots(officer=officer, now=now + timedelta(minutes=10)):
            if last_end is not None and slot.starts_at < last_end + buffer:
                continue
            if len(targets) >= len(residents):
                break
            targets.append((session_for(residents[len(targets)].user), slot.value))
            last_end = slot.ends_at
        per_officer.append(targets)
    booking_targets = []  # round robin over officers, so concurrent bookings are mostly for different ones
    while any(per_officer):
        for targets in per_officer:
            if targets:
                booking_targets.append(targets.pop(0))

    category = ConcernCategory.objects.filter(is_active=True).values_list("pk", flat=True).first()
    borough = Borough.objects.get(name="Southwark")
    month_end = timezone.localdate(now).replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)

    def booking_data(i):
        return {
            "starts_at": booking_targets[i][1],
            "meeting_point": "Outside the library, main entrance",
            "route": "Along the high street, then the park path home",
            "known_worries": "",
        }

    def concern_data(i):
        return {
            "latitude": "51.470000",
            "longitude": "-0.075000",
            "location_text": "Bench: alley behind the shops",
            "category": str(category),
            "severity": "medium",
            "when_it_matters": "after_dark",
            "resident_said": "It is very dark here.",
            "action": "Report the lights.",
            "partner": "",
            "draft_key": str(uuid.uuid4()),
        }

    def booking_outcome(status, body):
        if status == 302:
            return "booked"
        if status == 200 and b"just been taken" in body:
            return "taken"
        return f"HTTP {status}"

    def concern_outcome(status, body):
        return "logged" if status == 200 and b'"ok": true' in body else f"HTTP {status}"

    booking_scenario = Scenario(
        "booking_post",
        "Resident: booking POST",
        "POST",
        "/walks/book/",
        data=booking_data,
        count=booking_count,
        outcome=booking_outcome,
    )
    # each booking request is signed in as its own resident
    booking_scenario.sessions = [key for key, _ in booking_targets]
    scenarios = [
        Scenario("bare", "Baseline: bare view (/bench/bare)", "GET", "/bench/bare"),
        Scenario("signed_in", "Baseline: signed-in page", "GET", "/bench/signed-in", resident_sessions),
        Scenario("my_walks", "Resident: My walks", "GET", "/walks/", resident_sessions),
        Scenario("book_list", "Resident: Book a walk (slots)", "GET", "/walks/book/", resident_sessions),
        booking_scenario,
        Scenario("today", "Officer: Today", "GET", "/today/", officer_sessions),
        Scenario(
            "concern_post",
            "Officer: concern POST",
            "POST",
            lambda i: f"/walks/{officer_walks[i % len(officer_walks)]}/concerns/new/",
            officer_sessions,
            data=concern_data,
            accept_json=True,
            outcome=concern_outcome,
        ),
        Scenario("dashboard", "Sergeant: dashboard (28 days, all)", "GET", "/admin/", [sergeant_session]),
        Scenario(
            "export",
            "Sergeant: concerns CSV, borough-month",
            "GET",
            f"/admin/exports/concerns.csv?borough={borough.pk}&start={month_start}&end={month_end}",
            [sergeant_session],
        ),
    ]
    info = {
        "booking_targets": len(booking_targets),
        "export": {"borough": borough.name, "start": str(month_start), "end": str(month_end)},
        "sessions": sessions,
        "booking_targets_list": booking_targets,
        "officer_walks": officer_walks,
    }
    return scenarios, info


def count_queries(scenario: Scenario, index: int, csrf: str) -> int | None:
    """Queries for one request of this page, made in this process through Django's test client (after a
    warm-up request, so per-process caches are filled as in a running server)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def once(i: int) -> int:
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        client.cookies[settings.CSRF_COOKIE_NAME] = csrf
        if scenario.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = scenario.sessions[i % len(scenario.sessions)]
        path = scenario.path(i) if callable(scenario.path) else scenario.path
        extra = {"HTTP_ACCEPT": "application/json"} if scenario.accept_json else {}
        with CaptureQueriesContext(connection) as captured:
            if scenario.method == "POST":
                response = client.post(path, scenario.data(i), **extra)
            else:
                response = client.get(path, **extra)
            if response.streaming:
                b"".join(response.streaming_content)
        return len(captured.captured_queries)

    once(index)
    return once(index + 1)


def cleanup(started: datetime, info: dict) -> dict:
    from django.contrib.sessions.models import Session

    from patrols.models import Concern, Walk

    concerns, _ = Concern.objects.filter(created_at__gte=started, draft_key__isnull=False).delete()
    walks, _ = Walk.objects.filter(created_at__gte=started).delete()
    Session.objects.filter(session_key__in=info["sessions"]).delete()
    return {"concerns_removed": concerns, "walk_rows_removed": walks}


# --- the run --------------------------------------------------------------------------------------


def dispatch_bench(count: int, env: dict, *, kills: int = 0) -> dict:
    log(f"\nNotification dispatcher bench ({count:,} messages, {kills} worker kills)…")
    result = subprocess.run(  # noqa: S603 — our own script
        [PY, "bench/dispatch.py", "--count", str(count), "--kills", str(kills)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    print(result.stdout, end="")
    if result.returncode:
        log(result.stderr[-3000:])
    figures = {"returncode": result.returncode, "messages": count}
    for name, pattern in {
        "seconds": r"total time:\s+([\d.]+)",
        "messages_per_second": r"messages/second:\s+([\d.]+)",
        "sent_twice": r"sent twice:\s+(\d+)",
        "not_sent": r"not sent:\s+(\d+)",
    }.items():
        match = re.search(pattern, result.stdout)
        figures[name] = float(match.group(1)) if match else None
    # Every figure (lost, duplicates, kills, kills inside a send, reclaimed rows, ...) as JSON.
    summary = re.search(r"^summary: (\{.*\})$", result.stdout, re.MULTILINE)
    if summary:
        figures["summary"] = json.loads(summary.group(1))
    return figures


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'page':<38} {'users':>5} {'reqs':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'x base':>7} {'queries':>7}  outcome"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items()))
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        queries = row["queries"] if row["queries"] is not None else "-"
        print(
            f"{row['label']:<38} {row['users']:>5} {row['requests']:>6} {row['rps']:>8.1f} "
            f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {ratio:>7} {queries:>7}  {outcome}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["london", "pilot", "tiny"], default="london")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per page and level")
    parser.add_argument("--users", default="1,8", help="concurrency levels, comma separated")
    parser.add_argument("--bookings", type=int, default=100, help="booking POSTs per level")
    parser.add_argument("--fresh", action="store_true", help="rebuild the data set")
    parser.add_argument("--dispatch", type=int, default=10_000, help="dispatcher bench messages (0: skip)")
    parser.add_argument(
        "--dispatch-kills", type=int, default=0, help="SIGKILL the dispatcher's worker N times"
    )
    parser.add_argument("--only", default="", help="comma separated scenario keys (default: all)")
    args = parser.parse_args()
    levels = [int(n) for n in args.users.split(",")]

    original_env = dict(os.environ)
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("Set DATABASE_URL (`make bench` does): a PostgreSQL server that may create databases.")
    bench_url, admin_url, bench_name = bench_database(database_url, args.scale)
    ensure_database(admin_url, bench_name)
    port = free_port()
    static_root = DATA / "static"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": bench_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"https://127.0.0.1:{port}",
        "EMAIL_URL": "dummymail://",
        "SECURE_SSL_REDIRECT": "false",
        "BENCH_STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(BASE_DIR),
    }
    if not env.get("REDIS_URL"):
        env["ALLOW_NO_REDIS"] = "1"  # the file cache and filesystem broker, as `make run` without Redis
    DATA.mkdir(parents=True, exist_ok=True)

    log(f"Database {bench_name}: migrating…")
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    seed_started = time.monotonic()
    run([PY, "manage.py", "seed_scale", "--scale", args.scale, *(["--fresh"] if args.fresh else [])], env)
    seed_seconds = time.monotonic() - seed_started
    log(f"Collecting static files into {static_root.relative_to(BASE_DIR)}…")
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)

    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("SELECT counts, seconds FROM seed_scale_marker ORDER BY seeded_at DESC LIMIT 1")
        counts, seeded_in = cursor.fetchone()
    counts = counts if isinstance(counts, dict) else json.loads(counts)

    access_log = DATA / "gunicorn-access.log"
    gunicorn = subprocess.Popen(  # noqa: S603 — our own command; the Dockerfile's, with 2 workers
        [
            str(Path(PY).with_name("gunicorn")),
            "walkandtalk.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-tmp-dir",
            "/dev/shm",  # noqa: S108 — as the Dockerfile: heartbeat files in shared memory
            "--access-logfile",
            str(access_log),
        ],
        cwd=BASE_DIR,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    started = timezone.now()
    info: dict = {"sessions": []}
    rows: list[dict] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or gunicorn.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        log("Preparing sessions and booking targets…")
        scenarios, info = prepare(args.scale, args.bookings)
        if args.only:
            wanted = set(args.only.split(",")) | {"signed_in"}
            scenarios = [s for s in scenarios if s.key in wanted]
        load = Load(base, csrf)
        offsets: dict[str, int] = {}
        for scenario in scenarios:
            # Warm-up: both workers, every page (connections, template and URL caches).
            if scenario.count is None:
                asyncio.run(load.level(scenario, 2, 0, 0))
                offsets[scenario.key] = 4
            for users in levels:
                offset = offsets.get(scenario.key, 0)
                log(f"  {scenario.label} × {users}…")
                result = asyncio.run(load.level(scenario, users, args.duration, offset))
                offsets[scenario.key] = offset + result["requests"]
                rows.append({"key": scenario.key, "label": scenario.label, **result})
        log("Counting queries per request…")
        queries = {}
        for scenario in scenarios:
            try:
                queries[scenario.key] = count_queries(scenario, offsets.get(scenario.key, 0), csrf)
            except Exception as error:  # noqa: BLE001 — report the figure as missing, keep the table
                log(f"  could not count queries for {scenario.key}: {error!r}")
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        removed = cleanup(started, info) if info.get("sessions") else {}

    baseline = {row["users"]: row["rps"] for row in rows if row["key"] == "signed_in"}
    for row in rows:
        row["queries"] = queries.get(row["key"])
        row["ratio"] = round(row["rps"] / baseline[row["users"]], 2) if baseline.get(row["users"]) else None

    print(f"\nWalk and Talk bench, {args.scale} scale ({', '.join(f'{v:,} {k}' for k, v in counts.items())})")
    print(
        f"gunicorn 2 workers, DEBUG off, {os.cpu_count()} CPUs; {args.duration:g} s per page and level "
        f"({args.bookings} booking POSTs); x base = req/s ÷ the signed-in baseline's at the same users.\n"
    )
    print_table(rows)
    dispatch = (
        dispatch_bench(args.dispatch, original_env, kills=args.dispatch_kills) if args.dispatch else None
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-{args.scale}.json"
    out.write_text(
        json.dumps(
            {
                "scale": args.scale,
                "at": stamp,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "database": bench_name,
                "data": counts,
                "seed_seconds_this_run": round(seed_seconds, 1),
                "seed_seconds_when_built": round(seeded_in, 1),
                "duration_per_level": args.duration,
                "export": info.get("export"),
                "queries_measured": "one warm request per page in-process (Django test client, "
                "CaptureQueriesContext), after the load run",
                "pages": rows,
                "dispatch": dispatch,
                "cleanup": removed,
            },
            indent=2,
        )
    )
    print(f"\nWritten {out.relative_to(BASE_DIR)}")
    return 0 if not dispatch or dispatch["returncode"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
