# syntax=docker/dockerfile:1
# One image for web, worker, beat and the one-shot migrate service (docker-compose.yml).

# --- Front-end packages: npm, exactly as package-lock.json pins them (STATICFILES_DIRS reads them) ---
FROM node:22-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
# The officer app's service worker (issue 17), built with Workbox (a dev dependency, pruned after).
COPY scripts/build-sw.mjs scripts/
COPY frontend frontend
COPY static static
RUN node scripts/build-sw.mjs && npm prune --omit=dev --no-audit --no-fund --loglevel=error

# --- The application --------------------------------------------------------------------------
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=walkandtalk.settings \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --create-home --home-dir /home/app app

WORKDIR /app

# Requirements first, so a code change does not reinstall them (runtime requirements only, not dev).
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --from=frontend /build/node_modules ./node_modules
COPY --from=frontend /build/build ./build
COPY . .
# The translations' .mo files are built, not committed (issue 18): polib, no GNU gettext in the image.
RUN python scripts/catalogues.py compile

# Static files are collected into the image. Production settings refuse to start without their
# values, so this one command gets harmless placeholders: nothing here connects to a server or signs
# anything, and none of them stays in the image's environment.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-at-build-time-only-never-used-to-sign-anything-0123456789 \
    ALLOWED_HOSTS=localhost \
    SITE_URL=https://build.invalid \
    EMAIL_URL=consolemail:// \
    DATABASE_URL=postgres://build@build.invalid:5432/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/.data \
    && chown app:app /app/.data

USER app

EXPOSE 8000

# Workers from WEB_CONCURRENCY (gunicorn reads it); heartbeat files in shared memory, not the
# container's overlay filesystem.
CMD ["gunicorn", "walkandtalk.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
