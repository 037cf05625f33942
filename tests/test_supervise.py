"""scripts/supervise, which `make run` starts the worker and beat under (Procfile): a command that exits
is started again; SIGTERM or SIGINT stops it and supervise for good (issue 13 point 5)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import wait_for

BASE_DIR = Path(__file__).resolve().parent.parent
SUPERVISE = BASE_DIR / "scripts" / "supervise"


def supervise(*command: str) -> subprocess.Popen:
    return subprocess.Popen([str(SUPERVISE), *command], stderr=subprocess.PIPE, text=True)


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_a_command_that_exits_is_started_again(tmp_path):
    runs = tmp_path / "runs"
    process = supervise("bash", "-c", f"echo run >> {runs}; exit 3")
    try:
        wait_for(lambda: len(lines(runs)) >= 3, timeout=15, what="three runs (1 s, then 2 s apart)")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert "exited with status 3; starting it again in 1 s" in process.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_command_and_supervise_for_good(tmp_path, sig):
    log = tmp_path / "log"
    # A long-running command that stops cleanly on SIGTERM, as Celery's warm shutdown does.
    command = f"trap 'kill $!; echo stopped >> {log}; exit 0' TERM; echo started >> {log}; sleep 60 & wait"
    process = supervise("bash", "-c", command)
    wait_for(lambda: lines(log) == ["started"], timeout=10, what="the command to start")
    started = time.monotonic()
    process.send_signal(sig)
    assert process.wait(timeout=10) == 0  # the command's own status
    assert time.monotonic() - started < 5
    time.sleep(1.5)  # longer than the first back-off: nothing is started again
    assert lines(log) == ["started", "stopped"]


def test_make_run_supervises_the_worker_and_beat():
    procfile = dict(
        line.split(":", 1) for line in (BASE_DIR / "Procfile").read_text().splitlines() if line.strip()
    )
    for name in ("worker", "beat"):
        command = procfile[name].split()
        assert command[0] == "scripts/supervise", f"{name} is not restarted when it exits"
        assert command[1:4] == [".venv/bin/celery", "-A", "walkandtalk"] and command[4] == name
