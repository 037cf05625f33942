"""Demo rows for walks: availability for every officer, past walks, and upcoming bookings; partners
(invented contacts at example.org), their routing rules, and concerns referred to them in each state.

Called by `manage.py seed_demo`; running it again adds nothing (each step skips what exists)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from participants.models import Borough, Officer, Resident
from participants.pairing import active_pairing

from . import booking, concerns, referrals
from .models import LONDON, AvailabilityWindow, Concern, ConcernCategory, Partner, Referral, RoutingRule, Walk
from .slots import bookable_slots

# Two weekday evenings (varying by officer) and a Saturday daytime window.
EVENINGS = [(0, 3), (1, 4), (2, 0), (3, 1), (4, 2)]
MEETING_POINTS = [
    "Outside Peckham Rye station, main entrance",
    "Brixton tube station, Brixton Road exit",
    "Camberwell Green, by the bus stops",
    "Elephant & Castle shopping centre, north entrance",
    "Clapham Common tube station",
]
ROUTES = [
    "Along the high street, through the park and home past the estate",
    "From the station up the hill, the alley behind the shops, then the long road home",
    "Bus stop to the corner shop, then the footpath by the railway",
]


def seed_availability(officers: list[Officer]) -> None:
    for index, officer in enumerate(officers):
        if officer.availability_windows.exists():
            continue
        first, second = EVENINGS[index % len(EVENINGS)]
        for weekday in (first, second):
            AvailabilityWindow.objects.create(
                officer=officer, weekday=weekday, start_time=time(17), end_time=time(21)
            )
        AvailabilityWindow.objects.create(officer=officer, weekday=5, start_time=time(10), end_time=time(14))


def seed_walks(residents: list[Resident], now: datetime | None = None) -> int:
    """Give the first residents a past walk and an upcoming booking. Returns how many walks were made."""
    now = now or timezone.now()
    made = 0
    for index, resident in enumerate(residents[:24]):
        pairing = active_pairing(resident)
        if pairing is None or resident.walks.exists():
            continue
        officer = pairing.officer
        # A past walk, weeks ago at 19:00 London time; past walks skip the booking rules (they happened).
        day = (now - timedelta(days=7 + 2 * index)).astimezone(LONDON).date()
        start = datetime.combine(day, time(19), tzinfo=LONDON)
        if not Walk.objects.active().filter(officer=officer, starts_at__lt=start + timedelta(hours=1),
                                            ends_at__gt=start).exists():  # fmt: skip
            Walk.objects.create(
                resident=resident,
                officer=officer,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=[Walk.Status.COMPLETED, Walk.Status.COMPLETED, Walk.Status.NO_SHOW][index % 3],
                meeting_point=MEETING_POINTS[index % len(MEETING_POINTS)],
                route=ROUTES[index % len(ROUTES)],
                booked_by=resident.user,
            )
            made += 1
        # An upcoming walk through the real booking rules, preferring a time after dark.
        slots = bookable_slots(officer=officer, now=now)
        dark = [slot for slot in slots if slot.is_after_dark] or slots
        if dark:
            slot = dark[index % len(dark)]
            try:
                booking.book_walk(
                    resident=resident,
                    starts_at=slot.starts_at,
                    meeting_point=MEETING_POINTS[index % len(MEETING_POINTS)],
                    route=ROUTES[index % len(ROUTES)],
                    now=now,
                )
                made += 1
            except booking.BookingError:
                pass  # another demo resident took it: fine
    return made


# The partners (real organisations' names, invented contacts) and one invented housing association.
PARTNERS = [
    (
        "Southwark Council",
        Partner.Kind.COUNCIL,
        ["Southwark"],
        ["community.safety@southwark-council.example.org", "highways@southwark-council.example.org"],
    ),
    (
        "Lambeth Council",
        Partner.Kind.COUNCIL,
        ["Lambeth"],
        ["community.safety@lambeth-council.example.org", "street.lighting@lambeth-council.example.org"],
    ),
    ("Transport for London", Partner.Kind.TRANSPORT, [], ["street.safety@tfl.example.org"]),
    (
        "Thameside Homes",
        Partner.Kind.HOUSING,
        ["Southwark", "Lambeth"],
        ["estates@thamesidehomes.example.org"],
    ),
]
# (category or None for any, borough or None for anywhere, partner, team)
RULES = [
    ("Badly lit", "Lambeth", "Lambeth Council", "street lighting"),
    ("Unsafe transport stop", None, "Transport for London", "bus stops and stations"),
    ("Empty buildings or isolated place", "Southwark", "Thameside Homes", "estate services"),
    (None, "Southwark", "Southwark Council", "community safety"),
    (None, "Lambeth", "Lambeth Council", "community safety"),
]
# One concern per past walk, in turn; each referral then meets one of these fates.
DEMO_CONCERNS = [
    ("Badly lit", "Footpath behind the leisure centre", "The lamps along the path have been out for weeks."),
    (
        "Unsafe transport stop",
        "Night bus stop on the high road",
        "The shelter is dark and hidden from the road.",
    ),
    ("Empty buildings or isolated place", "Walkway between the estate blocks", "Nobody is around after 7pm."),
    (
        "Rundown (derelict buildings, graffiti, fly-tipping)",
        "Alley beside the station",
        "Fly-tipping blocks it.",
    ),
    (
        "Restricted visibility (overgrown bushes, walls)",
        "Park entrance by the tennis courts",
        "Bushes hide the gate.",
    ),
    ("No or broken CCTV", "Car park behind the shops", "The camera is hanging off the wall."),
    ("Badly lit", "Railway footbridge", "Only one light works, at one end."),
    ("Poor street layout (blind spots, hidden areas)", "Cut-through by the garages", "Blind corner halfway."),
]
FATES = ["fixed", "target_date", "overdue", "unanswered", "not_ours", "partly_fixed", "acknowledged", "fixed"]
# Walks are in Southwark and Lambeth: pins near the middle of each.
PINS = {
    "Southwark": (Decimal("51.470000"), Decimal("-0.075000")),
    "Lambeth": (Decimal("51.460000"), Decimal("-0.120000")),
}


def seed_partners() -> list[Partner]:
    """The demo partners and routing rules; existing ones (by name; by category × borough) are kept."""
    boroughs = {b.name: b for b in Borough.objects.all()}
    partners = {}
    for name, kind, covered, emails in PARTNERS:
        partner, created = Partner.objects.get_or_create(
            name=name, defaults={"kind": kind, "contact_emails": emails}
        )
        if created:
            partner.boroughs.set(boroughs[b] for b in covered if b in boroughs)
        partners[name] = partner
    categories = {c.name: c for c in ConcernCategory.objects.all()}
    for category, borough, partner, team in RULES:
        if borough is not None and borough not in boroughs:
            continue
        RoutingRule.objects.get_or_create(
            category=categories.get(category) if category else None,
            borough=boroughs[borough] if borough else None,
            defaults={"partner": partners[partner], "team": team},
        )
    return list(partners.values())


def seed_referrals(now: datetime | None = None) -> int:
    """Concerns on the demo's past walks, referred as the routing rules suggest, and answered so that
    the dashboard has one of each: fixed, a target date, overdue, unanswered, not theirs, partly fixed.
    Made through the referral service, at the times they would have happened. Returns how many."""
    now = now or timezone.now()
    if Referral.objects.exists():
        return 0
    walks = list(
        Walk.objects.filter(status=Walk.Status.COMPLETED, concerns__isnull=True)
        .select_related("officer__user", "resident__ward__borough")
        .order_by("starts_at")[: len(DEMO_CONCERNS)]
    )
    categories = {c.name: c for c in ConcernCategory.objects.all()}
    made = 0
    for index, walk in enumerate(walks):
        category, place, said = DEMO_CONCERNS[index]
        lat, lng = PINS.get(walk.resident.ward.borough.name, PINS["Southwark"])
        logged = walk.ends_at + timedelta(minutes=30)
        concern, _ = concerns.log_concern(
            walk=walk,
            by=walk.officer.user,
            category=categories[category],
            severity=[Concern.Severity.HIGH, Concern.Severity.MEDIUM][index % 2],
            when_it_matters=Concern.When.AFTER_DARK,
            latitude=lat + Decimal(index) / 1000,
            longitude=lng - Decimal(index) / 1000,
            location_text=place,
            resident_said=said,
            action="Refer to the partner responsible and check again on the next walk.",
            now=logged,
        )
        rule = referrals.suggest(concern)
        if rule is None:
            continue
        referred = logged + timedelta(hours=1)
        referral = referrals.refer(
            concern=concern, partner=rule.partner, by=walk.officer.user, team=rule.team, now=referred
        )
        made += 1
        _answer(referral, FATES[index % len(FATES)], referred, now)
    return made


def _answer(referral: Referral, fate: str, referred: datetime, now: datetime) -> None:
    """What the partner did, at a time between the referral and now."""
    age = now - referred
    soon = referred + min(age / 3, timedelta(days=2))
    later = referred + age * 2 / 3
    answer = referrals.answer
    if fate == "fixed":
        answer(referral=referral, kind=referrals.Answer.ACKNOWLEDGE, now=soon)
        answer(referral=referral, kind=referrals.Answer.FIXED, note="New lamps fitted.", now=later)
    elif fate == "target_date":
        target = timezone.localdate(now, LONDON) + timedelta(days=14)
        answer(referral=referral, kind=referrals.Answer.TARGET_DATE, target_date=target, now=soon)
    elif fate == "overdue":
        # A date that was ahead when they gave it and has passed since.
        target = max(_day(soon), _day(now) - timedelta(days=1))
        if target < _day(now):
            answer(referral=referral, kind=referrals.Answer.TARGET_DATE, target_date=target, now=soon)
    elif fate == "not_ours":
        answer(
            referral=referral, kind=referrals.Answer.NOT_OURS, suggested="The housing association", now=soon
        )
    elif fate == "partly_fixed":
        answer(
            referral=referral, kind=referrals.Answer.PARTLY_FIXED, note="Half the lamps replaced.", now=later
        )
    elif fate == "acknowledged":
        answer(referral=referral, kind=referrals.Answer.ACKNOWLEDGE, now=soon)
    # "unanswered": left as sent; past five working days it shows on the dashboard and is chased.


def _day(moment: datetime) -> date:
    return timezone.localdate(moment, LONDON)
