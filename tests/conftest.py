"""Shared fixtures: one user per role (residents A and B, officers A and B, a sergeant)."""

from __future__ import annotations

import pytest

from tests.factories import OfficerFactory, PairingFactory, ResidentFactory, sergeant_user


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
