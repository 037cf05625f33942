"""The shipped language for a code from a profile, a cookie or a form (issue 18).

Residents may choose languages on their profile that are not translated yet (Bengali, Turkish...:
they still pair her with an officer who speaks it); those, and any unknown or malformed code, give
English, never an error. Used for her pages (walkandtalk/languages.py) and her messages
(participants/messages.py, patrols/messages.py).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

ENGLISH = settings.LANGUAGE_CODE


def supported(code: object) -> str:
    """The shipped language for `code` ("en" → "en-gb", "pt-BR" → "pt"), English when there is none."""
    if not code or not isinstance(code, str) or len(code) > 15:
        return ENGLISH
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ENGLISH


def profile_code(language: str) -> str:
    """The profile's code (participants.models.Language) for a shipped language: "en-gb" → "en"."""
    return language.split("-")[0]


def isolate(value: object) -> str:
    """`value` between Unicode's first-strong isolate and its pop (U+2068, U+2069): the plain-text
    form of HTML's <bdi> (walkandtalk/templatetags/bidi.py says why). For a name or a number in Latin
    letters inside a sentence that may be right to left, where no template can wrap it (a message
    shown on the next page). Invisible, in every language."""
    return f"\u2068{value}\u2069"
