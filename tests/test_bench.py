"""The bench (bench/dispatch.py, `make bench`) with a few messages: it runs, and reports no duplicates;
and with the worker SIGKILLed twice on the way, nothing is lost and there are no more duplicates than
kills that landed inside a send. The 10,000-message runs are `make bench`, not part of the suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

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
