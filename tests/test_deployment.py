"""Deployment: docker-compose.yml, the Dockerfile, .env.example and production settings.

Docker cannot run on the build machines, so these tests keep the compose file honest by reading it:
every service's command must name code that exists, and every variable settings.py reads must have
an example. Production settings are started for real, in subprocesses with a clean environment.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from walkandtalk.outbox.vapid import generate_key_pair

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
ENV_EXAMPLE = BASE_DIR / ".env.example"
SETTINGS_FILE = BASE_DIR / "walkandtalk" / "settings.py"

LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command_of(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def dockerfile_cmd() -> list[str]:
    match = re.search(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "the Dockerfile needs an exec-form CMD"
    return json.loads(match.group(1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- docker-compose.yml: shape -----------------------------------------------------------------


def test_the_stack_has_every_service(services):
    assert set(LONG_RUNNING) <= set(services)


def test_web_worker_and_beat_share_one_image_through_an_anchor():
    # yaml.compose keeps the merge keys: each app service must merge the very node anchored as &app.
    root = yaml.compose(COMPOSE_FILE.read_text())
    top = {key.value: value for key, value in root.value}
    anchor = top["x-app"]
    service_nodes = {key.value: value for key, value in top["services"].value}
    for name in (*APP_SERVICES, "migrate"):
        merged = [value for key, value in service_nodes[name].value if key.tag.endswith(":merge")]
        assert merged == [anchor], f"{name} must start with `<<: *app`"
    anchor_keys = {key.value for key, _ in anchor.value}
    assert {"build", "image", "env_file"} <= anchor_keys
    for name in (*APP_SERVICES, "migrate"):
        service_keys = {key.value for key, _ in service_nodes[name].value}
        assert not service_keys & {"build", "image", "env_file"}, f"{name} overrides the shared image"


def test_app_services_read_secrets_from_the_env_file(services):
    for name in (*APP_SERVICES, "migrate"):
        assert services[name]["env_file"] == ".env"
        assert "environment" not in services[name], "secrets belong in .env, not in the compose file"


def test_every_long_running_service_has_a_health_check(services):
    for name in LONG_RUNNING:
        test = services[name].get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
        assert test[0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test should be CMD or CMD-SHELL"


def test_dependencies_wait_for_health_not_just_for_start(services):
    for name in (*APP_SERVICES, "migrate"):
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
    for name in APP_SERVICES:
        # migrations run once, in their own service, before anything uses the database
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert command_of(services["migrate"])[:3] == ["python", "manage.py", "migrate"]
    assert services["migrate"]["restart"] == "no"


def test_long_running_services_are_started_again_when_they_exit(services):
    # Issue 13 point 5: a worker (or beat, or web) that exits, say after losing Redis, comes back by
    # itself; only a stop by hand keeps it down. The one-shot migrate is never restarted.
    for name in LONG_RUNNING:
        assert services[name].get("restart") in ("always", "unless-stopped"), f"{name} is not restarted"
    assert services["migrate"]["restart"] == "no"


def test_postgres_keeps_its_data_in_a_named_volume(compose, services):
    assert services["postgres"]["image"].startswith("postgres:")
    named = [
        v.split(":")[0] for v in services["postgres"]["volumes"] if v.endswith(":/var/lib/postgresql/data")
    ]
    assert named and named[0] in compose["volumes"], "postgres needs a named volume for its data"
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?"), "no default database password"


def test_exactly_one_beat(services):
    beats = [name for name, service in services.items() if "beat" in command_of(service)[2:4]]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    worker = command_of(services["worker"])
    assert "-B" not in worker and "--beat" not in worker, "the worker must not embed a second beat"


# --- docker-compose.yml: commands name real code -----------------------------------------------


def unknown_options(args: list[str], known: set[str]) -> list[str]:
    options = [arg.split("=")[0] for arg in args if arg.startswith("-") and arg != "-"]
    return [option for option in options if option not in known]


def assert_celery_command(args: list[str], subcommand: str) -> None:
    """`celery -A walkandtalk <subcommand> --options` with an app that exists and options celery knows."""
    from celery.app.utils import find_app
    from celery.bin.celery import celery

    import walkandtalk

    assert args[:4] == ["celery", "-A", "walkandtalk", subcommand], args
    assert find_app(args[2]) is walkandtalk.celery_app
    known = {opt for param in celery.commands[subcommand].params for opt in param.opts}
    unknown = unknown_options(args[4:], known)
    assert not unknown, f"celery {subcommand} has no option(s) {unknown}"


def assert_gunicorn_command(args: list[str]) -> None:
    """`gunicorn module[:callable] --options`: the WSGI callable exists and every option is gunicorn's."""
    from gunicorn.config import KNOWN_SETTINGS

    assert args[0] == "gunicorn"
    module_name, _, attribute = args[1].partition(":")
    assert importlib.util.find_spec(module_name) is not None, f"no module {module_name}"
    assert callable(getattr(importlib.import_module(module_name), attribute or "application"))
    known = {opt for setting in KNOWN_SETTINGS for opt in setting.cli or ()}
    unknown = unknown_options(args[2:], known)
    assert not unknown, f"gunicorn has no option(s) {unknown}"


