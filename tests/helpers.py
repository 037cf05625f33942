"""Small helpers several test modules share."""

from __future__ import annotations

import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

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


# --- Processes of a test's own: a Redis server, a database URL for workers ---------------------------


def free_port() -> int:
    """A TCP port nothing listens on just now (for a server the test starts itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 60, what: str = "the condition", every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def database_url() -> str:
    """The test database, for worker subprocesses."""
    from django.db import connection

    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'] or '')}{password}@{host}{port}/{db['NAME']}"


class RedisServer:
    """A `redis-server` of the test's own on a free port, with nothing kept on disk: stopping it loses
    everything in it, as a restarted Redis without persistence does. Start it again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--loglevel", "warning"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        wait_for(self.answers, timeout=10, what=f"redis-server on port {self.port}", every=0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis-server shuts down, closing every connection
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def sent_keys(mail_dir: Path) -> Counter:
    """Messages a worker subprocess really sent: its emails are files (tests/backends.py), each
    carrying its outbox key in a header."""
    keys: Counter = Counter()
    for path in mail_dir.iterdir():
        for line in path.read_text().splitlines():
            if line.startswith("X-Walkandtalk-Key: "):
                keys[line.removeprefix("X-Walkandtalk-Key: ").strip()] += 1
    return keys
