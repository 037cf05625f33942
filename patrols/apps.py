from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = "Walks and concerns"

    def ready(self) -> None:
        # participants sits below patrols: walks reach the audit log, and her data download, erasure
        # and retention, through the hooks participants defines.
        from participants.audit import audit_changes
        from participants.models import Pairing
        from participants.pairing import pairing_ending

        from . import booking, messages, privacy  # noqa: F401 — messages registers the kinds
        from .models import Concern, ConcernUpdate, Disclosure, Walk

        audit_changes(Walk, Concern, ConcernUpdate, Disclosure)
        privacy.connect()
        pairing_ending.connect(
            booking.cancel_walks_with_former_officer, sender=Pairing, dispatch_uid="patrols-cancel-walks"
        )
