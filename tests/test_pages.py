"""Public pages and the role-aware layout."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_explains_the_scheme_and_leads_to_sign_up(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'href="#main"' in html  # skip link
    assert reverse("account_signup") in html
    assert "never ask for your home address" in html


def test_home_is_get_only(client):
    assert client.post(reverse("home")).status_code == 405


def test_privacy_notice_is_public(client):
    response = client.get(reverse("privacy"))
    assert response.status_code == 200
    assert "UK GDPR" in response.content.decode()


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_navigation_depends_on_the_role(client, resident_a, officer_a, sergeant):
    client.force_login(resident_a.user)
    assert "My walks" in client.get(reverse("home")).content.decode()
    client.force_login(officer_a.user)
    assert "Today" in client.get(reverse("home")).content.decode()
    client.force_login(sergeant)
    assert "Dashboard" in client.get(reverse("home")).content.decode()
