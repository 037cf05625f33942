"""The outbox in the admin: the sergeant lists, filters and resends messages. Who may see it is the
admin site's own rule (the sergeant's site), so this module needs no app of ours."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from . import dispatch, kinds
from .models import Notification


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(slug, kind.title) for slug, kind in kinds.all_kinds().items()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "kind_title",
        "to",
        "channel",
        "due_at",
        "status",
        "attempts",
        "sent_at",
        "short_note",
    ]
    list_filter = [
        "status",
        KindFilter,
        "channel",
        ("created_at", admin.DateFieldListFilter),
        ("sent_at", admin.DateFieldListFilter),
    ]
    search_fields = ["recipient__email", "to_label", "idempotency_key"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient"]
    actions = ["resend"]
    readonly_fields = ["kind_title"]

    @admin.display(description="kind", ordering="kind")
    def kind_title(self, notification: Notification) -> str:
        return notification.kind_title

    @admin.display(description="to", ordering="recipient__email")
    def to(self, notification: Notification) -> str:
        to = notification.to_label or (notification.recipient.email if notification.recipient else "")
        if notification.channel == Notification.Channel.PUSH:
            # one row per device (push.py): say which, so her phones are told apart in the list
            return f"{to} · {notification.data.get('device') or 'a device'}"
        return to

    @admin.display(description="why (cancelled, replaced, failed)")
    def short_note(self, notification: Notification) -> str:
        # The whole text is on the message's own page; the list stays one line a message.
        note = notification.note
        return note if len(note) <= 80 else note[:79] + "…"

    # Read-only history, for whoever the admin site lets in (the sergeant).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Resend the selected failed messages")
    def resend(self, request, queryset):
        count = dispatch.resend(notifications=queryset)
        skipped = queryset.count() - count
        self.message_user(
            request, f"{count} message(s) will be sent again within a minute.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request, f"{skipped} message(s) had not failed, so were left alone.", messages.WARNING
            )