def test_web_runs_gunicorn_on_the_wsgi_module(services):
    args = command_of(services["web"])
    assert_gunicorn_command(args)
    assert args[1] == "walkandtalk.wsgi"
    assert "0.0.0.0:8000" in args


def test_worker_and_beat_run_the_project_celery_app(services):
    worker = command_of(services["worker"])
    assert_celery_command(worker, "worker")
    assert "--concurrency" in worker
    beat = command_of(services["beat"])
    assert_celery_command(beat, "beat")
    schedule = beat[beat.index("--schedule") + 1]
    # the image's code is root-owned; /tmp is always writable (S108: no secret is kept there)
    assert schedule.startswith("/tmp/"), "beat needs a writable place for its schedule"  # noqa: S108


def test_migrate_runs_a_real_management_command(services):
    from django.core.management import get_commands

    args = command_of(services["migrate"])
    assert (BASE_DIR / args[1]).is_file()
    assert args[2] in get_commands()


def test_celery_health_checks_ping_their_own_node(services):
    worker_check = services["worker"]["healthcheck"]["test"]
    beat_check = services["beat"]["healthcheck"]["test"]
    assert worker_check[0] == beat_check[0] == "CMD-SHELL"
    worker_args = shlex.split(worker_check[1])
    beat_args = shlex.split(beat_check[1])
    assert_celery_command(worker_args, "inspect")
    assert_celery_command(beat_args, "inspect")
    # `$$` is compose's escape for a literal `$`: the shell in the container expands $HOSTNAME.
    assert worker_args[4] == "ping" and "celery@$$HOSTNAME" in worker_args
    assert beat_args[4] == "ping" and "celerybeat@$$HOSTNAME" in beat_args
    # beat only answers a ping with remote control on (Celery 5.7+)
    assert "--enable-remote-control" in command_of(services["beat"])


def test_backing_service_health_checks(services):
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def web_health_check_code(services) -> str:
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], "the slim image has no curl: check with python"
    assert "$" not in test[3], "compose would interpolate it"
    return test[3]


def test_web_health_check_asks_healthz(services):
    code = web_health_check_code(services)
    compile(code, "healthcheck", "exec")
    assert "http://127.0.0.1:8000/healthz" in code


# --- Dockerfile and .dockerignore --------------------------------------------------------------


def test_dockerfile_builds_the_image_compose_runs(services):
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE)
    assert len(stages) >= 2, "multi-stage: front-end packages, then the app"
    assert stages[-1][0] == "python:3.11-slim"
    assert stages[0][0].startswith("node:")
    assert "npm ci" in text
    assert "pip install -r requirements.txt" in text
    assert "collectstatic --noinput" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "run as a non-root user"
    assert re.search(r"^EXPOSE\s+8000\b", text, re.MULTILINE)
    cmd = dockerfile_cmd()
    assert_gunicorn_command(cmd)
    assert cmd == command_of(services["web"]), "web's command and the image's CMD have drifted apart"


def test_dockerignore_keeps_local_state_and_secrets_out():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".data", "node_modules", "staticfiles", ".env"} <= ignored


# --- .env.example ------------------------------------------------------------------------------


