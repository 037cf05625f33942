"""The translation catalogues in locale/ (issue 18), with polib: nothing but the Python packages.

    python scripts/catalogues.py compile   # every locale/*/LC_MESSAGES/*.po → .mo (make install runs it),
                                           # and the fallbacks in locale-fallback/ (below)
    python scripts/catalogues.py headers   # after makemessages: our header on every .po (make messages)

Why not Django's `compilemessages`: it needs GNU gettext's msgfmt, which a fresh clone (and the
python:slim image) does not have. polib writes the same .mo files. Untranslated and fuzzy entries are
left out of a .mo, as msgfmt leaves them out: those strings show in English.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
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


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def compile_all() -> None:
    for path in catalogues():
        po = polib.pofile(str(path))
        po.save_as_mofile(str(path.with_suffix(".mo")))
    print(f"Compiled {len(catalogues())} catalogues in {LOCALE}.")
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


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "compile":
        compile_all()
    elif command == "headers":
        fix_headers()
    else:
        sys.exit(__doc__)
