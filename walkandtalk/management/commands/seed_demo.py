"""Demo data: invented people only, never real names or home addresses. Running it twice changes nothing.

A command of the top app (walkandtalk) because it spans both: the people and pairings (participants),
then availability and walks for them (patrols/demo.py)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from participants import pairing
from participants.models import Borough, Language, Officer, Resident, User, Ward
from participants.roles import OFFICERS, RESIDENTS, SERGEANTS
from patrols import demo

# Demo only: the command refuses to run with DEBUG off.
DEMO_PASSWORD = "walk-and-talk-demo"  # noqa: S105
# Staff must sign in with a second factor: the demo staff share this authenticator key (base32).
DEMO_TOTP_SECRET = "WALKANDTALKDEMOSTAFFKEY2345XYZAB"  # noqa: S105
DOMAIN = "demo.walkandtalk.example"
SERGEANT_EMAIL = f"sergeant@{DOMAIN}"

OFFICER_NAMES = [
    "Amara Nwosu", "Bethany Cole", "Chloe Mensah", "Dana Whitfield", "Esme Patel", "Fatima Rahman",
    "Grace Olatunji", "Hannah Brooks", "Imani Clarke", "Jess Kowalski", "Keisha Thompson", "Lara Demir",
    "Maya Fernandes", "Nadia Haddad", "Olivia Grant", "Priya Sandhu", "Rosa Alvarez", "Sade Adebayo",
    "Tasha Reid", "Una Byrne", "Vicky Osei", "Wendy Liu", "Yasmin Farah", "Zoe Hartley", "Abi Quinn",
]  # fmt: skip

RESIDENT_NAMES = [
    "Ada", "Bea", "Cara", "Dee", "Edie", "Fern", "Gina", "Hana", "Iris", "Jade", "Kemi", "Lola", "Mina",
    "Nell", "Oona", "Pia", "Rae", "Sina", "Tess", "Uma", "Vera", "Wren", "Xena", "Yara", "Zara", "Abby",
    "Bella", "Cleo", "Dina", "Ella", "Faye", "Gwen", "Hope", "Ines", "Juno", "Kira", "Lena", "Maud",
    "Nora", "Orla",
]  # fmt: skip

OFFICER_LANGUAGES = [[], [Language.YORUBA], [], [Language.SPANISH, Language.PORTUGUESE], [Language.BENGALI]]
RESIDENT_LANGUAGES = [Language.ENGLISH] * 6 + [Language.SPANISH, Language.YORUBA, Language.SOMALI]
WARDS_PER_OFFICER = 4


class Command(BaseCommand):
    help = "Create the demo sergeant, 25 officers and 40 residents (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Seed even with DEBUG off (never on a live system)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a known password: it runs only with DEBUG on."
            )
        self.password_hash = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        # Pairing emails to invented people would flood the console: keep them in memory.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            with transaction.atomic():
                sergeant = self.user(SERGEANT_EMAIL, SERGEANTS, is_staff=True)
                officers = self.officers()
                residents = self.residents()
                for staff in [sergeant, *(officer.user for officer in officers)]:
                    if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
                        TOTP.activate(staff, DEMO_TOTP_SECRET)
            for resident in residents:
                if not resident.pairings.active().exists() and not resident.is_waiting:
                    pairing.pair_resident(resident=resident, by=sergeant)
            demo.seed_availability(officers)
            walks = demo.seed_walks(residents)
            partners = demo.seed_partners()
            referred = demo.seed_referrals()
        self.report(officers, residents, walks)
        self.stdout.write(f"Partners: {', '.join(p.name for p in partners)}; {referred} new referrals.")

    def user(self, email: str, group: str, **extra) -> User:
        user, _ = User.objects.get_or_create(email=email, defaults={"password": self.password_hash, **extra})
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"primary": True, "verified": True}
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    def officers(self) -> list[Officer]:
        officers = []
        boroughs = list(Borough.objects.order_by("name").prefetch_related("wards"))
        for index, name in enumerate(OFFICER_NAMES):
            borough = boroughs[index % len(boroughs)]
            wards = sorted(borough.wards.all(), key=lambda w: w.name)
            position = index // len(boroughs)
            first = name.split()[0].lower()
            officer, created = Officer.objects.get_or_create(
                collar_number=f"{4101 + index}AS",
                defaults={
                    "user": self.user(f"{first}.officer@{DOMAIN}", OFFICERS),
                    "display_name": f"PC {name}",
                    "languages": OFFICER_LANGUAGES[index % len(OFFICER_LANGUAGES)],
                    "capacity": 6,
                },
            )
            if created:
                officer.wards.set(wards[(position * 2 + k) % len(wards)] for k in range(WARDS_PER_OFFICER))
            officers.append(officer)
        return officers

    def residents(self) -> list[Resident]:
        wards = list(Ward.objects.order_by("borough__name", "name"))
        residents = []
        for index, name in enumerate(RESIDENT_NAMES):
            user = self.user(f"{name.lower()}@{DOMAIN}", RESIDENTS)
            resident, _ = Resident.objects.get_or_create(
                user=user,
                defaults={
                    "preferred_name": name,
                    "ward": wards[(index * 7) % len(wards)],
                    "language": RESIDENT_LANGUAGES[index % len(RESIDENT_LANGUAGES)],
                    "baseline_safety": 1 + index % 4,
                    "usual_walk_times": "Weekday evenings, after 6pm",
                    "privacy_consent_at": timezone.now(),
                },
            )
            residents.append(resident)
        return residents

    def report(self, officers: list[Officer], residents: list[Resident], walks: int) -> None:
        paired = sum(1 for r in residents if r.pairings.active().exists())
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: 1 sergeant, {len(officers)} officers, {len(residents)} residents "
                f"({paired} paired); {walks} new walks."
            )
        )
        first_officer = officers[0]
        self.stdout.write(
            f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})\n"
            f"  sergeant  {SERGEANT_EMAIL}\n"
            f"  officer   {first_officer.user.email}"
            f"  ({first_officer.display_name}, collar {first_officer.collar_number})\n"
            f"  resident  {residents[0].user.email}\n"
        )
        if settings.DEBUG:  # never print a second-factor key outside development
            self.stdout.write(
                "Staff also need a code from an authenticator app: add the key\n"
                f"  {DEMO_TOTP_SECRET}\n"
                "to any authenticator app, or run `.venv/bin/python manage.py demo_code`"
                " for the current code.\n"
            )