def variables_read_by_settings() -> set[str]:
    """Names passed to env(...), env.<type>(...), _required(...) or os.environ in settings.py."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            reads = (isinstance(func, ast.Name) and func.id in ("env", "_required")) or (
                isinstance(func, ast.Attribute)
                and (
                    (isinstance(func.value, ast.Name) and func.value.id == "env")
                    or (func.attr in ("get", "getenv") and "environ" in ast.unparse(func.value))
                    or ast.unparse(func) == "os.getenv"
                )
            )
            first = node.args[0]
            if reads and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_env_example_lists_every_variable_settings_reads():
    read = variables_read_by_settings()
    # the parser must be finding the calls, or this test would pass by finding nothing
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL"} <= read
    missing = read - set(env_example())
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_matches_the_compose_services():
    values = env_example()
    database = urllib.parse.urlsplit(values["DATABASE_URL"])
    assert database.hostname == "postgres"
    assert database.username == values["POSTGRES_USER"]
    assert database.password == values["POSTGRES_PASSWORD"]
    assert database.path == "/" + values["POSTGRES_DB"]
    assert urllib.parse.urlsplit(values["REDIS_URL"]).hostname == "redis"
    assert values["DEBUG"] == "false"
    assert not any("$" in value for value in values.values()), "compose would interpolate `$`"


# --- Production settings -----------------------------------------------------------------------


_PUSH_KEYS = generate_key_pair()


def production_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment (nothing inherited from the test run's settings) for production mode."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(Path.home()),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "walkandtalk.settings",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "walkandtalk.example.org",
        "SITE_URL": "https://walkandtalk.example.org",
        "EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        "VAPID_PUBLIC_KEY": _PUSH_KEYS[1],
        "VAPID_PRIVATE_KEY": _PUSH_KEYS[0],
        "VAPID_SUBJECT": "mailto:walkandtalk@walkandtalk.example.org",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings():
    result = run_manage(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_passes_with_the_example_env_file():
    env = {**production_env(), **env_example(), "SECRET_KEY": secrets.token_urlsafe(50)}
    result = run_manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("secret_key", "message"),
    [
        (None, "Set the SECRET_KEY environment variable"),
        ("", "Set the SECRET_KEY environment variable"),
        ("too-short-to-be-secret", "SECRET_KEY must be a long random value"),
        ("django-insecure-" + "k" * 50, "SECRET_KEY must be a long random value"),
        (env_example()["SECRET_KEY"], "SECRET_KEY must be a long random value"),
    ],
    ids=["unset", "empty", "short", "django-insecure", "the-example-placeholder"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key, message):
    result = run_manage(production_env(SECRET_KEY=secret_key), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("name", ["SITE_URL", "EMAIL_URL", "DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_start_without_its_other_values(name):
    result = run_manage(production_env(**{name: None}), "check")
    assert result.returncode != 0
    assert f"ImproperlyConfigured: Set the {name} environment variable" in result.stderr


@pytest.mark.parametrize("name", ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"])
def test_production_refuses_to_start_with_push_on_and_no_vapid_values(name):
    result = run_manage(production_env(**{name: None}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "VAPID" in result.stderr
    # With push turned off, the VAPID values are not needed.
    result = run_manage(production_env(PUSH_ENABLED="false", **{name: None}), "check")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("debug", "expected"), [(None, "False"), ("false", "False"), ("true", "True")])
def test_debug_is_off_unless_the_environment_turns_it_on(debug, expected):
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=production_env(DEBUG=debug),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_web_health_check_passes_against_the_image_command(services, tmp_path):
    """Gunicorn started as the Dockerfile's CMD, in production mode, satisfies web's health check."""
    port = free_port()
    cmd = dockerfile_cmd()
    cmd[cmd.index("--bind") + 1] = f"127.0.0.1:{port}"
    cmd[cmd.index("--worker-tmp-dir") + 1] = str(tmp_path)
    # /healthz runs SELECT 1; the server's maintenance database always exists (the app's may not yet)
    database_url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres").geturl()
    env = production_env(DATABASE_URL=database_url, HOME=str(tmp_path), WEB_CONCURRENCY="1")
    if not os.environ.get("REDIS_URL"):
        # `make test` without a Redis server: the settings' filesystem broker, as `make run` uses
        env.pop("REDIS_URL")
        env["ALLOW_NO_REDIS"] = "true"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    check = web_health_check_code(services).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen([gunicorn, *cmd[1:]], cwd=BASE_DIR, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while True:
            result = subprocess.run(
                [sys.executable, "-c", check],
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
            if result.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.3)
        assert result.returncode == 0, result.stderr + log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
