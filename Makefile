# Two commands for a newcomer: `make run` and `make test` (README). Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test install catalogues messages lint format audit bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Issue 17: the officer app's service worker, built with Workbox (scripts/build-sw.mjs) into build/,
# which is not committed. Rebuilt when its source or an app file it keeps (revisions) changes.
build/service-worker.js: node_modules/.installed scripts/build-sw.mjs frontend/service-worker.js \
		$(wildcard static/js/*.js static/css/*.css static/icons/*.png)
	node scripts/build-sw.mjs


install: $(VENV)/.installed node_modules/.installed build/service-worker.js catalogues

# Issue 18: the translations, compiled from locale/*/LC_MESSAGES/*.po into .mo files (built, never
# committed), with polib: no GNU gettext needed. Then the check that the catalogues hold exactly the
# msgids of the code: `make messages` run on a temporary copy (the tracked .po files are never
# rewritten here), failing with the list of msgids new in the code or gone from it. It needs GNU
# gettext; without it, one line says the check was skipped (tests/test_catalogues_match_the_code.py
# fails in CI instead, where .ci/run installs gettext).
catalogues: $(VENV)/.installed
	$(PY) scripts/catalogues.py compile
	$(PY) scripts/catalogues.py check --without-gettext-ok

# After changing any text a resident, a partner or the public sees: every msgid into the catalogues
# (new ones empty, gone ones dropped), then our header on each. Needs GNU gettext (xgettext, msgmerge).
# The makemessages options (languages, --no-obsolete, what is ignored) are in scripts/catalogues.py,
# one list for this and for the check above.
messages: $(VENV)/.installed
	$(PY) scripts/catalogues.py messages

# Serves the app on http://127.0.0.1:8000 with a Celery worker and beat; Ctrl-C stops them all.
run: install
	DEBUG=$${DEBUG:-1} scripts/with-services bash -c '\
		$(PY) manage.py migrate --noinput && \
		$(PY) manage.py seed_demo && \
		exec $(VENV)/bin/honcho start'

# The whole suite, against the same database and broker rules as `make run`.
test: install
	scripts/with-services $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Issue 9 point 8: known vulnerabilities in every pinned package (runtime and development), from the
# PyPI advisory data. --strict: a package that could not be checked fails the audit, never passes it
# silently (every package "not found" means the advisory service could not be reached).
audit: install
	$(VENV)/bin/pip-audit --strict --progress-spinner off -r requirements-dev.txt || { \
		echo "make audit FAILED: a pinned package has a known vulnerability, or it could not be checked." >&2; \
		exit 1; }

# Issue 10: seeds (once, then reuses) the London-scale data set in a database of its own
# (<name>_bench_london), serves it with gunicorn as in production and drives every page at 1 and 8
# users; then the dispatcher bench of issue 7 (10,000 messages, duplicates must be 0). Prints one
# table, writes bench/results/<time>-<scale>.json. BENCH_SCALE=pilot for the two-borough size;
# BENCH_ARGS for more (e.g. --fresh, --duration 5). Needs a DATABASE_URL server that may create
# databases, or the embedded one that with-services starts.
BENCH_SCALE ?= london
bench: install
	scripts/with-services $(PY) bench/web.py --scale $(BENCH_SCALE) $(BENCH_ARGS)

clean:
	-$(PY) -m walkandtalk.localdb stop
	rm -rf .data staticfiles build
