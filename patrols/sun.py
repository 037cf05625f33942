"""Sunset in London, because the scheme walks when there is less light (PRODUCT.md: Darkness)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from astral import LocationInfo
from astral.sun import sunset

LONDON_TZ = ZoneInfo("Europe/London")
LONDON = LocationInfo("London", "England", "Europe/London", 51.5072, -0.1276)


@lru_cache(maxsize=512)
def sunset_on(day: date) -> datetime:
    """Sunset in London on that day, in London time."""
    return sunset(LONDON.observer, date=day, tzinfo=LONDON_TZ)
