"""Settings for `make bench` (bench/web.py): production settings exactly, plus the two baseline pages
(bench/urls.py) and a static folder outside the repository. Nothing else uses this module, so the
baseline pages are never routed in normal runs."""

from __future__ import annotations

import os

from walkandtalk.settings import *  # noqa: F403
from walkandtalk.settings import BASE_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", str(BASE_DIR / ".data" / "bench-web" / "static"))
