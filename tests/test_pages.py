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


def test_signed_in_people_land_on_their_own_page(client, resident_a, officer_a, sergeant):
    client.force_login(resident_a.user)
    assert client.get(reverse("home")).url == reverse("patrols:my_walks")
    client.force_login(officer_a.user)
    assert client.get(reverse("home")).url == reverse("patrols:today")
    client.force_login(sergeant)
    assert client.get(reverse("home")).url == reverse("admin:index")


def test_navigation_depends_on_the_role(client, resident_a, officer_a):
    client.force_login(resident_a.user)
    html = client.get(reverse("patrols:my_walks")).content.decode()
    assert "My details" in html
    assert "My residents" not in html
    client.force_login(officer_a.user)
    html = client.get(reverse("participants:my_residents")).content.decode()
    assert "My residents" in html
    assert "My details" not in html


def test_server_errors_get_a_friendly_page_without_details(rf):
    from walkandtalk.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, something went wrong" in html
    assert "Nothing you saved has been lost" in html
    assert "Traceback" not in html


def test_a_forbidden_page_is_friendly(client, resident_a):
    client.force_login(resident_a.user)
    response = client.get(reverse("participants:my_residents"))
    assert response.status_code == 403
    assert "You can’t open this page" in response.content.decode()
