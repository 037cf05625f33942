"""Where one page's time goes, function by function (issue 16: the closing note's profile frames).

    DATABASE_URL=postgres://... python bench/frames.py my_walks [--requests 50] [--top 25]

Uses the data set `bench/web.py` seeded (run it once first) and its scenarios: the same sessions and
targets, through Django's test client in this process, warm. Prints cProfile's top frames by own time
and by cumulative time for the page's requests, then deletes what the run added, as bench/web.py does.
Scenario keys: `python bench/frames.py --list`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import string
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import web  # noqa: E402 — after the path is set


def print_statements(request) -> None:
    """One request's statements with their times (ms), slowest first marked."""
    import time

    from django.db import connection

    timed: list[tuple[float, str]] = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((1000 * (time.perf_counter() - started), sql))
            if os.environ.get("FRAMES_SQL_FILE"):  # each statement in full, with its values, to EXPLAIN
                with connection.cursor() as cursor, open(os.environ["FRAMES_SQL_FILE"], "a") as out:
                    out.write(cursor.mogrify(sql, params).decode() + ";\n\n")

    with connection.execute_wrapper(wrapper):
        request()
    print(f"{len(timed)} statements, {sum(ms for ms, _ in timed):.2f} ms in SQL:")
    for ms, sql in timed:
        print(f"  {ms:7.2f} ms  {sql[:300]}")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", help="scenario key, e.g. my_walks")
    parser.add_argument("--scale", choices=["london", "pilot", "tiny"], default="london")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--list", action="store_true", help="list the scenario keys")
    parser.add_argument("--path", default="", help="GET this path instead, as the scenario's users")
    parser.add_argument("--save", default="", help="write the last response's body to this file")
    parser.add_argument("--why", action="store_true", help="print why a POST answered 200 (a refusal)")
    parser.add_argument("--sql", action="store_true", help="also print one request's statements, timed")
    parser.add_argument("--dump", default="", help="write the profile to this file (for pstats/snakeviz)")
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("Set DATABASE_URL to the server bench/web.py seeded its data set on.")
    bench_url, _, _ = web.bench_database(database_url, args.scale)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": bench_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "https://127.0.0.1",
            "EMAIL_URL": "dummymail://",
            "SECURE_SSL_REDIRECT": "false",
            **web.vapid_env(),
            "LOG_LEVEL": "WARNING",
            "CACHE_KEY_PREFIX": f"walkandtalk-profile-{secrets.token_hex(4)}",
        }
    )
    if not os.environ.get("REDIS_URL"):
        os.environ["ALLOW_NO_REDIS"] = "1"
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    started = timezone.now()
    scenarios, info = web.prepare(args.scale, 2 * args.requests + 5, new_scopes=2 * args.requests + 5)
    by_key = {scenario.key: scenario for scenario in scenarios}
    try:
        if args.list or args.page not in by_key:
            print("Scenarios: " + ", ".join(by_key))
            return 0 if args.list else 2
        scenario = by_key[args.page]
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")

        def once(i: int) -> int:
            response, body = web.send_in_process(client, scenario, i, csrf, get=args.path)
            if args.save:
                Path(args.save).write_bytes(body)
            if scenario.method == "POST" and not args.path and response.status_code == 200 and args.why:
                import re

                print(
                    "  200 to a POST:",
                    re.findall(
                        r"<strong>(.*?)</strong>|alert-danger[^>]*>(.*?)<", response.content.decode(), re.S
                    )[:4],
                )
            return response.status_code

        for i in range(3):  # warm: per-process caches, as in a running worker
            once(i)
        if args.sql:
            print_statements(lambda: once(3 + 2 * args.requests))
        import time

        began, cpu = time.perf_counter(), time.process_time()
        for i in range(3, 3 + args.requests):
            once(i)
        plain = 1000 * (time.perf_counter() - began) / args.requests
        cpu = 1000 * (time.process_time() - cpu) / args.requests
        # CPU time is this process's own (not the database server's): steadier on a busy machine.
        print(f"{scenario.label}: {plain:.2f} ms per request ({cpu:.2f} ms CPU), warm, no profiler")
        profiler = cProfile.Profile()
        statuses = []
        profiler.enable()
        for i in range(3 + args.requests, 3 + 2 * args.requests):  # POSTs: each target once
            statuses.append(once(i))
        profiler.disable()
        print(f"{scenario.label}: {args.requests} requests, statuses {sorted(set(statuses))}")
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler).strip_dirs()
        total = stats.total_tt
        print(f"{1000 * total / args.requests:.2f} ms per request (under cProfile)\n")
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    finally:
        web.cleanup(started, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
