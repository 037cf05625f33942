"""Static files' storage in production: whitenoise's, with each file's URL worked out once."""

from __future__ import annotations

from functools import lru_cache

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """A `{% static %}` URL is the same for the life of the process (the manifest is read once, at
    start): looking it up and joining it on every tag was 4% of Book a walk's time (issue 16)."""

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        return self._url_of(name)

    @lru_cache(maxsize=1024)  # noqa: B019 — one storage per process, kept for its whole life
    def _url_of(self, name):
        return super().url(name)
