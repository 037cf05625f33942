"""Discreet in every language (issue 18, point 5): what a passer-by may read of a message to her — the
subject, the first lines of the email (text and HTML), the whole SMS and the calendar entry's title —
never says her language's word for police unless she chose "messages may mention the police".

Every resident message kind × every shipped language. The words are stems matched at the start of a
word (Polish and Arabic inflect; Arabic also glues the article and prepositions on the front, so its
stem is matched anywhere in a word). An untranslated entry falls back to English, which is checked
against the English word as well, so an empty catalogue passes as the English does."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from icalendar import Calendar

from tests.outbox import compose
from tests.test_messages import RESIDENT_KINDS, Kind, first_lines, html_first_lines, row, scene

pytestmark = pytest.mark.django_db

SHIPPED = [code for code, _name in settings.LANGUAGES]

# Each language's words for police (the force, its officers, the adjective), as stems.
WORD_START = r"(?<!\w)"
POLICE = {
    "en-gb": [r"polic"],
    "es": [r"polic[ií]"],  # policía, policial, policías
    "pt": [r"pol[ií]ci"],  # polícia, policial, policiais
    "pl": [r"polic", r"policj", r"policyjn"],  # policja, policji, policjant, policyjny
    "fr": [r"polic"],  # police, policier, policière
    "so": [r"booli+s"],  # boolis, booliis, booliska, booliiska
    "ar": [r"شرط", r"بوليس"],
}
ARABIC_ANYWHERE = {"ar"}  # الشرطة, للشرطة, وشرطي: the article and prepositions are part of the word


def says_police(code: str, text: str) -> list[str]:
    """The words for police (hers and English, which an untranslated entry falls back to) in `text`."""
    found = []
    for language in {code, "en-gb"}:
        for stem in POLICE[language]:
            prefix = "" if language in ARABIC_ANYWHERE else WORD_START
            found += re.findall(prefix + stem + r"\w*", text, flags=re.IGNORECASE)
    return found


def previews(message) -> dict[str, str]:
    """Every part of a message a lock screen or an inbox list may show."""
    parts = {
        "subject": message.subject,
        "first lines": "\n".join(first_lines(message.text)),
        "html first lines": "\n".join(html_first_lines(message.html)),
        "sms": message.sms,
    }
    for number, attachment in enumerate(message.attachments):
        event = Calendar.from_ical(attachment.content).walk("VEVENT")[0]
        parts[f"ics {number} summary"] = str(event["summary"])
    return parts


def test_the_table_finds_each_languages_word():
    assert says_police("es", "La Policía Metropolitana")
    assert says_police("pt", "um agente policial")
    assert says_police("pl", "Spotkanie z policjantką") and says_police("pl", "funkcjonariusz policji")
    assert says_police("fr", "une policière")
    assert says_police("so", "Booliska magaalada") and says_police("so", "sarkaalad booliis")
    assert says_police("ar", "ضابطة من الشرطة") and says_police("ar", "للشرطة")
    assert not says_police("es", "política de privacidad")  # policy: "polític" is not "policí"
    assert not says_police("es", "Su paseo con Amira")
    assert not says_police("fr", "Apolice")  # a word that merely contains it


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
@pytest.mark.parametrize("code", SHIPPED)
def test_no_message_to_her_says_police_in_her_language_unless_she_chose_it(kind, code):
    s = scene(language=code.split("-")[0])
    message = compose(row(kind, s["resident"].user, s))
    for part, text in previews(message).items():
        assert not says_police(code, text), (code, kind, part, text)


@pytest.mark.parametrize("code", SHIPPED)
def test_with_her_choice_on_the_invite_may_say_it_is_the_police(code):
    s = scene(language=code.split("-")[0], mention_police_in_messages=True)
    message = compose(row(Kind.BOOKING_CONFIRMATION, s["resident"].user, s))
    assert "PC Alexandra" in message.sms
    summary = str(Calendar.from_ical(message.attachments[0].content).walk("VEVENT")[0]["summary"])
    assert says_police(code, summary), (code, summary)
