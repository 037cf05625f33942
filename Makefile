# Two commands for a newcomer: `make run` and `make test` (README). Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test install lint format bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

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

# Issue 7 point 7: 10,000 due messages through the dispatcher with one Celery worker, to the file
# backends; prints the time, messages per second and duplicates (must be 0). Needs a DATABASE_URL
# server that may create a scratch database, or the embedded one that with-services starts.
bench: install
	scripts/with-services $(PY) bench/dispatch.py $(BENCH_ARGS)

clean:
	-$(PY) -m walkandtalk.localdb stop
	rm -rf .data staticfiles
