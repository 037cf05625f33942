"""The bench (bench/dispatch.py, `make bench`) with a few messages: it runs, and reports no duplicates.
The 10,000-message run is `make bench`, not part of the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def test_the_bench_sends_every_message_once():
    result = subprocess.run(
        [sys.executable, "bench/dispatch.py", "--count", "30"],
        cwd=BASE_DIR,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent twice:        0" in result.stdout
    assert "not sent:          0" in result.stdout
    assert "messages/second:" in result.stdout
