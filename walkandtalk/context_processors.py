from django.conf import settings
from django.http import HttpRequest

from participants.roles import STAFF_ROLES, role_of


def site(request: HttpRequest) -> dict:
    """What every page needs: the scheme's name, the user's role for the navigation, the quick exit."""
    role = role_of(getattr(request, "user", None))
    return {
        "SCHEME_NAME": settings.SCHEME_NAME,
        "STATION_PHONE": settings.STATION_PHONE,
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "role": role,
        # "Exit this page" on every public and resident page; officers and the sergeant work on their own
        # devices, so their pages go without it.
        "show_quick_exit": role not in STAFF_ROLES,
    }
