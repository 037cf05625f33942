"""`manage.py vapid_keys`: a new VAPID key pair for Web Push, printed as the environment lines to add
to .env (README: Configuration). Nothing is stored: the keys live in the environment only."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from walkandtalk.outbox.vapid import generate_key_pair


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push as lines for .env."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--subject",
            default="mailto:walkandtalk@example.org",
            help="Who the push services may contact about this server (mailto: or https:).",
        )

    def handle(self, *args, subject: str, **options) -> None:
        private, public = generate_key_pair()
        # Changing the pair later makes every phone's subscription stale: each must turn push on again.
        self.stdout.write(
            f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\nVAPID_SUBJECT={subject}\n"
        )
