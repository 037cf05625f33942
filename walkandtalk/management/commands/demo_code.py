"""Print the current two-step sign-in code for the demo staff accounts (development only)."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from .seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current authenticator code for the demo sergeant and officers (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code is for trying the app in development: it runs only with DEBUG on.")
        counter = int(time.time()) // 30
        seconds_left = 30 - int(time.time()) % 30
        self.stdout.write(
            f"{format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))} (valid for {seconds_left} s)"
        )
