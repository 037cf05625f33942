"""The translation catalogues (issue 18): every shipped language has them, complete, with the same
placeholders as the English, and each says whether a native speaker has reviewed it.

A broken placeholder must fail here, never a page: "%(name)s" translated as "%(nombre)s" raises
KeyError when Django formats the string (a blocktranslate, a message), and "{word}" as "{palabra}"
does the same in format_lazy.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import allauth
import django
import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
# Our translations of Django's and allauth's own words for a language they do not ship (Somali)
LIBRARIES = Path(settings.BASE_DIR) / "locale-libraries"
SITE_PACKAGES = Path(django.__file__).resolve().parent.parent
SHIPPED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
DOMAINS = ("django", "djangojs")
AWAITING = "awaiting native-speaker review"

# %(name)s, %s, %d, %%: the python-format placeholders Django fills in; {name}: format_lazy's
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[sdifrx%]")
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")


def catalogue(language: str, domain: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / f"{domain}.po"))


def catalogues():
    return [
        pytest.param(language, domain, id=f"{language}-{domain}")
        for language in SHIPPED
        for domain in DOMAINS
    ]


def every_catalogue():
    """Ours, and our translations of the libraries' words (locale-libraries/): the same checks."""
    return [
        pytest.param(LOCALE / language / "LC_MESSAGES" / f"{domain}.po", id=f"{language}-{domain}")
        for language in SHIPPED
        for domain in DOMAINS
    ] + [
        pytest.param(path, id=f"libraries-{path.parent.parent.name}-{path.stem}")
        for path in sorted(LIBRARIES.glob("*/LC_MESSAGES/*.po"))
    ]


def placeholders(text: str) -> Counter:
    return Counter(PERCENT.findall(text)) + Counter(BRACES.findall(text))


def tags(text: str) -> Counter:
    return Counter(name.lower() for name in TAG.findall(text))


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, translation) pairs: the plural forms against the English plural (the singular form of
    a plural may drop the number, as "one walk" does), or the one msgstr."""
    if entry.msgid_plural:
        return [(entry.msgid_plural, text) for index, text in sorted(entry.msgstr_plural.items()) if text]
    return [(entry.msgid, entry.msgstr)] if entry.msgstr else []


def test_every_shipped_language_has_its_catalogues():
    assert set(SHIPPED) == {"es", "pt", "pl", "fr", "so", "ar"}
    for language in SHIPPED:
        for domain in DOMAINS:
            assert (LOCALE / language / "LC_MESSAGES" / f"{domain}.po").is_file(), (language, domain)


@pytest.mark.parametrize(("language", "domain"), catalogues())
def test_the_catalogues_hold_the_same_msgids(language, domain):
    """makemessages fills every language from the same sources: one with an entry the others lack
    was edited by hand, or not updated."""
    english = {(entry.msgctxt, entry.msgid) for entry in catalogue("es", domain)}
    assert {(entry.msgctxt, entry.msgid) for entry in catalogue(language, domain)} == english


@pytest.mark.parametrize("path", every_catalogue())
def test_each_catalogue_says_whether_a_native_speaker_has_reviewed_it(path):
    language = path.parent.parent.name
    po = polib.pofile(str(path))
    status = po.metadata.get("X-Review-Status", "")
    assert status == AWAITING or status.startswith("reviewed by "), (path, status)
    if status == AWAITING:
        assert "awaits review by a native speaker" in po.header, path
    assert po.metadata.get("Language") == language
    assert "INTEGER" not in po.metadata.get("Plural-Forms", ""), "the plural rule is missing"


@pytest.mark.parametrize("path", every_catalogue())
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    po = polib.pofile(str(path))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated and not fuzzy, (
        f"{path}: {len(untranslated)} untranslated, {len(fuzzy)} fuzzy, e.g. {(untranslated + fuzzy)[:3]}"
    )


@pytest.mark.parametrize("path", every_catalogue())
def test_every_translation_keeps_the_placeholders_and_the_markup(path):
    broken = []
    for entry in polib.pofile(str(path)):
        if entry.obsolete:
            continue
        pairs = translations(entry)
        for index, (english, translated) in enumerate(pairs):
            wanted, got = placeholders(english), placeholders(translated)
            # a plural's other forms may leave out the number ("one walk"), never add a placeholder
            last = index == len(pairs) - 1
            if (got != wanted) if (last or not entry.msgid_plural) else bool(got - wanted):
                broken.append(f"placeholders differ: {entry.msgid!r} → {translated!r}")
            if tags(translated) != tags(english):
                broken.append(f"HTML differs: {entry.msgid!r} → {translated!r}")
        if "python-format" in entry.flags and entry.msgstr and "%" in entry.msgstr:
            values = dict.fromkeys(re.findall(r"%\(([^)]*)\)", entry.msgid), "x")
            try:
                entry.msgstr % values if values else None
            except (KeyError, ValueError, TypeError) as error:
                broken.append(f"does not format ({error!r}): {entry.msgstr!r}")
    assert not broken, f"{path}:\n  " + "\n  ".join(broken)


def library_msgids() -> set[tuple[str | None, str, str]]:
    """Every (context, msgid, plural) that Django (and its contrib apps) and allauth translate."""
    found = set()
    for package in (Path(django.__file__).parent, Path(allauth.__file__).parent):
        for path in package.glob("**/locale/en/LC_MESSAGES/django.po"):
            found |= {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in polib.pofile(str(path))}
    return found


def test_the_libraries_words_are_still_the_libraries_msgids():
    """locale-libraries/ holds translations of Django's and allauth's strings, exactly as they write them.
    An upgrade that rewords one leaves our translation unused and the page in English: this fails
    instead. And none of them is ours (ours belong in locale/, where makemessages keeps them)."""
    theirs = library_msgids()
    ours = {(entry.msgctxt, entry.msgid) for entry in catalogue("es", "django")}
    paths = sorted(LIBRARIES.glob("*/LC_MESSAGES/*.po"))
    # Somali: neither Django nor allauth ships it; Arabic and Portuguese: a word Django's own lacks
    assert [path.parent.parent.name for path in paths] == ["ar", "pt", "so"]
    for path in paths:
        entries = [entry for entry in polib.pofile(str(path)) if not entry.obsolete]
        assert entries
        stale = [
            entry.msgid for entry in entries if (entry.msgctxt, entry.msgid, entry.msgid_plural) not in theirs
        ]
        assert not stale, f"no longer msgids of Django or allauth: {stale}"
        assert not [entry.msgid for entry in entries if (entry.msgctxt, entry.msgid) in ours]


def test_the_placeholder_check_catches_a_broken_one():
    """The checks above, on a translation that renamed, dropped or added a placeholder or a tag."""
    assert placeholders("Hola %(nombre)s") != placeholders("Hello %(name)s")
    assert placeholders("Escribe {palabra}") != placeholders("Type {word}")
    assert placeholders("Hola") != placeholders("Hello %(name)s")
    assert placeholders("%(name)s, hola") == placeholders("Hello %(name)s")
    assert tags('Lee <a href="%(url)s">esto') != tags('Read <a href="%(url)s">this</a>')
