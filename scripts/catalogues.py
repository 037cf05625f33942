"""The translation catalogues in locale/ (issue 18), with polib: nothing but the Python packages.

    python scripts/catalogues.py compile   # every locale/*/LC_MESSAGES/*.po → .mo (make install runs it),
                                           # and the libraries' words (locale-fallback/, locale-libraries/)
    python scripts/catalogues.py headers   # after makemessages: our header on every .po (make messages)
    python scripts/catalogues.py messages  # makemessages for both domains, then headers (make messages)
    python scripts/catalogues.py check     # do the catalogues hold exactly the msgids of the code? (make
                                           # install, tests/test_catalogues_match_the_code.py)

Why not Django's `compilemessages`: it needs GNU gettext's msgfmt, which a fresh clone (and the
python:slim image) does not have. polib writes the same .mo files. Untranslated and fuzzy entries are
left out of a .mo, as msgfmt leaves them out: those strings show in English.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"
# Catalogues of the libraries we use, for a language they ship only under another code: allauth has
# Portuguese as pt_PT and pt_BR but not the plain "pt" our pages are in, so its sign-in and sign-up
# words would be English on a Portuguese page. Its own compiled pt_PT catalogue is copied here as "pt"
# (settings.LOCALE_PATHS lists this folder after locale/, so our own words still win). Built, never
# committed, like the .mo files.
FALLBACK = LOCALE.parent / "locale-fallback"
FALLBACKS = {"pt": [("allauth", "pt_PT")]}
# Our translations of the libraries' own words for a language they do not ship at all (Somali: Django's
# "This field is required.", allauth's sign-in errors, the day and month names). Kept apart from
# locale/, where `make messages --no-obsolete` would drop them (no code of ours holds those msgids),
# and listed last in settings.LOCALE_PATHS. Compiled beside their .po like ours.
LIBRARIES = LOCALE.parent / "locale-libraries"

# Each language's name in English, for the header, and the plural rule gettext uses for it when
# makemessages could not take it from Django's own catalogue (Somali is not one of Django's languages).
NAMES = {
    "es": "Spanish",
    "pt": "Portuguese",
    "pl": "Polish",
    "fr": "French",
    "so": "Somali",
    "ar": "Arabic",
}
PLURAL_FORMS = {"so": "nplurals=2; plural=(n != 1);"}

AWAITING = "awaiting native-speaker review"
REVIEW_HEADER = "X-Review-Status"
COMMENT = """Walk and Talk: the {name} translation of what residents, partners and the public see.
This file awaits review by a native speaker. Until one has signed it off, the
X-Review-Status header says "{awaiting}"; she then sets it to
"reviewed by <her name>, <date>" (README: Languages says how to update a translation)."""


# What `make messages` runs, and so what `check` runs too (in a copy): Django's makemessages with these
# options, for each domain. GNU gettext's programs it calls (makemessages' own check_programs).
LANGUAGES = ["es", "pt", "pl", "fr", "so", "ar"]
DOMAINS = ["django", "djangojs"]
MAKEMESSAGES_OPTIONS = [
    *(f"--locale={language}" for language in LANGUAGES),
    "--no-obsolete",
    "--no-wrap",
    "--add-location=file",
    *(
        f"--ignore={pattern}"
        for pattern in (
            ".venv/*",
            "node_modules/*",
            "tests/*",
            "bench/*",
            "staticfiles/*",
            ".data/*",
            "scripts/*",
        )
    ),
]
GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge", "msgattrib")


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def library_catalogues() -> list[Path]:
    return sorted(LIBRARIES.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> None:
    for path in catalogues() + library_catalogues():
        po = polib.pofile(str(path))
        po.save_as_mofile(str(path.with_suffix(".mo")))
    print(f"Compiled {len(catalogues())} catalogues in {LOCALE}, {len(library_catalogues())} in {LIBRARIES}.")
    copied = 0
    for language, sources in FALLBACKS.items():
        for package, locale in sources:
            spec = importlib.util.find_spec(package)
            if spec is None or spec.origin is None:
                continue
            source = Path(spec.origin).parent / "locale" / locale / "LC_MESSAGES" / "django.mo"
            if source.exists():
                target = FALLBACK / language / "LC_MESSAGES" / "django.mo"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                copied += 1
    print(f"Copied {copied} fallback catalogues into {FALLBACK}.")


def fix_headers() -> None:
    for path in catalogues():
        language = path.parent.parent.name
        po = polib.pofile(str(path), wrapwidth=0)
        po.metadata_is_fuzzy = False
        status = po.metadata.get(REVIEW_HEADER, AWAITING)
        po.header = COMMENT.format(name=NAMES.get(language, language), awaiting=AWAITING)
        po.metadata["Project-Id-Version"] = "Walk and Talk"
        po.metadata["Language"] = language
        po.metadata["Language-Team"] = NAMES.get(language, language)
        po.metadata.setdefault("Last-Translator", "")
        if "INTEGER" in po.metadata.get("Plural-Forms", "INTEGER") and language in PLURAL_FORMS:
            po.metadata["Plural-Forms"] = PLURAL_FORMS[language]
        po.metadata[REVIEW_HEADER] = status
        po.save(str(path))
    print(f"Headers set on {len(catalogues())} catalogues.")


def missing_gettext() -> list[str]:
    return [program for program in GETTEXT_PROGRAMS if shutil.which(program) is None]


def make_messages(root: Path) -> None:
    """Every msgid of the code under `root` into `root`/locale (new ones empty, gone ones dropped),
    with the settings of that tree (DEBUG on: makemessages needs no production values)."""
    environment = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "walkandtalk.settings"}
    for domain in DOMAINS:
        subprocess.run(  # noqa: S603 — our own fixed command
            [
                sys.executable,
                "manage.py",
                "makemessages",
                f"--domain={domain}",
                "--verbosity=0",
                *MAKEMESSAGES_OPTIONS,
            ],
            cwd=root,
            env=environment,
            check=True,
        )


Key = tuple[str, str | None, str, str | None]  # domain, msgctxt, msgid, msgid_plural


def msgids(locale: Path) -> dict[Key, dict[str, set[str]]]:
    """Each msgid of each catalogue under `locale`: the languages that hold it and the files it is from."""
    found: dict[Key, dict[str, set[str]]] = defaultdict(lambda: {"languages": set(), "files": set()})
    for path in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        for entry in polib.pofile(str(path)):
            if entry.obsolete:
                continue
            key = (path.stem, entry.msgctxt, entry.msgid, entry.msgid_plural or None)
            found[key]["languages"].add(path.parent.parent.name)
            found[key]["files"].update(file for file, _line in entry.occurrences)
    return found


def _copy_of_the_code(target: Path) -> None:
    """The tree as makemessages sees it, without what it never reads (its default ignores every
    dot-folder; node_modules and staticfiles are ignored by MAKEMESSAGES_OPTIONS)."""
    shutil.copytree(
        LOCALE.parent,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(".*", "node_modules", "staticfiles", "__pycache__", "*.mo"),
    )


def differences() -> list[str]:
    """Runs `make messages` (makemessages, both domains, the same options) on a temporary copy of the
    code and its catalogues, and compares the msgids it leaves with the shipped ones. Nothing in the
    working tree is written."""
    with tempfile.TemporaryDirectory(prefix="wt-catalogues-") as folder:
        copy = Path(folder) / "code"
        _copy_of_the_code(copy)
        make_messages(copy)
        extracted = msgids(copy / "locale")
    shipped = msgids(LOCALE)
    problems = []
    for key in sorted(extracted.keys() - shipped.keys(), key=str):
        domain, context, msgid, _plural = key
        files = ", ".join(sorted(extracted[key]["files"])) or "?"
        problems.append(
            f"in the code, not in {domain}.po: {msgid!r}"
            + (f" (context {context!r})" if context else "")
            + f" — {files}"
        )
    for key in sorted(shipped.keys() - extracted.keys(), key=str):
        domain, context, msgid, _plural = key
        problems.append(
            f"in {domain}.po, gone from the code: {msgid!r}" + (f" (context {context!r})" if context else "")
        )
    for key in sorted(shipped.keys() & extracted.keys(), key=str):
        lacking = extracted[key]["languages"] - shipped[key]["languages"]
        if lacking:
            problems.append(f"in the code, not in {key[0]}.po of {', '.join(sorted(lacking))}: {key[2]!r}")
    return problems


def check(*, without_gettext_ok: bool) -> int:
    missing = missing_gettext()
    if missing:
        line = (
            f"Skipped the check that the catalogues match the code: GNU gettext is not installed "
            f"({', '.join(missing)} missing; apt-get install gettext)."
        )
        print(line, file=sys.stderr)
        return 0 if without_gettext_ok else 1
    problems = differences()
    if problems:
        print(
            "The catalogues do not match the code: run `make messages`, translate the new entries in every "
            "language and commit them.\n  " + "\n  ".join(problems),
            file=sys.stderr,
        )
        return 1
    print(f"Catalogues match the code ({len(catalogues())} catalogues, makemessages on a copy).")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "compile":
        compile_all()
    elif command == "headers":
        fix_headers()
    elif command == "messages":
        make_messages(LOCALE.parent)
        fix_headers()
    elif command == "check":
        sys.exit(check(without_gettext_ok="--without-gettext-ok" in sys.argv[2:]))
    else:
        sys.exit(__doc__)
