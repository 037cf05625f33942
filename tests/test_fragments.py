"""base.html's parts that are the same for everyone with one language and role are rendered once per
worker and kept (issue 16: `{% cache %}` in CACHES["template_fragments"]). What is kept must never be
someone else's: another language's words, another role's menu, a CSRF token, a setting since changed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from participants.models import Language

pytestmark = pytest.mark.django_db

SIGN_OUT_TOKEN = re.compile(
    r'id="sign-out-form" data-sign-out>\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"'
)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sign_out_token(response) -> str:
    match = SIGN_OUT_TOKEN.search(response.content.decode())
    assert match, "the sign-out form and its CSRF token"
    return match.group(1)


def test_each_language_gets_its_own_menu_and_footer_in_turn(resident_a, resident_b):
    resident_b.language = Language.ARABIC
    resident_b.save(update_fields=["language"])
    english, arabic = signed_in(resident_a.user), signed_in(resident_b.user)
    for _ in range(2):  # the second time round, both come from what was kept
        page_a = english.get(reverse("patrols:my_walks")).content.decode()
        page_b = arabic.get(reverse("patrols:my_walks")).content.decode()
        assert 'lang="en-gb" dir="ltr"' in page_a and 'lang="ar" dir="rtl"' in page_b
        assert "bootstrap.rtl.min.css" in page_b and "bootstrap.rtl.min.css" not in page_a
        assert "Skip to main content" in page_a and "Skip to main content" not in page_b
        assert "Privacy notice" in page_a and "Privacy notice" not in page_b


def test_each_role_gets_its_own_menu_and_scripts(resident_a, officer_a):
    resident, officer = signed_in(resident_a.user), signed_in(officer_a.user)
    for _ in range(2):
        page_r = resident.get(reverse("patrols:my_walks")).content.decode()
        page_o = officer.get(reverse("patrols:today")).content.decode()
        assert reverse("patrols:book") in page_r and reverse("patrols:availability") not in page_r
        assert reverse("patrols:availability") in page_o and reverse("patrols:book") not in page_o
        assert "js/app.js" in page_o and "js/app.js" not in page_r
        assert 'rel="manifest"' in page_o and 'rel="manifest"' not in page_r
        assert "quick-exit" in page_r and "quick-exit" not in page_o


def test_every_page_has_its_own_csrf_token_which_signs_her_out(resident_a, resident_b):
    first, second = signed_in(resident_a.user), signed_in(resident_b.user)
    tokens = [sign_out_token(client.get(reverse("patrols:my_walks"))) for client in (first, second, first)]
    assert len(set(tokens)) == 3  # masked afresh each time: none was kept with the menu
    response = second.post(reverse("account_logout"), {"csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 302
    assert "_auth_user_id" not in second.session


def test_a_changed_setting_shows_at_once(resident_a, settings):
    client = signed_in(resident_a.user)
    assert "Walk and Talk" in client.get(reverse("patrols:my_walks")).content.decode()
    settings.SCHEME_NAME = "Safer Streets Walks"
    page = client.get(reverse("patrols:my_walks")).content.decode()
    assert 'class="navbar-brand fw-semibold" href="/">Safer Streets Walks</a>' in page
