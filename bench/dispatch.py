"""Bench (issue 7, point 7; issue 13, point 6): N due messages through the dispatcher with one real
Celery worker, optionally SIGKILLed N times on the way.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/dispatch.py [--count 10000] [--kills 5]

Makes a scratch database (<name>_bench_<pid>, dropped afterwards), writes N due outbox rows (a tenth of
them by SMS), starts one `celery worker` (solo pool) on a queue of its own with the file email and
SMS backends, enqueues the dispatcher as beat would, and waits until nothing is left to send.

With `--kills K` the worker's whole process group is SIGKILLed K times while it is sending, at random
moments spread over the run (after a random share of the messages has been sent, plus a random few
milliseconds), and restarted each time; the dispatcher is enqueued again, as beat would within a
minute, and claims lapse after `--reclaim-after` seconds (5 by default here, 300 in production).
Right after each kill the bench looks at the rows the dead worker left `sending`: one whose message is
already in the files was killed between the provider accepting it and the UPDATE that marks it sent
("a kill inside a send"); only those can be sent twice.

Prints the time taken, messages per second, how many were delivered, sent twice (duplicates; must be
at most the kills, and 0 without kills) or not at all (lost; must be 0), then one `summary: {json}`
line with every figure. Exits 1 if anything was lost or there are more duplicates than kills.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


class Worker:
    """One `celery worker` (solo pool) in a session of its own: its pid is its process group."""

    def __init__(self, *, queue: str, env: dict) -> None:
        command = [sys.executable, "-m", "celery", "-A", "walkandtalk", "--quiet", "worker", "--pool", "solo"]
        command += ["-Q", queue]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)  # noqa: S603 — our own fixed command

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and any pool children): no clean-up, no ack."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument(
        "--kills", type=int, default=0, help="SIGKILL the worker this many times while it sends"
    )
    parser.add_argument(
        "--reclaim-after", type=int, default=5, help="seconds before a lapsed claim is taken again"
    )
    parser.add_argument("--seed", type=int, default=None, help="for the kill moments (default: random)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    rng = random.Random(seed)  # noqa: S311 — kill moments, not secrets
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
    if args.kills:
        env["NOTIFICATION_RECLAIM_AFTER_SECONDS"] = str(args.reclaim_after)
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
        worker = Worker(queue=queue, env=env)
        pending = Notification.objects.filter(status__in=["pending", "sending"])
        sent = Notification.objects.filter(status="sent")
        # Kill after a random share of the messages is sent: spread over the run whatever its speed.
        kill_at = sorted(int(args.count * rng.uniform(0.05, 0.9)) for _ in range(args.kills))
        kills, kills_inside_a_send, restarts_sent = 0, 0, 0
        # deliveries of rows a killed worker left `sending`, as counted at that kill
        counted: Counter = Counter()
        started = time.monotonic()
        dispatch_notifications.apply_async(queue=queue)
        enqueued_at = progress_at = time.monotonic()
        last_sent = 0
        while pending.exists():
            time.sleep(0.05)
            now_sent = sent.count()
            if now_sent != last_sent:
                last_sent, progress_at = now_sent, time.monotonic()
            if kills < args.kills and now_sent >= kill_at[kills] and now_sent > restarts_sent:
                time.sleep(rng.uniform(0, 0.05))  # a random moment within the send loop
                worker.kill()
                kills += 1
                # What the dead worker left claimed: already in the files means it was accepted by
                # the "provider" and killed before its UPDATE committed.
                delivered = sent_counts(mail_dir, sms_dir)
                left = pending.filter(status="sending").values_list("idempotency_key", flat=True)
                # (a row left claimed by an earlier kill, and not sent again since, was counted then)
                inside = {key for key in left if delivered[key] > counted[key]}
                counted.update({key: delivered[key] - counted[key] for key in inside})
                kills_inside_a_send += bool(inside)
                print(
                    f"kill {kills}: after {now_sent} sent, {len(left)} left claimed"
                    f"{', one inside a send' if inside else ''}",
                    file=sys.stderr,
                )
                worker = Worker(queue=queue, env=env)  # the supervisor restarts it
                restarts_sent = sent.count()
                dispatch_notifications.apply_async(queue=queue)  # beat, within the minute
                enqueued_at = progress_at = time.monotonic()
                continue
            # What beat does each minute; a run ends after ~45 s, and a run that found nothing due
            # (claims not lapsed yet) ends at once: while work is left and nothing moves, enqueue again.
            if time.monotonic() - progress_at > 2 and time.monotonic() - enqueued_at > 2:
                dispatch_notifications.apply_async(queue=queue)
                enqueued_at = time.monotonic()
            if time.monotonic() - started > 1800:
                print("gave up after 30 minutes", file=sys.stderr)
                break
        elapsed = time.monotonic() - started
        counts = sent_counts(mail_dir, sms_dir)
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        missing = len(expected - set(counts))
        delivered = sum(counts.values())
        sent_rows = sent.count()
        reclaimed = Notification.objects.filter(reclaimed=True).count()
        summary = {
            "messages": args.count,
            "sent_rows": sent_rows,
            "delivered": delivered,
            "delivered_email": delivered - len(list(sms_dir.glob("*.json"))),
            "delivered_sms": len(list(sms_dir.glob("*.json"))),
            "lost": missing,
            "duplicates": duplicates,
            "kills": kills,
            "kills_inside_a_send": kills_inside_a_send,
            "reclaimed_rows": reclaimed,
            "seconds": round(elapsed, 1),
            "messages_per_second": round(args.count / elapsed),
            "seed": seed,
            "broker": "redis" if os.environ.get("REDIS_URL") else "filesystem",
        }
        print(
            f"messages:          {args.count} ({sum(1 for k in counts if k in expected)} delivered; "
            f"{summary['delivered_sms']} by SMS)"
        )
        print(f"rows marked sent:  {sent_rows}")
        emails, texts = summary["delivered_email"], summary["delivered_sms"]
        print(f"delivered files:   {delivered} ({emails} emails, {texts} SMS)")
        print(f"total time:        {elapsed:.1f} s (one worker, solo pool)")
        print(f"messages/second:   {args.count / elapsed:.0f}")
        print(f"worker kills:      {kills} ({kills_inside_a_send} inside a send; {reclaimed} rows reclaimed)")
        print(f"sent twice:        {duplicates}")
        print(f"not sent:          {missing}")
        print(f"summary: {json.dumps(summary)}")
        ok = (
            missing == 0
            and sent_rows == args.count
            and duplicates <= kills
            and duplicates <= kills_inside_a_send
        )
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.stop()
        from django.db import connections

        connections.close_all()
        admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')


if __name__ == "__main__":
    sys.exit(main())
