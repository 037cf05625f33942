"""Bench (issue 7, point 7): N due messages through the dispatcher with one real Celery worker.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/dispatch.py [--count 10000]

Makes a scratch database (<name>_bench_<pid>, dropped afterwards), writes N due outbox rows (a tenth of
them by SMS), starts one `celery worker` (solo pool) on a queue of its own with the file email and
SMS backends, enqueues the dispatcher as beat would, and waits until nothing is left to send. Prints
the time taken, messages per second and how many were sent twice (must be 0) or not at all.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / ".data" / "bench"


def scratch_database(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_bench_{os.getpid()}"  # its own, dropped afterwards
    return urlunsplit(parts._replace(path="/" + name)), urlunsplit(parts._replace(path="/postgres"))


def admin(url: str, sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(url)  # libpq reads a percent-encoded socket folder as the host
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close()


def sent_counts(mail_dir: Path, sms_dir: Path) -> Counter:
    keys: Counter = Counter()
    for path in mail_dir.glob("*"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("X-Walkandtalk-Key: "):
                keys[line.removeprefix("X-Walkandtalk-Key: ").strip()] += 1
    for path in sms_dir.glob("*.json"):
        keys[json.loads(path.read_text())["reference"]] += 1
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("Set DATABASE_URL (`make bench` does): a PostgreSQL server that may create databases.")
    bench_url, admin_url = scratch_database(database_url)
    bench_name = urlsplit(bench_url).path.lstrip("/")
    shutil.rmtree(OUT, ignore_errors=True)
    mail_dir, sms_dir = OUT / "mail", OUT / "sms"
    mail_dir.mkdir(parents=True)
    sms_dir.mkdir(parents=True)
    (BASE_DIR / ".data" / "broker" / "queue").mkdir(parents=True, exist_ok=True)
    (BASE_DIR / ".data" / "broker" / "control").mkdir(parents=True, exist_ok=True)

    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "walkandtalk.settings",
        "DATABASE_URL": bench_url,
        # django-environ reads filemail:///x as the relative path "x" (the worker runs in BASE_DIR)
        "EMAIL_URL": f"filemail:///{mail_dir.relative_to(BASE_DIR)}",
        "SMS_BACKEND": "walkandtalk.outbox.sms.FileBackend",
        "SMS_FILE_PATH": str(sms_dir),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')
    admin(admin_url, f'CREATE DATABASE "{bench_name}"')
    worker = None
    try:
        import django

        sys.path.insert(0, str(BASE_DIR))
        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.utils import timezone

        from participants.models import Resident, User, Ward
        from walkandtalk.outbox.models import Notification
        from walkandtalk.outbox.tasks import dispatch_notifications

        now = timezone.now()
        ward = Ward.objects.first()
        recipients = 200
        users = User.objects.bulk_create([User(email=f"bench{i}@example.org") for i in range(recipients)])
        residents = Resident.objects.bulk_create(
            [
                Resident(
                    user=user,
                    preferred_name=f"Bench {i}",
                    ward=ward,
                    baseline_safety=3,
                    privacy_consent_at=now,
                    waiting_since=now,
                    contact_channel="sms" if i % 10 == 0 else "email",
                    mobile=f"+4477009{i:05d}" if i % 10 == 0 else "",
                )
                for i, user in enumerate(users)
            ]
        )
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient=users[i % recipients],
                    kind="waiting_list",
                    about_type="resident",
                    about_id=residents[i % recipients].pk,
                    channel="sms" if (i % recipients) % 10 == 0 else "email",
                    due_at=now,
                    idempotency_key=f"bench:{i}:waiting_list:user:{users[i % recipients].pk}",
                )
                for i in range(args.count)
            ],
            batch_size=2000,
        )
        expected = set(Notification.objects.values_list("idempotency_key", flat=True))

        queue = f"bench-{uuid.uuid4().hex[:8]}"
        command = [sys.executable, "-m", "celery", "-A", "walkandtalk", "--quiet", "worker", "--pool", "solo"]
        command += ["-Q", queue]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        worker = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)  # noqa: S603 — our own fixed command
        pending = Notification.objects.filter(status__in=["pending", "sending"])
        started = time.monotonic()
        while pending.exists():
            # What beat does each minute; a run ends after ~45 s, so enqueue again while work is left.
            result_wait = time.monotonic()
            dispatch_notifications.apply_async(queue=queue)
            while pending.exists() and time.monotonic() - result_wait < 50:
                time.sleep(0.2)
            if time.monotonic() - started > 1800:
                print("gave up after 30 minutes", file=sys.stderr)
                break
        elapsed = time.monotonic() - started
        counts = sent_counts(mail_dir, sms_dir)
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        missing = len(expected - set(counts))
        sent_rows = Notification.objects.filter(status="sent").count()
        print(
            f"messages:          {args.count} ({sum(1 for k in counts if k in expected)} delivered; "
            f"{len(list(sms_dir.glob('*.json')))} by SMS)"
        )
        print(f"rows marked sent:  {sent_rows}")
        print(f"total time:        {elapsed:.1f} s (one worker, solo pool)")
        print(f"messages/second:   {args.count / elapsed:.0f}")
        print(f"sent twice:        {duplicates}")
        print(f"not sent:          {missing}")
        return 0 if duplicates == 0 and missing == 0 and sent_rows == args.count else 1
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')


if __name__ == "__main__":
    sys.exit(main())
