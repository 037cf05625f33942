"""The catalogues hold exactly the msgids of the code (issue 18, point 1): `make messages` run on a
temporary copy of the tree (scripts/catalogues.py check, which `make install` runs too) finds no
msgid in the code that a shipped catalogue lacks, and none in a catalogue that the code no longer has.

It needs GNU gettext (xgettext, msgmerge...), as `make messages` does. Without it the check is skipped
with the reason on a developer's machine, and fails in CI (.ci/run installs Debian's gettext).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SCRIPT = Path("scripts") / "catalogues.py"
GETTEXT = ("xgettext", "msguniq", "msgmerge", "msgattrib")


@pytest.fixture(scope="module")
def gettext() -> None:
    missing = [program for program in GETTEXT if shutil.which(program) is None]
    if missing:
        reason = f"GNU gettext is not installed ({', '.join(missing)} missing: apt-get install gettext)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must check the catalogues against the code, not skip it")
        pytest.skip(reason)


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(root / SCRIPT), "check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--", "locale"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout


def test_the_shipped_catalogues_hold_exactly_the_msgids_of_the_code(gettext):
    before = git_status()
    result = check(BASE_DIR)
    assert result.returncode == 0, result.stderr
    assert "Catalogues match the code (12 catalogues" in result.stdout
    assert git_status() == before, "the check must never rewrite the tracked catalogues"


def test_a_msgid_added_to_the_code_and_one_gone_from_it_fail_the_check_by_name(gettext, tmp_path):
    """On a copy of the tree: a template with a new {% translate %}, a script with a new gettext(),
    and a template string that is no longer there."""
    copy = tmp_path / "tree"
    shutil.copytree(
        BASE_DIR,
        copy,
        symlinks=True,
        ignore=shutil.ignore_patterns(".*", "node_modules", "staticfiles", "__pycache__", "*.mo", "build"),
    )
    login = copy / "templates" / "account" / "login.html"
    text = login.read_text()
    assert '{% translate "Forgotten your password?" %}' in text
    login.write_text(
        text.replace(
            '{% translate "Forgotten your password?" %}', '{% translate "A sentence nobody translated" %}'
        )
    )
    script = copy / "static" / "js" / "pin-map.js"
    script.write_text(
        script.read_text().replace('gettext("Pin placed.")', 'gettext("A pin nobody translated")')
    )

    result = check(copy)

    assert result.returncode == 1
    assert "in the code, not in django.po: 'A sentence nobody translated' — templates/account/login.html" in (
        result.stderr
    )
    assert (
        "in the code, not in djangojs.po: 'A pin nobody translated' — static/js/pin-map.js" in result.stderr
    )
    assert "in djangojs.po, gone from the code: 'Pin placed.'" in result.stderr
    # still on the reset page, so still in the code: only what is gone from every file is listed
    assert "Forgotten your password?" not in result.stderr
