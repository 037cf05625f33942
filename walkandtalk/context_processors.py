from django.conf import settings
from django.http import HttpRequest
from django.utils.html import format_html

from participants.roles import STAFF_ROLES, role_of


def scheme() -> dict:
    """The scheme's own words every page shows, whoever asks (the 503 page, with no cache or user, too)."""
    return {
        "SCHEME_NAME": settings.SCHEME_NAME,
        "STATION_PHONE": settings.STATION_PHONE,
        # The number as running text (the footer): isolated left to right, or on an Arabic page its
        # groups come out in reverse ("1212 7230 020"). Links to it get the same from site.css.
        "STATION_PHONE_LTR": format_html('<bdi dir="ltr">{}</bdi>', settings.STATION_PHONE),
    }


def site(request: HttpRequest) -> dict:
    """What every page needs: the scheme's name, the user's role for the navigation, the quick exit."""
    role = role_of(getattr(request, "user", None))
    return {
        **scheme(),
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "role": role,
        # "Exit this page" on every public and resident page; officers and the sergeant work on their own
        # devices, so their pages go without it.
        "show_quick_exit": role not in STAFF_ROLES,
    }
