"""Shared fixtures: one user per role (residents A and B, officers A and B, a sergeant)."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import OfficerFactory, PairingFactory, ResidentFactory, sergeant_user


@pytest.fixture(autouse=True)
def own_cache_namespace(settings):
    """A fresh cache namespace per test: allauth keeps rate limits (and used TOTP codes) in the cache,
    and every test signs in from the same address. The live server's threads build their caches from
    these settings too. (Clearing the cache instead would flush Redis under the broker.)"""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', 'test')}-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture
def officer_a(db):
    return OfficerFactory(display_name="PC Alice Adeyemi", collar_number="1111AS")


@pytest.fixture
def officer_b(db):
    return OfficerFactory(display_name="PC Beth Brown", collar_number="2222AS")


@pytest.fixture
def resident_a(officer_a):
    resident = ResidentFactory(preferred_name="Amira")
    PairingFactory(resident=resident, officer=officer_a)
    return resident


@pytest.fixture
def resident_b(officer_b):
    resident = ResidentFactory(preferred_name="Bola")
    PairingFactory(resident=resident, officer=officer_b)
    return resident


@pytest.fixture
def sergeant(db):
    return sergeant_user(email="sergeant@example.org")
