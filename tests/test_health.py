"""GET /healthz: 200 when the database and the broker answer, 503 naming the one that does not."""

import pytest
from django.db import connection
from django.urls import reverse

from walkandtalk.celery import app as celery_app


@pytest.mark.django_db
def test_healthy_when_database_and_broker_answer(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_names_the_broker_when_it_is_unreachable(client):
    original = celery_app.conf.broker_write_url
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get(reverse("healthz"))
    finally:
        celery_app.conf.broker_write_url = original
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["database"] == "ok"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_names_the_database_when_it_is_unreachable(client):
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        response = client.get(reverse("healthz"))
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["broker"] == "ok"
    assert "password" not in response.content.decode().lower()


def test_health_is_get_only(client):
    assert client.post(reverse("healthz")).status_code == 405
