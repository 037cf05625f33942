"""Settings for Walk and Talk.

One file for every environment. Everything that differs between deployments comes from environment
variables (README has the table). ``DEBUG`` is off unless the environment turns it on; with it off
this is production mode, which refuses to start without the values production needs.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import environ
from celery.schedules import crontab
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _required(name: str, development_default: str | None = None) -> str:
    """A value production must set; development may fall back to a safe local default."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG and development_default is not None:
        return development_default
    raise ImproperlyConfigured(f"Set the {name} environment variable (see README: Configuration).")


SECRET_KEY = _required("SECRET_KEY", development_default="development-only-not-secret-" + "x" * 40)
if not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("django-insecure", "development-only"))):
    raise ImproperlyConfigured("SECRET_KEY must be a long random value in production (50+ characters).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = _required("SITE_URL", development_default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

# --- Applications -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "walkandtalk.apps.WalkAndTalkAdminConfig",  # the sergeant's dashboard replaces the default admin
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "crispy_forms",
    "crispy_bootstrap5",
    "phonenumber_field",
    "csp",
    "walkandtalk",
    "walkandtalk.outbox",  # the messaging subsystem, below every app
    "participants",
    "patrols",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Redis (the cache) down: 503 "try again in a minute" instead of 500 (sign-in's rate limits)
    "walkandtalk.middleware.CacheUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the user's role and second factor read in the query that loads her
    "participants.backends.AuthenticationMiddleware",
    # the page's language (issue 18): hers for a resident (read with her user row), English for staff,
    # the switcher's cookie for everyone else. Django's LocaleMiddleware, which runs before the user is
    # known, is replaced by this one (walkandtalk/languages.py says why).
    "walkandtalk.languages.LanguageMiddleware",
    # the audit log reads the signed-in user and IP address of the request being served
    "participants.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "walkandtalk.middleware.StaffSecondFactorMiddleware",
    "walkandtalk.middleware.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    "walkandtalk.nulbytes.RejectNulInQueryMiddleware",  # a NUL can't reach a lookup (PostgreSQL refuses it)
]

ROOT_URLCONF = "walkandtalk.urls"
WSGI_APPLICATION = "walkandtalk.wsgi.application"
ASGI_APPLICATION = "walkandtalk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "walkandtalk.context_processors.site",
            ],
        },
    },
]

# --- Database: PostgreSQL only ------------------------------------------------------------------
# `make run` and `make test` start an embedded PostgreSQL and export its DATABASE_URL when none is
# given (walkandtalk/localdb.py). There is no other engine: the app relies on PostgreSQL features.

_embedded_socket = quote(str(DATA_DIR / "pg"), safe="")
DATABASE_URL = _required(
    "DATABASE_URL", development_default=f"postgres://postgres@{_embedded_socket}/walkandtalk"
)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
# A Unix-socket directory arrives URL-encoded as the host (postgres://user@%2Fpath%2Fto%2Fsocket/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT compiles big aggregates before running them; for the dashboard's queries that costs
# more than it saves (measured at London scale: about 200 ms of a 1 s dashboard).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL: it is the only engine supported.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and broker --------------------------------------------------------------------
# With REDIS_URL unset (local runs without a Redis server) the broker is kombu's filesystem transport
# and the cache is file based; both are shared between the web, worker and beat processes.

REDIS_URL = env.str("REDIS_URL", default="")
# The sergeant's dashboard keeps its period figures (and the map's pins) this long per scope (issue 16):
# on top of the counters, never instead; 0 turns the cache off.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)
# ...and its figures as rendered (the live ones included: open actions, workload, the waiting list) this
# long per scope and page, their time on the page; a sergeant's own change in the admin starts them
# afresh. 0 turns it off.
DASHBOARD_LIVE_SECONDS = env.int("DASHBOARD_LIVE_SECONDS", default=15)

if not REDIS_URL and not DEBUG and not env.bool("ALLOW_NO_REDIS", default=False):
    raise ImproperlyConfigured("Set the REDIS_URL environment variable (see README: Configuration).")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="walkandtalk"),
            # With Redis down a page that needs the cache (sign-in's rate limits) fails fast, and
            # walkandtalk.middleware.CacheUnavailableMiddleware answers 503 "try again in a minute".
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": 3600,
        # Redis going away must not hang or stop anything (issue 13 point 5). A connection that
        # dies without closing (failover, NAT) is noticed: connecting gives up after 5 s, a command
        # after 10 s (more than BRPOP's 1 s), and idle connections are checked every 10 s.
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
        "socket_keepalive": True,
        "health_check_interval": 10,
        # retry_on_timeout stays off: a timed-out publish replayed could enqueue a task twice, and
        # pipelined publishes are only batched without it.
    }
