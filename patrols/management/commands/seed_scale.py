"""Scale data for the benchmarks (issue 10): ``manage.py seed_scale --scale london|pilot|tiny [--fresh]``.

London: 32 boroughs (Southwark and Lambeth with their real wards, 30 more with invented ward names),
800 officers with weekly availability, 60,000 residents, 500,000 walks over three years, 1,500,000
concerns, 400,000 safety ratings and their outbox rows. Pilot: the two boroughs at pilot size. Tiny: a
few dozen rows, for the test suite.

Rows go in with PostgreSQL COPY in one transaction, then the tables are analysed. Everyone is invented;
every account shares one password hash of a random password nobody knows. Staff (the officers and the
sergeant) are in their groups and have a TOTP authenticator, as the MFA rule requires.

Re-runnable: a marker row (table ``seed_scale_marker``) records the scale seeded; the same scale again is
reused, another scale or ``--fresh`` wipes the seeded people (and everything hanging off them) and the
invented boroughs first. It refuses a database whose name does not contain "bench" or "test" (the
developer's own data) unless given ``--force``.
"""

from __future__ import annotations

import importlib
import io
import json
import random
import secrets
import sys
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from allauth.mfa.totp.internal.auth import generate_totp_secret
from allauth.mfa.utils import encrypt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from participants.models import Borough, User, Ward
from participants.roles import OFFICERS, RESIDENTS, SERGEANTS
from patrols import counters
from patrols.models import LONDON, ConcernCategory, Partner
from walkandtalk.outbox.kinds import get as get_kind

MARKER = "seed_scale_marker"
DOMAIN = "bench.walkandtalk.example"
CHUNK = 50_000


@dataclass(frozen=True)
class Scale:
    boroughs: int
    wards_per_borough: int  # for invented boroughs
    officers: int
    residents: int
    walks: int
    concerns: int
    ratings: int
    years: int = 3
    future_per_officer: int = 8  # booked walks in the next four weeks


SCALES = {
    "london": Scale(32, 20, 800, 60_000, 500_000, 1_500_000, 400_000),
    "pilot": Scale(2, 20, 25, 2_000, 15_000, 45_000, 12_000),
    "tiny": Scale(3, 4, 6, 60, 400, 600, 200, years=1, future_per_officer=3),
}

# Centres (lat, lng) of London's other boroughs, roughly; each gets a box around it. The two pilot
# boroughs are first. Every box lies inside Greater London's (lat 51.28–51.70, lng -0.52–0.34).
BOROUGHS = {
    "Southwark": (51.470, -0.075),
    "Lambeth": (51.460, -0.120),
    "Barking and Dagenham": (51.545, 0.130),
    "Barnet": (51.625, -0.200),
    "Bexley": (51.455, 0.140),
    "Brent": (51.560, -0.270),
    "Bromley": (51.370, 0.050),
    "Camden": (51.545, -0.160),
    "Croydon": (51.370, -0.090),
    "Ealing": (51.520, -0.310),
    "Enfield": (51.650, -0.080),
    "Greenwich": (51.470, 0.060),
    "Hackney": (51.550, -0.060),
    "Hammersmith and Fulham": (51.490, -0.220),
    "Haringey": (51.590, -0.100),
    "Harrow": (51.590, -0.340),
    "Havering": (51.560, 0.220),
    "Hillingdon": (51.530, -0.450),
    "Hounslow": (51.460, -0.370),
    "Islington": (51.545, -0.105),
    "Kensington and Chelsea": (51.500, -0.190),
    "Kingston upon Thames": (51.390, -0.290),
    "Lewisham": (51.440, -0.020),
    "Merton": (51.410, -0.190),
    "Newham": (51.525, 0.030),
    "Redbridge": (51.580, 0.070),
    "Richmond upon Thames": (51.440, -0.310),
    "Sutton": (51.360, -0.190),
    "Tower Hamlets": (51.515, -0.035),
    "Waltham Forest": (51.590, -0.010),
    "Wandsworth": (51.450, -0.190),
    "Westminster": (51.510, -0.150),
}
HALF_LAT, HALF_LNG = 0.025, 0.035
SOUTH, NORTH, WEST, EAST = 51.28, 51.70, -0.52, 0.34

