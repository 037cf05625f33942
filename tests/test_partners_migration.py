"""Issue 15, point 1: the data migration (patrols 0010) turns the old fixed "referred to" choices into
Partner rows — the council as each borough's own council — with a Referral each, and back again.

The database goes back to 0009 (Concern.partner a short text of council/tfl/housing/business/police),
concerns are written as the code of then wrote them (through the historical models), the migrations
run forward and each concern is checked for its partner and referral; then back to 0009, where each
concern has its old choice again. The people and walks are made with the factories first (0010
changes no table of theirs). The database is migrated to the latest state at the end, whatever
happens (other tests share it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import OfficerFactory, PairingFactory, ResidentFactory, WalkFactory, ward

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("patrols", "0009_free_text_limits")]
AFTER = [("patrols", "0010_partners")]
LONDON_TZ = ZoneInfo("Europe/London")
CREATED = datetime(2026, 10, 1, 19, 0, tzinfo=LONDON_TZ)
REFERRED = datetime(2026, 10, 3, 9, 30, tzinfo=LONDON_TZ)
RESOLVED = datetime(2026, 10, 20, 15, 0, tzinfo=LONDON_TZ)


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def apps_at(targets):
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(targets).apps


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def walk_in(ward_name: str, hours: int):
    officer = OfficerFactory(wards=[ward(ward_name)])
    resident = ResidentFactory(ward=ward(ward_name))
    PairingFactory(resident=resident, officer=officer)
    starts = CREATED - timedelta(hours=hours)
    return WalkFactory(
        resident=resident,
        officer=officer,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        status="completed",
    )


# (place, ward, old choice, status)
OLD = [
    ("Peckham alley", "Peckham", "council", "referred"),
    ("Rye Lane car park", "Rye Lane", "council", "resolved"),
    ("Oval underpass", "Oval", "council", "referred"),
    ("Brixton bus stop", "Brixton North", "tfl", "referred"),
    ("Estate walkway", "Peckham", "housing", "closed"),
    ("Shop shutters", "Oval", "business", "open"),
    ("Park gate", "Peckham", "police", "referred"),
    ("Unreferred corner", "Peckham", "", "open"),
]


def test_old_choices_become_partners_with_a_referral_each_and_back():
    walks = {name: walk_in(name, hours=3 * n) for n, name in enumerate(sorted({w for _, w, _, _ in OLD}))}
    try:
        migrate(BEFORE)
        old = apps_at(BEFORE)
        Concern, ConcernUpdate = (
            old.get_model("patrols", "Concern"),
            old.get_model("patrols", "ConcernUpdate"),
        )
        category = old.get_model("patrols", "ConcernCategory").objects.get(name="Badly lit")
        for place, ward_name, partner, status in OLD:
            walk = walks[ward_name]
            concern = Concern.objects.create(
                walk_id=walk.pk, officer_id=walk.officer_id, ward_id=walk.resident.ward_id, category=category,
                location_text=place, partner=partner, status=status, created_at=CREATED,
                resolved_at=RESOLVED if status == "resolved" else None,
            )  # fmt: skip
            if partner:
                ConcernUpdate.objects.create(
                    concern=concern, at=REFERRED, note="Reported by email", old_status="open",
                    new_status="referred",
                )  # fmt: skip

        migrate(AFTER)
        new = apps_at(AFTER)
        Partner, Referral = new.get_model("patrols", "Partner"), new.get_model("patrols", "Referral")
        partners = {
            p.name: (p.kind, sorted(b.name for b in p.boroughs.all()), p.contact_emails)
            for p in Partner.objects.all()
        }
        assert partners == {
            "Southwark Council": ("council", ["Southwark"], []),
            "Lambeth Council": ("council", ["Lambeth"], []),
            "Transport for London": ("transport", [], []),
            "Housing provider": ("housing", [], []),
            "A business": ("business", [], []),
            "Police (neighbourhood team)": ("other", [], []),
        }
        concerns = {
            c.location_text: c for c in new.get_model("patrols", "Concern").objects.select_related("partner")
        }
        assert {place: c.partner.name if c.partner else None for place, c in concerns.items()} == {
            "Peckham alley": "Southwark Council",
            "Rye Lane car park": "Southwark Council",
            "Oval underpass": "Lambeth Council",
            "Brixton bus stop": "Transport for London",
            "Estate walkway": "Housing provider",
            "Shop shutters": "A business",
            "Park gate": "Police (neighbourhood team)",
            "Unreferred corner": None,
        }
        referrals = {
            r.concern.location_text: r for r in Referral.objects.select_related("concern", "partner")
        }
        assert sorted(referrals) == sorted(place for place, _, partner, _ in OLD if partner)
        for place, referral in referrals.items():
            assert referral.partner_id == concerns[place].partner_id
            assert referral.referred_at == REFERRED  # from the "referred" update
            assert referral.chased_at is not None  # sent by hand before: never chased by the new code
        fixed = referrals["Rye Lane car park"]
        assert (fixed.state, fixed.fixed_at, fixed.ended_at) == ("fixed", RESOLVED, None)
        closed = referrals["Estate walkway"]
        assert closed.ended_at is not None  # a closed concern is with nobody now
        assert all(r.ended_at is None for p, r in referrals.items() if p != "Estate walkway")
        codes = list(new.get_model("patrols", "ConcernCategory").objects.values_list("code", flat=True))
        assert len(codes) == len(set(codes)) and "badly-lit" in codes

        migrate(BEFORE)
        back = apps_at(BEFORE).get_model("patrols", "Concern")
        assert {c.location_text: c.partner for c in back.objects.all()} == {
            place: partner for place, _, partner, _ in OLD
        }
        assert {c.location_text: c.status for c in back.objects.all()} == {
            place: status for place, _, _, status in OLD
        }
    finally:
        migrate(latest())
