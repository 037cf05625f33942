from django.conf import settings
from django.http import HttpRequest

from participants.roles import role_of


def site(request: HttpRequest) -> dict:
    """What every page needs: the scheme's name and the signed-in user's role for the navigation."""
    return {
        "SCHEME_NAME": settings.SCHEME_NAME,
        "STATION_PHONE": settings.STATION_PHONE,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
        "role": role_of(getattr(request, "user", None)),
    }