WARD_STEMS = [
    "Ash", "Bramble", "Cedar", "Dunmore", "Elm", "Fairfield", "Gorse", "Hawthorn", "Ivy", "Juniper",
    "Kestrel", "Larch", "Marlow", "Nettle", "Oakley", "Poplar", "Quarry", "Rowan", "Sorrel", "Thistle",
    "Upton", "Vale", "Willow", "Yarrow", "Alder", "Beacon", "Chalk", "Dove", "Ember", "Fern",
]  # fmt: skip
WARD_KINDS = ["Green", "Park", "Hill", "Common", "Fields", "Village", "Rise", "Gate", "Vale", "Cross"]
STREET_KINDS = ["Road", "Street", "Lane", "Grove", "Walk", "Place", "Terrace", "Way"]
PLACE_TEMPLATES = [
    "Underpass by {} station", "Alley behind {} Road", "Bus stop on {} Street", "Footpath through {} Park",
    "Car park off {} Lane", "Estate walkway, {} Court", "Cut-through by {} shops", "Towpath near {} Bridge",
]  # fmt: skip
FIRST_NAMES = [
    "Ada", "Bea", "Cara", "Dee", "Edie", "Fern", "Gina", "Hana", "Iris", "Jade", "Kemi", "Lola", "Mina",
    "Nell", "Oona", "Pia", "Rae", "Sina", "Tess", "Uma", "Vera", "Wren", "Yara", "Zara", "Abby", "Cleo",
]  # fmt: skip
SURNAMES = ["Okafor", "Patel", "Nowak", "Byrne", "Mensah", "Reid", "Haddad", "Clarke", "Demir", "Osei"]
LANGUAGES = ["en"] * 12 + ["es", "yo", "so", "bn", "pl", "pt", "tr", "ar", "fr", "tw"]
SAID = [
    "It's very dark here after six.", "Men hang around by the shutters.", "I always cross over here.",
    "Someone followed me here last winter.", "The lights have been out for months.", "",
]  # fmt: skip
ACTIONS = [
    "Report the lights to the council.", "Ask TfL about the bus shelter.", "Patrol here on Fridays.",
    "Raise at the ward panel.", "", "",
]  # fmt: skip
# Who a concern is referred to: its borough's council, or one of these (Partner rows, by name and kind).
PARTNERS = ["council", "tfl", "housing", "business", "police"]
OTHER_PARTNERS = {
    "tfl": ("Transport for London", "transport"),
    "housing": ("Bench Housing Association", "housing"),
    "business": ("Bench Business Improvement District", "business"),
    "police": ("Bench Neighbourhood Policing Team", "other"),
}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def cell(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Copier:
    """COPY rows (tab-separated text, no tabs or newlines inside values) into a table, with progress."""

    def __init__(self, cursor):
        self.cursor = cursor

    def __call__(self, table: str, columns: str, lines, total: int, label: str | None = None) -> int:
        started = clock.monotonic()
        label = label or table
        buffer, done, next_report = [], 0, 0

        def flush():
            if buffer:
                self.cursor.copy_expert(
                    f"COPY {table} ({columns}) FROM STDIN", io.StringIO("\n".join(buffer) + "\n")
                )
                buffer.clear()

        for line in lines:
            buffer.append(line)
            done += 1
            if len(buffer) >= CHUNK:
                flush()
            if total >= CHUNK and done >= next_report:
                bar = "#" * int(20 * done / max(total, 1))
                progress(
                    f"  {label:<14} [{bar:<20}] {done:>10,}/{total:,} {clock.monotonic() - started:6.1f}s"
                )
                next_report += max(total // 10, CHUNK)
        flush()
        progress(f"  {label:<14} {done:>10,} rows in {clock.monotonic() - started:.1f}s")
        return done


def rows(*tuples) -> list[str]:
    return ["\t".join(cell(v) for v in row) for row in tuples]


class Seeder:
    def __init__(self, scale: Scale, seed: int):
        self.scale = scale
        self.rng = random.Random(seed)  # noqa: S311 — invented data, not secrets
        self.now = timezone.now().replace(second=0, microsecond=0)
        self.cursor = connection.cursor()
        self.copy = Copier(self.cursor)
        self.counts: dict[str, int] = {}
        self.offsets: dict[date, timedelta] = {}

    # --- helpers ---------------------------------------------------------------------------------

    def next_id(self, table: str) -> int:
        self.cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 — our table names
        return self.cursor.fetchone()[0]

    def utc(self, day: date, at: time) -> datetime:
        """London wall-clock time on that day, as UTC (walks are never near the 01:00 clock change)."""
        offset = self.offsets.get(day)
        if offset is None:
            offset = self.offsets[day] = LONDON.utcoffset(datetime.combine(day, time(12)))
        return (datetime.combine(day, at) - offset).replace(tzinfo=UTC)

    def point(self, borough: int) -> tuple[str, str]:
        lat, lng = self.boxes[borough]
        return (
            f"{self.rng.uniform(*lat):.6f}",
            f"{self.rng.uniform(*lng):.6f}",
        )

    # --- areas -----------------------------------------------------------------------------------

    def areas(self) -> None:
        names = list(BOROUGHS)[: self.scale.boroughs]
        self.boroughs: list[Borough] = []
        for index, name in enumerate(names):
            borough, created = Borough.objects.get_or_create(name=name, defaults={"slug": slugify(name)})
            if created or not borough.wards.exists():
                stems = self.rng.sample(WARD_STEMS, len(WARD_STEMS))
                kinds = WARD_KINDS[index % len(WARD_KINDS) :] + WARD_KINDS[: index % len(WARD_KINDS)]
                Ward.objects.bulk_create(
                    Ward(borough=borough, name=f"{stems[i]} {kinds[i % len(kinds)]}")
                    for i in range(self.scale.wards_per_borough)
                )
            self.boroughs.append(borough)
        self.boxes = []
        for borough in self.boroughs:
            lat, lng = BOROUGHS[borough.name]
            self.boxes.append(
                (
                    (max(SOUTH, lat - HALF_LAT), min(NORTH, lat + HALF_LAT)),
                    (max(WEST, lng - HALF_LNG), min(EAST, lng + HALF_LNG)),
                )
            )
        self.wards = []  # (ward id, borough index, name)
        for index, borough in enumerate(self.boroughs):
            self.wards += [(w.pk, index, w.name) for w in borough.wards.order_by("name")]
        self.ward_borough = {ward_id: index for ward_id, index, _ in self.wards}
        self.places = {
            ward_id: [
                self.rng.choice(PLACE_TEMPLATES).format(f"{self.rng.choice(WARD_STEMS)}{k % 3 * 'e'}")
                for k in range(10)
            ]
            for ward_id, _, _ in self.wards
        }
        progress(f"  areas          {len(self.boroughs)} boroughs, {len(self.wards)} wards")

    # --- people ----------------------------------------------------------------------------------

    def people(self) -> None:
        s, rng, now = self.scale, self.rng, self.now
        start = now - timedelta(days=365 * s.years)
        password = make_password(secrets.token_urlsafe(24))  # hashed once; nobody knows it
        groups = {g.name: g.pk for g in Group.objects.filter(name__in=[RESIDENTS, OFFICERS, SERGEANTS])}
        first_user = self.next_id("participants_user")
        self.sergeant_user = first_user
        self.officer_users = list(range(first_user + 1, first_user + 1 + s.officers))
        self.resident_users = list(
            range(first_user + 1 + s.officers, first_user + 1 + s.officers + s.residents)
        )

        def user_lines():
            yield "\t".join(
                [
                    str(first_user),
                    password,
                    r"\N",
                    "f",
                    "Sam",
                    "Sergeant",
                    "t",
                    "t",
                    iso(start),
                    f"sergeant@{DOMAIN}",
                ]
            )
            for n, uid in enumerate(self.officer_users):
                yield (
                    f"{uid}\t{password}\t\\N\tf\t{FIRST_NAMES[n % 26]}\t{SURNAMES[n % 10]}\tf\tt"
                    f"\t{iso(start)}\tofficer{n}@{DOMAIN}"
                )
            for n, uid in enumerate(self.resident_users):
                yield f"{uid}\t{password}\t\\N\tf\t\t\tf\tt\t{iso(start)}\tresident{n}@{DOMAIN}"

        total_users = 1 + s.officers + s.residents
        columns = (
            "id, password, last_login, is_superuser, first_name, last_name, is_staff, is_active, "
            "date_joined, email"
        )
        self.counts["users"] = self.copy("participants_user", columns, user_lines(), total_users, "users")

        email_id, group_id = self.next_id("account_emailaddress"), self.next_id("participants_user_groups")
        emails = [f"sergeant@{DOMAIN}"] + [f"officer{n}@{DOMAIN}" for n in range(s.officers)]
        emails += [f"resident{n}@{DOMAIN}" for n in range(s.residents)]
        user_ids = [first_user, *self.officer_users, *self.resident_users]
        self.copy(
            "account_emailaddress",
            'id, email, verified, "primary", user_id',
            (
                f"{email_id + i}\t{email}\tt\tt\t{uid}"
                for i, (uid, email) in enumerate(zip(user_ids, emails, strict=True))
            ),
            total_users,
            "email addresses",
        )
        group_of = [groups[SERGEANTS]] + [groups[OFFICERS]] * s.officers + [groups[RESIDENTS]] * s.residents
        self.copy(
            "participants_user_groups",
            "id, user_id, group_id",
            (
                f"{group_id + i}\t{uid}\t{gid}"
                for i, (uid, gid) in enumerate(zip(user_ids, group_of, strict=True))
            ),
            total_users,
            "group members",
        )
        # Staff must have a second factor: a TOTP authenticator each, as allauth stores it.
        auth_id = self.next_id("mfa_authenticator")
        staff = [first_user, *self.officer_users]
        self.copy(
            "mfa_authenticator",
            "id, type, data, user_id, created_at",
            rows(
                *(
                    (auth_id + i, "totp", json.dumps({"secret": encrypt(generate_totp_secret())}), uid, start)
                    for i, uid in enumerate(staff)
                )
            ),
            len(staff),
            "authenticators",
        )
        self.counts["authenticators"] = len(staff)

        # Officers: spread over the boroughs, four wards each (in turn, so every ward is covered).
        officer_id = self.next_id("participants_officer")
        self.officers = list(range(officer_id, officer_id + s.officers))
        self.officer_wards: list[list[int]] = []
        wards_by_borough = [[w for w, b, _ in self.wards if b == i] for i in range(len(self.boroughs))]
        per_borough_count = [0] * len(self.boroughs)
        for n in range(s.officers):
            b = n % len(self.boroughs)
            wards = wards_by_borough[b]
            k = per_borough_count[b]
            per_borough_count[b] += 1
            self.officer_wards.append([wards[(k * 4 + j) % len(wards)] for j in range(min(4, len(wards)))])
        capacity = -(-s.residents // s.officers) + 10
        self.copy(
            "participants_officer",
            "id, display_name, collar_number, languages, capacity, is_active, created_at, user_id",
            rows(
                *(
                    (
                        oid,
                        f"PC {FIRST_NAMES[n % 26]} {SURNAMES[n % 10]} {n}",
                        f"B{n:05d}",
                        "{}" if n % 3 else "{" + LANGUAGES[12 + n % 10] + "}",
                        capacity,
                        True,
                        start,
                        self.officer_users[n],
                    )
                    for n, oid in enumerate(self.officers)
                )
            ),
            s.officers,
            "officers",
        )
        link = self.next_id("participants_officer_wards")
        links = [
            (oid, w) for oid, wards in zip(self.officers, self.officer_wards, strict=True) for w in wards
        ]
        self.copy(
            "participants_officer_wards",
            "id, officer_id, ward_id",
            (f"{link + i}\t{oid}\t{w}" for i, (oid, w) in enumerate(links)),
            len(links),
            "officer wards",
        )
        # Weekly windows: two evenings 17:00–21:00 and a Saturday or Sunday morning 10:00–14:00.
        self.windows: list[list[tuple[int, int]]] = []
        window_rows = []
        window_id = self.next_id("patrols_availabilitywindow")
        for n, oid in enumerate(self.officers):
            days = [(n % 5, 17), ((n + 2) % 5, 17), (5 + n % 2, 10)]
            self.windows.append(days)
            for weekday, hour in days:
                window_rows.append((window_id, weekday, time(hour), time(hour + 4), oid))
                window_id += 1
        self.copy(
            "patrols_availabilitywindow",
            "id, weekday, start_time, end_time, officer_id",
            rows(*window_rows),
            len(window_rows),
            "windows",
        )
        self.counts["availability_windows"] = len(window_rows)

        # Residents: most paired with an officer covering her ward; 2% on the waiting list.
        resident_id = self.next_id("participants_resident")
        pairing_id = self.next_id("participants_pairing")
        self.residents = list(range(resident_id, resident_id + s.residents))
        self.resident_user = dict(zip(self.residents, self.resident_users, strict=True))
        self.resident_ward: dict[int, int] = {}
        self.resident_sms: dict[int, bool] = {}
        self.resident_since: dict[int, datetime] = {}
        self.officer_residents: list[list[int]] = [[] for _ in self.officers]
        resident_lines, pairing_lines, self.pairings, self.waiting = [], [], [], []
        span = (now - start).total_seconds()
        paired = 0
        for n, rid in enumerate(self.residents):
            waiting = n % 50 == 49
            officer_index = paired % s.officers  # in turn, so every officer has residents
            paired += 0 if waiting else 1
            ward = rng.choice(self.wards)[0] if waiting else rng.choice(self.officer_wards[officer_index])
            # Most signed up at the start; the rest over the years (the dashboard counts sign-ups).
            early = rng.random() < 0.6
            since = (
                start - timedelta(days=rng.uniform(1, 60))
                if early
                else start + timedelta(seconds=rng.uniform(0, span - 86400))
            )
            since = since.replace(microsecond=0)
            sms = n % 10 == 3
            self.resident_ward[rid], self.resident_sms[rid], self.resident_since[rid] = ward, sms, since
            resident_lines.append(
                "\t".join(
                    [
                        str(rid),
                        FIRST_NAMES[n % 26],
                        "sms" if sms else "email",
                        f"+447700900{n % 1000:03d}" if sms else "",
                        LANGUAGES[n % len(LANGUAGES)],
                        "",
                        "Weekday evenings, after 6pm",
                        str(1 + rng.randrange(4)),
                        "f",
                        iso(since),
                        iso(since) if waiting else r"\N",
                        iso(since),
                        iso(since),
                        str(self.resident_users[n]),
                        str(ward),
                    ]
                )
            )
            if waiting:
                self.waiting.append(rid)
                continue
            self.officer_residents[officer_index].append(rid)
            paired_at = since + timedelta(hours=1)
            pairing_lines.append(
                f"{pairing_id}\t{iso(paired_at)}\t\t\\N\t\t\\N\t{self.officers[officer_index]}\t{first_user}\t{rid}"
            )
            self.pairings.append((pairing_id, rid, paired_at))
            pairing_id += 1
        for residents in self.officer_residents:
            residents.sort(key=self.resident_since.__getitem__)
        self.counts["residents"] = self.copy(
            "participants_resident",
            "id, preferred_name, contact_channel, mobile, language, access_needs, usual_walk_times, "
            "baseline_safety, mention_police_in_messages, privacy_consent_at, waiting_since, created_at, "
            "updated_at, user_id, ward_id",
            resident_lines,
            s.residents,
            "residents",
        )
        self.counts["pairings"] = self.copy(
            "participants_pairing",
            "id, started_at, start_reason, ended_at, end_reason, ended_by_id, officer_id, started_by_id, "
            "resident_id",
            pairing_lines,
            len(pairing_lines),
            "pairings",
        )

    # --- walks -----------------------------------------------------------------------------------

    def plan_walks(self) -> None:
        """Each officer's walks on her own weekly windows, three 60-minute slots 90 minutes apart per
        window, so they never overlap: past ones over the years, a few booked in the next four weeks."""
        s, rng, now = self.scale, self.rng, self.now
        first_day = (now - timedelta(days=365 * s.years)).astimezone(LONDON).date()
        last_day = (now + timedelta(days=27)).astimezone(LONDON).date()
        quota, extra = divmod(s.walks, s.officers)
        self.walks = []  # [officer index, resident id, start, status]
        progress_at = clock.monotonic()
        for o, windows in enumerate(self.windows):
            past, future = [], []
            day = first_day
            while day <= last_day:
                for weekday, hour in windows:
                    if weekday != day.weekday():
                        continue
                    for k in range(3):
                        start = self.utc(day, time(hour + k + k // 2, 30 * (k % 2)))  # :00, +1:30, +3:00
                        if start + timedelta(hours=1) <= now:
                            past.append(start)
                        elif start > now + timedelta(hours=1):
                            future.append(start)
                day += timedelta(days=1)
            wanted = quota + (1 if o < extra else 0)
            n_future = min(s.future_per_officer, len(future), wanted // 4)
            chosen = sorted(rng.sample(past, min(wanted - n_future, len(past))))
            residents = self.officer_residents[o]
            if not residents:
                continue
            signed_up = 0
            for start in chosen:
                while signed_up < len(residents) and self.resident_since[residents[signed_up]] < start:
                    signed_up += 1
                resident = residents[rng.randrange(max(signed_up, 1))]
                roll = rng.random()
                status = "completed" if roll < 0.84 else "cancelled" if roll < 0.95 else "no_show"
                self.walks.append([o, resident, start, status])
            for i, start in enumerate(sorted(rng.sample(future, n_future))):
                self.walks.append([o, residents[(i * 7) % len(residents)], start, "booked"])
        first = self.next_id("patrols_walk")
        for offset, walk in enumerate(self.walks):
            walk.insert(0, first + offset)
        progress(f"  planned        {len(self.walks):>10,} walks in {clock.monotonic() - progress_at:.1f}s")

    def write_walks(self) -> None:
        rng, now = self.rng, self.now
        completed = [i for i, w in enumerate(self.walks) if w[4] == "completed"]
        # Concerns per completed walk: spread at random, so some walks have none and a few have many.
        self.concern_count = dict.fromkeys(completed, 0)
        for _ in range(self.scale.concerns):
            self.concern_count[completed[rng.randrange(len(completed))]] += 1
        self.rated = set(rng.sample(completed, min(self.scale.ratings, len(completed))))
        self.cancelled_at: dict[int, datetime] = {}
        codes = [f"{rng.randrange(10**6):06d}" for _ in range(1000)]

        def lines():
            hour = timedelta(hours=1)
            for index, (wid, o, resident, start, status) in enumerate(self.walks):
                end = start + hour
                booked = start - timedelta(days=2 + index % 12, hours=index % 7)
                if booked > now:
                    booked = now - timedelta(hours=3)
                lat, lng = self.point(self.ward_borough[self.resident_ward[resident]])
                user = self.resident_user[resident]
                cancelled_at = cancelled_by = started = finished = nothing = r"\N"
                updated = booked
                if status == "cancelled":
                    moment = start - timedelta(hours=3 + index % 40)
                    self.cancelled_at[wid] = moment
                    cancelled_at, cancelled_by, updated = iso(moment), str(user), moment
                elif status == "no_show":
                    updated = start + timedelta(minutes=20)
                elif status == "completed":
                    started, finished = iso(start + timedelta(minutes=2)), iso(end)
                    updated = end
                    if not self.concern_count[index]:
                        nothing = iso(end)
                yield (
                    f"{wid}\t{iso(start)}\t{iso(end)}\t{status}\tOutside the station, main entrance"
                    f"\t{lat}\t{lng}\tHigh Street, then the park path home\t\t{codes[index % 1000]}\t1"
                    f"\t{cancelled_at}\t"
                    f"\t{started}\t{finished}\t{iso(booked)}\t{iso(updated)}\t{user}\t{cancelled_by}"
                    f"\t{self.officers[o]}\t{resident}\t{nothing}"
                )

        self.counts["walks"] = self.copy(
            "patrols_walk",
            "id, starts_at, ends_at, status, meeting_point, meeting_latitude, meeting_longitude, route, "
            "known_worries, walk_code, version, cancelled_at, cancel_reason, started_at, finished_at, "
            "created_at, updated_at, booked_by_id, cancelled_by_id, officer_id, resident_id, "
            "nothing_to_log_at",
            lines(),
            len(self.walks),
            "walks",
        )

    def partners(self) -> None:
        """Each borough's council and the other partners, made once (kept by name across runs), with
        bulk_create: a handful of rows, so no COPY."""
        wanted = {f"{b.name} Council": ("council", b) for b in self.boroughs}
        wanted |= {name: (kind, None) for name, kind in OTHER_PARTNERS.values()}
        Partner.objects.bulk_create(
            [
                Partner(
                    name=name,
                    kind=kind,
                    contact_emails=[f"referrals@{slugify(name)}.{DOMAIN}"],
                )
                for name, (kind, _) in wanted.items()
            ],
            ignore_conflicts=True,
        )
        ids = dict(Partner.objects.filter(name__in=wanted).values_list("name", "pk"))
        Partner.boroughs.through.objects.bulk_create(
            [
                Partner.boroughs.through(partner_id=ids[name], borough_id=borough.pk)
                for name, (_, borough) in wanted.items()
                if borough is not None
            ],
            ignore_conflicts=True,
        )
        self.councils = [ids[f"{b.name} Council"] for b in self.boroughs]
        self.partner_ids = {choice: ids[name] for choice, (name, _) in OTHER_PARTNERS.items()}

    def partner_of(self, choice: str, borough: int) -> str:
        if not choice:
            return r"\N"
        return str(self.councils[borough] if choice == "council" else self.partner_ids[choice])

    def write_referrals(self, first_concern: int) -> None:
        """A referral for each referred or resolved concern, in one INSERT … SELECT over the concerns just
        written: resolved ones fixed, referred ones sent or acknowledged (some with a target date, some
        of those past it), acknowledged on time or late. Five working days are taken as seven days here:
        bench data, not a rule."""
        self.cursor.execute(
            """
            INSERT INTO patrols_referral (concern_id, partner_id, team, referred_by_id, referred_at,
                ack_due_at, state, acknowledged_at, target_date, fixed_at, ended_at, chased_at,
                link_version, link_expires_at, link_revoked_at, link_last_used_at)
            SELECT id, partner_id, '', NULL, referred, referred + interval '7 days',
                CASE WHEN status = 'resolved' THEN 'fixed'
                     WHEN id %% 2 = 0 THEN 'acknowledged' ELSE 'sent' END,
                CASE WHEN status = 'resolved' OR id %% 2 = 0
                     THEN LEAST(referred + (id %% 10) * interval '1 day', COALESCE(resolved_at, %(now)s)) END,
                CASE WHEN status = 'referred' AND id %% 2 = 0
                     THEN (referred + (10 + id %% 60) * interval '1 day')::date END,
                CASE WHEN status = 'resolved' THEN resolved_at END,
                NULL,
                CASE WHEN status = 'referred' AND id %% 2 = 1 AND referred + interval '7 days' < %(now)s
                     THEN referred + interval '7 days' END,
                1, referred + interval '90 days', NULL, NULL
            FROM (
                SELECT id, partner_id, status, resolved_at,
                       LEAST(created_at + interval '1 day', COALESCE(resolved_at, %(now)s)) AS referred
                FROM patrols_concern
                WHERE id >= %(first)s AND partner_id IS NOT NULL
            ) AS referred_concerns
            """,
            {"now": self.now, "first": first_concern},
        )
        self.counts["referrals"] = self.cursor.rowcount
        progress(f"  referrals      {self.cursor.rowcount:>10,} rows")

    def write_concerns(self) -> None:
        rng, now = self.rng, self.now
        categories = list(ConcernCategory.objects.values_list("pk", flat=True))
        weights = [5 if i in (1, 2) else 2 for i in range(len(categories))]
        first = self.next_id("patrols_concern")

        def lines():
            cid = first
            for index, count in self.concern_count.items():
                if not count:
                    continue
                wid, o, resident, start, _ = self.walks[index]
                ward = self.resident_ward[resident]
                borough = self.ward_borough[ward]
                for category in rng.choices(categories, weights, k=count):
                    created = start + timedelta(minutes=rng.randint(5, 55))
                    age = (now - created).days
                    roll = rng.random()
                    done = min(0.75, age / 240)
                    partner, resolved = "", r"\N"
                    if roll < done * 0.8:
                        status = "resolved"
                        partner = rng.choice(PARTNERS)
                        moment = created + timedelta(days=rng.uniform(2, max(2.5, min(age, 120))))
                        resolved = iso(min(moment, now))
                    elif roll < done:
                        status = "closed"
                    elif roll < done + (1 - done) * 0.4:
                        status, partner = "referred", rng.choice(PARTNERS)
                    else:
                        status = "open"
                    lat, lng = self.point(borough)
                    place = rng.choice(self.places[ward]) if rng.random() < 0.6 else ""
                    yield (
                        f"{cid}\t{lat}\t{lng}\t{place}\t{('low', 'medium', 'high')[cid % 3]}"
                        f"\t{('after_dark', 'weekday_evenings', 'late_night', 'always')[cid % 4]}"
                        f"\t{SAID[cid % 6]}\t{ACTIONS[cid % 6]}\tf\t{self.partner_of(partner, borough)}"
                        f"\t{status}"
                        f"\t{'Could not be fixed' if status == 'closed' else ''}\t{resolved}\t\\N"
                        f"\t{iso(created)}\t{resolved if status == 'resolved' else iso(created)}"
                        f"\t{self.officers[o]}\t{wid}\t{ward}\t{category}"
                    )
                    cid += 1

        self.counts["concerns"] = self.copy(
            "patrols_concern",
            "id, latitude, longitude, location_text, severity, when_it_matters, resident_said, action, "
            "resident_said_shared, partner_id, status, closed_reason, resolved_at, draft_key, created_at, "
            "updated_at, officer_id, walk_id, ward_id, category_id",
            lines(),
            self.scale.concerns,
            "concerns",
        )
        self.write_referrals(first)

    def write_ratings(self) -> None:
        rng, now = self.rng, self.now
        first = self.next_id("patrols_safetyrating")

        def lines():
            for n, index in enumerate(sorted(self.rated)):
                wid, _, resident, start, _ = self.walks[index]
                created = min(start + timedelta(hours=rng.uniform(2, 48)), now - timedelta(minutes=1))
                rating = rng.choice((2, 3, 3, 4, 4, 4, 5, 5))
                yield f"{first + n}\t{rating}\t\t{iso(created)}\t{resident}\t{wid}"

        self.counts["safety_ratings"] = self.copy(
            "patrols_safetyrating",
            "id, rating, comment, created_at, resident_id, walk_id",
            lines(),
            len(self.rated),
            "ratings",
        )

    def write_notifications(self) -> None:
        """The outbox rows the walks and pairings caused: confirmations to both, the 24-hour reminder and
        the feedback request to her; past ones sent, cancelled walks' reminders cancelled, future pending.
        Keys come from the kinds themselves, so a change made after seeding finds these rows."""
        now = self.now
        first = self.next_id("outbox_notification")
        officer_user = dict(enumerate(self.officer_users))

        def line(nid, channel, kind, about, data, due, status, created, sent, user, once):
            about_type, about_id = about
            key = get_kind(kind).key(recipient_id=user, about_id=about_id, once=once)
            failed = status == "failed"
            return (
                f"{nid}\t{user}\t{channel}\t{kind}\t{about_type}\t{about_id}\t{json.dumps(data)}\t{key}"
                f"\t{iso(due)}\t{status}\t{5 if failed else int(status == 'sent')}\tf"
                f"\t{'Provider refused the message' if failed else ''}\t\t{iso(created)}\t{sent}\t"
            )

        def lines():
            nid = first
            for pid, rid, paired_at in self.pairings:
                user = self.resident_user[rid]
                channel = "sms" if self.resident_sms[rid] else "email"
                yield line(
                    nid, channel, "paired", ("resident", rid), {"pairing": pid}, paired_at, "sent",
                    paired_at, iso(paired_at), user, f"pairing:{pid}",
                )  # fmt: skip
                nid += 1
            for rid in self.waiting:
                user, since = self.resident_user[rid], self.resident_since[rid]
                yield line(
                    nid, "email", "waiting_list", ("resident", rid), {}, since, "sent", since, iso(since),
                    user, f"since:{since:%Y%m%d%H%M%S%f}",
                )  # fmt: skip
                nid += 1
            for index, (wid, o, rid, start, status) in enumerate(self.walks):
                user, officer = self.resident_user[rid], officer_user[o]
                channel = "sms" if self.resident_sms[rid] else "email"
                booked = min(
                    start - timedelta(days=2 + index % 12, hours=index % 7), now - timedelta(hours=3)
                )
                about, data = ("walk", wid), {"walk": wid, "version": 1}
                for recipient, ch in ((user, channel), (officer, "email")):
                    yield line(
                        nid, ch, "booking_confirmation", about, data, booked,
                        "failed" if nid % 2000 == 0 else "sent", booked,
                        iso(booked + timedelta(seconds=3)), recipient, "v1",
                    )  # fmt: skip
                    nid += 1
                due = start - timedelta(hours=24)
                if status == "cancelled" and self.cancelled_at[wid] < due:
                    state = "cancelled"
                else:
                    state = "pending" if due > now else "sent"
                sent = iso(due + timedelta(seconds=5)) if state == "sent" else r"\N"
                yield line(
                    nid, channel, "reminder", about, {**data, "hours": 24}, due, state, booked, sent, user,
                    "v1:24h",
                )  # fmt: skip
                nid += 1
                if status == "completed":
                    due = start + timedelta(hours=2)
                    state = "pending" if due > now else "sent"
                    sent = iso(due + timedelta(seconds=5)) if state == "sent" else r"\N"
                    yield line(
                        nid, channel, "feedback_request", about, data, due, state, start, sent, user, "v1"
                    )
                    nid += 1

        completed = sum(1 for w in self.walks if w[4] == "completed")
        total = len(self.pairings) + len(self.waiting) + 3 * len(self.walks) + completed
        self.counts["notifications"] = self.copy(
            "outbox_notification",
            "id, recipient_id, channel, kind, about_type, about_id, data, idempotency_key, due_at, status, "
            "attempts, reclaimed, note, provider_reference, created_at, sent_at, to_label",
            lines(),
            total,
            "notifications",
        )

    def run(self) -> dict[str, int]:
        # The dashboard's counter triggers are off while COPY loads millions of rows (one upsert per row
        # would add minutes); the counters are rebuilt from the loaded rows at the end, in this same
        # transaction, with three GROUP BYs.
        counters.set_triggers(self.cursor, enabled=False)
        self.areas()
        self.people()
        self.plan_walks()
        self.write_walks()
        self.partners()
        self.write_concerns()
        self.write_ratings()
        self.write_notifications()
        counters.set_triggers(self.cursor, enabled=True)
        started = clock.monotonic()
        counters.rebuild()
        progress(f"  {'counters':<14} {clock.monotonic() - started:.1f}s")
        for table in SEEDED_TABLES:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 — our table names
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))"
            )
        return self.counts


SEEDED_TABLES = [
    "participants_borough",
    "participants_ward",
    "participants_user",
    "participants_user_groups",
    "account_emailaddress",
    "mfa_authenticator",
    "participants_officer",
    "participants_officer_wards",
    "participants_resident",
    "participants_pairing",
    "patrols_availabilitywindow",
    "patrols_walk",
    "patrols_partner",
    "patrols_concern",
    "patrols_referral",
    "patrols_safetyrating",
    "outbox_notification",
]
# Analysed too: the dashboard's counters, rebuilt at the end of the load.
ANALYSED_TABLES = [
    *SEEDED_TABLES,
    "patrols_officerworkload",
    "patrols_openconcerncount",
    "patrols_residentsafety",
]


def marker(cursor) -> dict | None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER} (scale text NOT NULL, seeded_at timestamptz NOT NULL, "
        "seconds double precision NOT NULL, counts jsonb NOT NULL)"
    )
    cursor.execute(f"SELECT scale, seeded_at, counts FROM {MARKER} ORDER BY seeded_at DESC LIMIT 1")  # noqa: S608
    row = cursor.fetchone()
    if row is None:
        return None
    counts = row[2] if isinstance(row[2], dict) else json.loads(row[2])
    return {"scale": row[0], "seeded_at": row[1], "counts": counts}


def wipe(cursor) -> None:
    """Everyone (and all that hangs off people: walks, concerns, messages…), sessions, and the boroughs
    the data migration did not create. Only ever on a bench or test database (see handle)."""
    areas = importlib.import_module("participants.migrations.0002_groups_and_areas").AREAS
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign key checks left pending
    cursor.execute("TRUNCATE participants_user, django_session CASCADE")
    cursor.execute(f"DELETE FROM {MARKER}")  # noqa: S608
    Ward.objects.exclude(borough__name__in=list(areas)).delete()
    Borough.objects.exclude(name__in=list(areas)).delete()


class Command(BaseCommand):
    help = "Build (or reuse) a benchmark data set: --scale london, pilot or tiny."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="pilot")
        parser.add_argument("--fresh", action="store_true", help="Wipe and rebuild even if it is there.")
        parser.add_argument("--seed", type=int, default=10, help="Random seed (the same data each time).")
        parser.add_argument(
            "--force", action="store_true", help="Allow a database whose name has neither 'bench' nor 'test'."
        )

    def handle(self, *args, scale: str, fresh: bool, seed: int, force: bool, **options):
        name = connection.settings_dict["NAME"]
        if not force and "bench" not in name and "test" not in name:
            raise CommandError(
                f"Refusing to seed {name!r}: seed_scale wipes people. Use a database of its own (its name "
                "containing 'bench'), as `make bench` does, or pass --force."
            )
        started = clock.monotonic()
        with connection.cursor() as cursor:
            existing = marker(cursor)
        if existing and existing["scale"] == scale and not fresh:
            self.stdout.write(f"Reusing the {scale} data set seeded {existing['seeded_at']:%Y-%m-%d %H:%M}.")
            return
        progress(f"Seeding the {scale} data set into {name}…")
        with transaction.atomic(), connection.cursor() as cursor:
            if existing or fresh or User.objects.filter(email__endswith=f"@{DOMAIN}").exists():
                wipe(cursor)
            counts = Seeder(SCALES[scale], seed).run()
            cursor.execute(
                f"INSERT INTO {MARKER} (scale, seeded_at, seconds, counts) VALUES (%s, now(), %s, %s)",  # noqa: S608
                [scale, clock.monotonic() - started, json.dumps(counts)],
            )
        analysed = clock.monotonic()
        with connection.cursor() as cursor:
            # Fresh statistics (and, outside a transaction, the visibility map) for the query planner.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in ANALYSED_TABLES:
                cursor.execute(f"{command} {table}")
        progress(f"  {command.lower():<14} {clock.monotonic() - analysed:.1f}s")
        summary = ", ".join(f"{value:,} {key}" for key, value in counts.items())
        self.stdout.write(f"Seeded {scale} in {clock.monotonic() - started:.0f}s: {summary}.")