else:
    BROKER_DIR = DATA_DIR / "broker"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # one folder in and out, and an absolute control folder (DESIGN.md); processed files are
        # not kept, or they pile up
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

# The parts of every page that are the same for everyone with the same language and role (base.html's
# links, menu, footer and scripts: `{% cache %}`, which uses this alias), rendered once per worker
# process and kept in its memory (issue 16). Nothing of a user's own goes in one: her CSRF token, the
# page's own blocks and the time stay outside. A deploy starts new processes, so new templates and
# translations show at once; walkandtalk/apps.py empties it when a setting changes (tests).
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "walkandtalk-fragments",
    "TIMEOUT": None,
    "OPTIONS": {"MAX_ENTRIES": 2000},
}

# --- Celery -------------------------------------------------------------------------------------
# The outbox row in PostgreSQL, not the broker, is the truth about what was sent: tasks are acked
# late and re-queued when a worker dies, so a task may run twice and must be safe to.

CELERY_TIMEZONE = "Europe/London"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage is ridden out, however long: the worker reconnects by itself, forever (kombu waits
# 2, 4, 6 ... up to 30 s between tries). See also the kombu workaround in walkandtalk/celery.py.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task running when the connection drops is left to finish (it is about to mark its messages sent
# in PostgreSQL): cancelling it mid-send would only make a resend more likely. Its ack is lost, so
# it comes back after the visibility timeout and finds nothing left to do.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "walkandtalk.tasks.heartbeat", "schedule": crontab()},
    # The outbox dispatcher: every minute, whatever is due (no ETA tasks: the row is the truth).
    "dispatch-notifications": {
        "task": "walkandtalk.outbox.tasks.dispatch_notifications",
        "schedule": crontab(),
    },
    # Officers' day plans, 07:00 London time (CELERY_TIMEZONE), on days they have walks.
    "day-plans": {"task": "patrols.tasks.send_day_plans", "schedule": crontab(hour=7, minute=0)},
    # Referrals left unacknowledged for 5 working days: one reminder each (patrols/referrals.py).
    "chase-referrals": {"task": "patrols.tasks.chase_referrals", "schedule": crontab(minute=15)},
    # UK GDPR retention: warn inactive residents, erase them a month later (participants/privacy.py).
    "apply-retention": {"task": "participants.tasks.apply_retention", "schedule": crontab(hour=3, minute=30)},
}

# --- Accounts (django-allauth) ------------------------------------------------------------------

