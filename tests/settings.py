"""Test settings: the real settings with the few overrides tests need (ephios style)."""

import os

# Production mode (DEBUG off) as in deployment, with values a test run can have.
os.environ.setdefault("SECRET_KEY", "test-secret-key-for-the-test-suite-only-3f9a8c7e1b2d4a6f9e0c")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("ALLOW_NO_REDIS", "true")
# Web Push: a pair derived from a fixed test seed (never a production key), so a test can verify the
# VAPID signature against the public key.
if not os.environ.get("VAPID_PRIVATE_KEY"):
    from walkandtalk.outbox.vapid import derive_key_pair

    os.environ["VAPID_PRIVATE_KEY"], os.environ["VAPID_PUBLIC_KEY"] = derive_key_pair(seed="test-suite")
os.environ.setdefault("VAPID_SUBJECT", "mailto:walkandtalk-tests@example.org")
if not os.environ.get("DATABASE_URL"):
    # `make test` exports the embedded server's URL; this default serves a bare `pytest` after it.
    from urllib.parse import quote

    from walkandtalk.localdb import PGDATA

    os.environ["DATABASE_URL"] = f"postgres://postgres@{quote(str(PGDATA), safe='')}/walkandtalk"

from walkandtalk.settings import *  # noqa: F403
from walkandtalk.settings import CACHES, DATA_DIR, REDIS_URL

# The live server for browser tests speaks plain HTTP.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "walkandtalk.outbox.sms.MemoryBackend"
# The local HTTP server that stands in for a browser's push service (tests/push_service.py).
PUSH_TEST_ENDPOINT_HOSTS = ["127.0.0.1"]
# Worker subprocesses started by tests/test_notifications_delivery.py write their emails to files
# (each the test's own folder), optionally slowly, so a test can count what was sent.
if os.environ.get("TEST_MAIL_DIR"):
    EMAIL_BACKEND = "tests.backends.SlowFileEmailBackend"
    EMAIL_FILE_PATH = os.environ["TEST_MAIL_DIR"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Each test run gets its own cache namespace, so rate limits from one test never leak into another run.
if REDIS_URL:
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"
else:
    CACHES["default"]["LOCATION"] = str(DATA_DIR / f"cache-test-{os.getpid()}")

# Tests see every change at once; tests/test_dashboard_speed.py turns the dashboard's cache on to test it.
DASHBOARD_CACHE_SECONDS = 0
DASHBOARD_LIVE_SECONDS = 0

# Serve static files straight from the finders (no collectstatic in tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The browser tests' live server speaks plain HTTP, where browsers refuse __Host- cookies.
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
PUSH_DEVICE_COOKIE_NAME = "pushdevice"
