"""Her language (issue 18): which language a page and a message are in, the switcher, and the
fallbacks to English. The words themselves come from the catalogues (tests/test_translations.py);
here the checks are on what only the language decides: lang and dir, Bootstrap's RTL stylesheet,
Django's own day names, and the catalogue's translation of a string, whatever it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from participants.models import Language, Resident
from participants.roles import RESIDENTS
from tests.factories import UserFactory, WalkFactory, ward
from tests.outbox import compose
from tests.test_messages import RESIDENT_KINDS, row, scene

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME
RTL_CSS = "bootstrap.rtl.min.css"


def page(client: Client, path: str = "/") -> str:
    response = client.get(path, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return translation.gettext(text)


def monday(walk) -> None:
    """Her walk on a Monday at 14:30 in London (13:30 UTC, summer time)."""
    walk.starts_at = datetime(2027, 7, 5, 13, 30, tzinfo=ZoneInfo("UTC"))
    walk.ends_at = walk.starts_at + timedelta(hours=1)
    walk.save()


def test_english_until_she_picks_a_language(client):
    html = page(client, reverse("privacy"))
    assert '<html lang="en-gb" dir="ltr"' in html
    assert RTL_CSS not in html
    assert 'action="/language/"' in html, "the switcher is on every public page"


@pytest.mark.parametrize("code", ["es", "pt", "pl", "fr", "so"])
def test_a_visitor_who_picked_a_language_gets_it(client, code):
    client.cookies[COOKIE] = code
    response = client.get(reverse("privacy"))
    assert f'<html lang="{code}" dir="ltr"' in response.content.decode()
    assert response["Content-Language"] == code


def test_arabic_is_right_to_left_with_bootstraps_rtl_stylesheet(client):
    client.cookies[COOKIE] = "ar"
    html = page(client, reverse("accessibility"))
    assert '<html lang="ar" dir="rtl"' in html
    assert RTL_CSS in html and "bootstrap.min.css" not in html


@pytest.mark.parametrize("cookie", ["xx", "klingon-KL", "../../etc/passwd", "", "en-gb" * 20, "bn"])
def test_an_unknown_language_in_the_cookie_is_english_never_an_error(client, cookie):
    client.cookies[COOKIE] = cookie
    html = page(client, reverse("privacy"))
    assert '<html lang="en-gb" dir="ltr"' in html


def test_the_switcher_remembers_the_choice_and_goes_back(client):
    response = client.post(reverse("set_language"), {"language": "pt", "next": reverse("privacy")})
    assert response.status_code == 302 and response["Location"] == reverse("privacy")
    assert response.cookies[COOKIE].value == "pt"
    assert '<html lang="pt"' in page(client, reverse("privacy"))


@pytest.mark.parametrize("language", ["xx", "", "<script>", "en"])
def test_the_switcher_turns_an_unknown_code_into_english(client, language):
    response = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en-gb"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_the_switcher_only_goes_back_to_our_own_pages(client, target):
    response = client.post(reverse("set_language"), {"language": "es", "next": target})
    assert response["Location"] == "/"


def test_the_switcher_is_post_only(client):
    assert client.get(reverse("set_language"), {"language": "es"}).status_code == 405


def test_her_profile_language_is_used_for_every_page_she_sees(client, resident_a):
    Resident.objects.filter(pk=resident_a.pk).update(language=Language.ARABIC)
    client.force_login(resident_a.user)
    client.cookies[COOKIE] = "es"  # her profile wins over a cookie left on the phone
    for path in (reverse("patrols:my_walks"), reverse("patrols:book"), reverse("participants:profile")):
        html = page(client, path)
        assert '<html lang="ar" dir="rtl"' in html, path
        assert RTL_CSS in html


def test_a_profile_language_not_translated_yet_is_english(client, resident_a):
    Resident.objects.filter(pk=resident_a.pk).update(language=Language.BENGALI)
    client.force_login(resident_a.user)
    assert '<html lang="en-gb"' in page(client, reverse("patrols:my_walks"))


def test_an_unknown_code_on_her_profile_is_english(client, resident_a):
    Resident.objects.filter(pk=resident_a.pk).update(language="zz")
    client.force_login(resident_a.user)
    assert '<html lang="en-gb"' in page(client, reverse("patrols:my_walks"))


def test_her_switch_goes_on_her_profile_with_her_token(resident_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident_a.user)
    html = page(client, reverse("patrols:my_walks"))
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    client.post(reverse("set_language"), {"language": "pl", "next": "/", "csrfmiddlewaretoken": token})
    resident_a.refresh_from_db()
    assert resident_a.language == Language.POLISH
    assert '<html lang="pl"' in page(client, reverse("patrols:my_walks"))


def test_another_site_cannot_change_her_profile_language(resident_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident_a.user)
    response = client.post(reverse("set_language"), {"language": "pl", "next": "/"})
    assert response.status_code == 302  # the cookie, for this browser, but not her profile
    resident_a.refresh_from_db()
    assert resident_a.language == Language.ENGLISH


def test_officers_and_the_sergeant_keep_english_screens(client, officer_a, sergeant):
    for user, path in ((officer_a.user, reverse("patrols:today")), (sergeant, reverse("admin:index"))):
        client.force_login(user)
        client.cookies[COOKIE] = "ar"
        html = page(client, path)
        assert 'lang="ar"' not in html and RTL_CSS not in html, path
        assert 'action="/language/"' not in html, "no switcher on staff screens"


def test_the_switcher_names_each_language_in_itself(client):
    html = page(client, reverse("privacy"))
    for name in ("English", "Español", "Português", "Polski", "Français", "Soomaali", "العربية"):
        assert name in html


def test_the_pages_words_come_from_her_languages_catalogue(client):
    client.cookies[COOKIE] = "es"
    html = page(client, reverse("privacy"))
    assert in_language("es", "Privacy notice") in html
    assert in_language("es", "Change language") in html


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
@pytest.mark.parametrize("code", ["es", "pt", "pl", "fr", "so", "ar"])
def test_every_message_to_her_is_composed_in_her_language(kind, code):
    s = scene(language=code)
    message = compose(row(kind, s["resident"].user, s))
    assert message.subject and message.text and message.sms
    assert in_language(code, "Walk and Talk") in message.text


@pytest.mark.parametrize("code", ["es", "fr", "pl", "pt", "ar"])
def test_the_time_of_her_walk_is_in_her_languages_words_and_london_time(code):
    s = scene(language=code)
    walk = s["walk"]
    monday(walk)
    text = compose(row("booking_confirmation", s["resident"].user, s)).text
    with translation.override(code):
        day = translation.gettext("Monday")
    assert day != "Monday" and day in text  # Django's own day names, in her language
    assert "14:30" in text


def test_a_message_follows_the_language_she_chose_after_it_was_recorded():
    s = scene(language="en")
    notification = row("reminder", s["resident"].user, s)
    Resident.objects.filter(pk=s["resident"].pk).update(language="es")
    s["resident"].refresh_from_db()
    notification.recipient.resident.refresh_from_db()
    walk = s["walk"]
    monday(walk)
    assert "lunes" in compose(notification).text


def test_messages_to_her_officer_stay_in_english():
    s = scene(language="ar")
    walk = s["walk"]
    monday(walk)
    assert "Monday" in compose(row("booking_confirmation", s["officer"].user, s)).text


def test_portuguese_sign_in_has_allauths_european_portuguese_words(client):
    """allauth ships pt_PT, not pt: `scripts/catalogues.py compile` copies it under pt (LOCALE_PATHS)."""
    client.cookies[COOKIE] = "pt"
    html = page(client, reverse("account_login"))
    remember = in_language("pt", "Remember Me")
    assert remember == "Lembrar-me" and remember in html


def test_latin_names_and_numbers_in_her_arabic_sentences_are_isolated(client, resident_a, officer_a):
    """Right to left: her officer's name, collar number, meeting point and walk code sit in a <bdi>
    inside the translated sentences, so the brackets and numbers around them keep their order
    (walkandtalk/templatetags/bidi.py); the browser journey checks the order on screen."""
    Resident.objects.filter(pk=resident_a.pk).update(language=Language.ARABIC)
    walk = WalkFactory(resident=resident_a, officer=officer_a, meeting_point="Outside Peckham Rye station")
    client.force_login(resident_a.user)
    name, collar = "<bdi>PC Alice Adeyemi</bdi>", '<bdi dir="ltr">1111AS</bdi>'
    book = page(client, reverse("patrols:book"))
    assert (
        in_language("ar", "With %(display_name)s (collar number %(collar_number)s).")
        % {
            "display_name": name,
            "collar_number": collar,
        }
        in book
    )
    my_walks = page(client, reverse("patrols:my_walks"))
    assert collar in my_walks and "<bdi>Outside Peckham Rye station</bdi>" in my_walks
    assert f'<bdi dir="ltr">{walk.walk_code}</bdi>' in my_walks
    detail = page(client, reverse("patrols:walk_detail", args=[walk.pk]))
    assert f"<strong>{name}</strong>" in detail and f"<strong>{collar}</strong>" in detail


def test_her_officers_name_and_number_in_a_message_on_the_next_page_are_isolated(client, officer_a):
    """The sign-up's "You're all set" message is text, not a template: Unicode's isolates (U+2068 and
    U+2069), the plain-text <bdi>, keep the name and collar number in their own direction."""
    officer_a.wards.add(ward("Peckham"))
    client.force_login(UserFactory(group=RESIDENTS))
    client.cookies[COOKIE] = "ar"
    data = {
        "preferred_name": "ليلى",
        "ward": ward("Peckham").pk,
        "language": "ar",
        "contact_channel": "email",
    }
    data |= {"baseline_safety": "3", "privacy_consent": "on"}
    response = client.post(reverse("participants:profile_create"), data, follow=True)
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl"' in html
    sentence = in_language(
        "ar", "You’re all set, %(name)s. You will walk with %(officer)s (collar number %(collar_number)s)."
    )
    isolated = {
        "name": "ليلى",
        "officer": "\u2068PC Alice Adeyemi\u2069",
        "collar_number": "\u20681111AS\u2069",
    }
    assert (
        sentence
        != "You’re all set, %(name)s. You will walk with %(officer)s (collar number %(collar_number)s)."
    )
    assert sentence % isolated in html


# Django's and allauth's own words on her sign-up and sign-in forms: Django and allauth translate them
# for five of the six languages; Somali is ours (locale-libraries/so, after our catalogue).
SIGN_UP_ERRORS = ("This field is required.", "Enter a valid email address.")
SIGN_IN_ERROR = "The email address and/or password you specified are not correct."


def assert_in_her_language(code: str, html: str, english: str) -> None:
    translated = in_language(code, english)
    assert translated != english, f"no {code} for {english!r}"
    assert escape(translated) in html, f"{english!r} is not in {code} on the page"
    assert english not in html, f"{english!r} in English on a {code} page"


@pytest.mark.parametrize("code", ["es", "pt", "pl", "fr", "so", "ar"])
def test_django_and_allauth_errors_on_her_sign_up_and_sign_in_are_in_her_language(client, code):
    client.cookies[COOKIE] = code
    response = client.post(
        reverse("account_signup"), {"email": "amira-at-example.org", "password1": "", "password2": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for english in SIGN_UP_ERRORS:
        assert_in_her_language(code, html, english)

    response = client.post(
        reverse("account_signup"), {"email": "amira@example.org", "password1": "short", "password2": "short"}
    )
    with translation.override(code):  # Django's message, as its validator words it in her language
        too_short = MinimumLengthValidator(min_length=10).get_error_message()
    assert too_short != "This password is too short. It must contain at least 10 characters."
    assert escape(too_short) in response.content.decode()

    UserFactory(email="amira@example.org")
    response = client.post(
        reverse("account_login"), {"login": "amira@example.org", "password": "not-hers-at-all"}
    )
    assert response.status_code == 200
    assert_in_her_language(code, response.content.decode(), SIGN_IN_ERROR)


def test_somali_dates_use_somali_day_and_month_names():
    """Django has no Somali day or month names: ours (locale-libraries/so), in her messages' dates too."""
    s = scene(language="so")
    walk = s["walk"]
    monday(walk)
    text = compose(row("booking_confirmation", s["resident"].user, s)).text
    assert "Isniin" in text and "Luuliyo" in text and "Monday" not in text and "July" not in text


def test_her_html_email_is_in_her_language_and_direction_with_the_names_isolated():
    s = scene(language="ar")
    officer = s["officer"]
    html = compose(row("booking_confirmation", s["resident"].user, s)).html
    assert '<html lang="ar" dir="rtl">' in html
    assert f"<bdi>{officer.display_name}</bdi>" in html
    assert f'<bdi dir="ltr">{officer.collar_number}</bdi>' in html
    assert f'<bdi dir="ltr">{settings.STATION_PHONE}</bdi>' in html
    to_her_officer = compose(row("booking_confirmation", officer.user, s)).html
    assert '<html lang="en-gb" dir="ltr">' in to_her_officer