AUTH_USER_MODEL = "participants.User"
# Django's and allauth's backends, each loading the signed-in user with her role and second factor in
# the same query (participants/backends.py: a signed-in request costs the session and that one row).
AUTHENTICATION_BACKENDS = [
    "participants.backends.ModelBackend",
    "participants.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "participants.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""  # discreet: a subject never names the scheme's owner
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# The client's address, not the TLS proxy's (participants/network.py reads these for the rate limits, the
# sign-in log, the audit log and the sessions list; allauth would read them too). Behind the proxy with
# neither set, every resident and officer shares the proxy's address, and so one limit.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default="") or None
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("ALLAUTH_TRUSTED_PROXY_COUNT is the number of proxies in front: 0 or more.")
ACCOUNT_RATE_LIMITS = {
    # Per account first: five failed sign-ins (or second-factor codes) for one account in five minutes
    # lock that account, and the sixth answers 429. Per address, generously: a library's or a hostel's
    # Wi-Fi puts many women behind one address, and one person's wrong passwords must not lock out the
    # rest. allauth checks the rates in this order and stops at the first that is spent, so a locked
    # account's further tries do not use up the address's allowance.
    "login_failed": "5/5m/key,30/5m/ip",
    # A sign-up session at a library: a room of women on one Wi-Fi within the hour.
    "signup": "60/h/ip",
    "reset_password": "5/h/key,60/h/ip",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Walk and Talk"

# --- Forms, time, static files ------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Django's, with the plain <input> and <textarea> written in Python (walkandtalk/form_renderer.py).
FORM_RENDERER = "walkandtalk.form_renderer.Renderer"
PHONENUMBER_DEFAULT_REGION = "GB"

LANGUAGE_CODE = "en-gb"
# Issue 18: English and London's most spoken languages after it, each named in itself for the
# switcher. Somali is not among Django's languages: its name and direction are added below.
LANGUAGES = [
    ("en-gb", "English"),
    ("es", "Español"),
    ("pt", "Português"),
    ("pl", "Polski"),
    ("fr", "Français"),
    ("so", "Soomaali"),
    ("ar", "العربية"),
]
LANG_INFO.setdefault("so", {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"})
# One catalogue per language for the whole project (locale/<code>/LC_MESSAGES/django.po): most of
# the text is in the shared top-level templates/, and a translator gets one file, not one per app.
# Ours first (they win), then libraries' catalogues copied under the code our pages use (allauth's
# pt_PT as pt: scripts/catalogues.py compile builds it), then our translations of Django's and
# allauth's own words for a language neither ships (Somali: locale-libraries/so, kept in git).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-fallback", BASE_DIR / "locale-libraries"]
# Each language's date formats: Django's, with ours over them (walkandtalk/formats says why)
FORMAT_MODULE_PATH = ["walkandtalk.formats"]
LANGUAGE_COOKIE_NAME = "wt_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm (package-lock.json) at install time and are served from here;
# nothing is loaded from a CDN.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    # Workbox's runtime for the officer app's service worker, copied there by `make install` (issue 17).
    ("vendor/workbox", BASE_DIR / "build" / "workbox"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "walkandtalk.storage.StaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email --------------------------------------------------------------------------------------

EMAIL_URL = _required("EMAIL_URL", development_default="consolemail://")
globals().update(env.email_url_config(EMAIL_URL))  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ...
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Walk and Talk <no-reply@walkandtalk.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The ORGANIZER of walk invites (RFC 5546 needs one for REQUEST and CANCEL): the sender's address.
CALENDAR_ORGANIZER_EMAIL = env.str("CALENDAR_ORGANIZER_EMAIL", default=parseaddr(DEFAULT_FROM_EMAIL)[1])

# --- SMS and the outbox dispatcher (walkandtalk/outbox/) ------------------------------------------

# A dotted path: walkandtalk.outbox.sms.ConsoleBackend (default), ...FileBackend (writes SMS_FILE_PATH),
# ...NotifyBackend (GOV.UK Notify, production).
SMS_BACKEND = env.str("SMS_BACKEND", default="walkandtalk.outbox.sms.ConsoleBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(DATA_DIR / "sms"))
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY", default="")
NOTIFY_SMS_TEMPLATE_ID = env.str("NOTIFY_SMS_TEMPLATE_ID", default="")
if SMS_BACKEND == "walkandtalk.outbox.sms.NotifyBackend" and not (NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID):
    raise ImproperlyConfigured("The Notify SMS backend needs NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID.")
# Messages claimed per batch; a try that fails waits NOTIFICATION_RETRY_SECONDS, doubling each time,
# and after NOTIFICATION_MAX_ATTEMPTS the message is marked failed for the sergeant to see.
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=100)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_SECONDS = env.int("NOTIFICATION_RETRY_SECONDS", default=60)
# A message claimed but not finished after this long (its worker died) is claimed again.
NOTIFICATION_RECLAIM_AFTER_SECONDS = env.int("NOTIFICATION_RECLAIM_AFTER_SECONDS", default=300)

# --- Web Push to officers' phones (walkandtalk/outbox/push.py) -------------------------------------
# VAPID keys from `manage.py vapid_keys`. Production must set them while push is on; a development
# server (DEBUG) without them derives a pair from its SECRET_KEY, so `make run` needs no hand step.
PUSH_ENABLED = env.bool("PUSH_ENABLED", default=True)
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="")
if PUSH_ENABLED and not (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY):
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (`manage.py vapid_keys`), or PUSH_ENABLED=false."
        )
    from walkandtalk.outbox.vapid import derive_key_pair

    VAPID_PRIVATE_KEY, VAPID_PUBLIC_KEY = derive_key_pair(seed=SECRET_KEY)
if PUSH_ENABLED and not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    if not DEBUG:
        raise ImproperlyConfigured("Set VAPID_SUBJECT to the mailto: or https:// address of the scheme.")
    VAPID_SUBJECT = "mailto:" + parseaddr(DEFAULT_FROM_EMAIL)[1]
# How long a push service keeps a message for a phone that is off (a booking is news for a day).
PUSH_TTL_SECONDS = env.int("PUSH_TTL_SECONDS", default=24 * 60 * 60)
PUSH_TIMEOUT_SECONDS = env.int("PUSH_TIMEOUT_SECONDS", default=10)
# A push endpoint must be https on a public host (push.py refuses anything else: no requests from
# this server to its own network). Tests alone list their local stand-in's host here; never from the
# environment.
PUSH_TEST_ENDPOINT_HOSTS: list[str] = []
# The signed cookie that names a phone's subscription (push.py: why a session alone is not enough).
PUSH_DEVICE_COOKIE_NAME = "pushdevice" if DEBUG else "__Host-pushdevice"

# --- Security -----------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# __Host- cookies: HTTPS only, this host only, path / — the browser refuses them otherwise.
SESSION_COOKIE_NAME = "sessionid" if DEBUG else "__Host-sessionid"
CSRF_COOKIE_NAME = "csrftoken" if DEBUG else "__Host-csrftoken"
# Officers and the sergeant: signed out when the browser closes, and after this many hours in any case.
STAFF_SESSION_HOURS = env.int("STAFF_SESSION_HOURS", default=12)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz is asked over plain HTTP by the container health checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Maps (Leaflet, from npm). Tiles come from this server, whose origin the CSP allows for images.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_ATTRIBUTION = env.str("MAP_ATTRIBUTION", default="© OpenStreetMap contributors")
_tile_url = urlsplit(MAP_TILE_URL)
_tile_origin = f"{_tile_url.scheme}://{_tile_url.netloc}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", _tile_origin],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Sign-ins, failures, refused accesses and rate limits: who and when, never a password.
        "walkandtalk.security": {"level": "INFO"},
    },
}

