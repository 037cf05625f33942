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


# --- The accessibility statement (issue 14 point 14) -------------------------------------------------


def test_the_accessibility_statement_follows_the_gov_uk_model(client, settings):
    settings.STAFF_SESSION_HOURS = 12
    html = client.get(reverse("accessibility")).content.decode()
    for heading in (
        "Accessibility statement for Walk and Talk",
        "How accessible this website is",
        "Feedback and contact information",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Technical information about this website’s accessibility",
        "Compliance status",
        "Non-accessible content",
        "Non-compliance with the accessibility regulations",
        "Disproportionate burden",
        "What we’re doing to improve accessibility",
        "Preparation of this accessibility statement",
    ):
        assert heading in html, heading
    assert "partially compliant with the" in html and "version 2.2</a> AA standard" in html
    assert "Equality and Human Rights Commission (EHRC)" in html
    assert "Equality Advisory and Support Service (EASS)" in html
    # what is known not to be accessible
    for known in (
        "place a pin on a map",
        "Map pictures (tiles from OpenStreetMap)",
        "12 hours",
    ):
        assert known in html, known
    assert "This statement was prepared on" in html


@pytest.mark.parametrize("who", ["anonymous", "resident", "officer", "sergeant"])
def test_every_footer_links_to_the_accessibility_statement(client, who, resident_a, officer_a, sergeant):
    page = {
        "anonymous": reverse("home"),
        "resident": reverse("patrols:my_walks"),
        "officer": reverse("patrols:today"),
        "sergeant": reverse("admin:index"),
    }[who]
    user = {"resident": resident_a.user, "officer": officer_a.user, "sergeant": sergeant}.get(who)
    if user:
        client.force_login(user)
    html = client.get(page).content.decode()
    footer = html[html.index("<footer") :]
    assert f'<a href="{reverse("accessibility")}">Accessibility statement</a>' in footer