# --- The scheme ---------------------------------------------------------------------------------

SCHEME_NAME = "Walk and Talk"
# Booking rules (PRODUCT.md: Availability). Times are minutes/hours/days as named.
WALK_LENGTH_MINUTES = env.int("WALK_LENGTH_MINUTES", default=60)
WALK_BUFFER_MINUTES = env.int("WALK_BUFFER_MINUTES", default=15)
SLOT_STEP_MINUTES = env.int("SLOT_STEP_MINUTES", default=30)
BOOKING_MIN_NOTICE_HOURS = env.int("BOOKING_MIN_NOTICE_HOURS", default=24)
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=28)
RESIDENT_CHANGE_CUTOFF_HOURS = env.int("RESIDENT_CHANGE_CUTOFF_HOURS", default=2)
MAX_UPCOMING_WALKS_PER_RESIDENT = env.int("MAX_UPCOMING_WALKS_PER_RESIDENT", default=4)
REMINDER_HOURS_BEFORE = env.list("REMINDER_HOURS_BEFORE", cast=int, default=[24, 2])
STATION_PHONE = env.str("STATION_PHONE", default="020 7230 1212")
# "Exit this page" (GOV.UK's quick exit) on every resident and public page leaves for this neutral site;
# a woman using the scheme may live with the person she fears. An http(s) address only.
QUICK_EXIT_URL = env.str("QUICK_EXIT_URL", default="https://www.bbc.co.uk/weather")
if urlsplit(QUICK_EXIT_URL).scheme not in ("https", "http") or not urlsplit(QUICK_EXIT_URL).netloc:
    raise ImproperlyConfigured("QUICK_EXIT_URL must be the https:// (or http://) address of a neutral site.")

# UK GDPR (participants/privacy.py, templates/privacy.html). A resident inactive (no sign-in, no walk)
# for RESIDENT_RETENTION_MONTHS is warned, then erased RESIDENT_RETENTION_NOTICE_DAYS later unless she
# signs in. On erasure her safeguarding disclosures are kept ("keep", the safeguarding policy) or
# deleted ("delete").
RESIDENT_RETENTION_MONTHS = env.int("RESIDENT_RETENTION_MONTHS", default=24)
RESIDENT_RETENTION_NOTICE_DAYS = env.int("RESIDENT_RETENTION_NOTICE_DAYS", default=30)
DISCLOSURE_RETENTION_ON_ERASURE = env.str("DISCLOSURE_RETENTION_ON_ERASURE", default="keep")
if DISCLOSURE_RETENTION_ON_ERASURE not in ("keep", "delete"):
    raise ImproperlyConfigured('DISCLOSURE_RETENTION_ON_ERASURE must be "keep" or "delete".')
