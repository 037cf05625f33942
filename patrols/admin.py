from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from participants.admin import OfficerAdmin
from walkandtalk.admin import (
    ReadOnlyModelAdmin,
    ReadOnlyTabularInline,
    SergeantModelAdmin,
    SergeantTabularInline,
)

from . import booking
from .models import AvailabilityException, AvailabilityWindow, Notification, Walk, WalkEvent


class AvailabilityWindowInline(SergeantTabularInline):
    model = AvailabilityWindow
    extra = 0


class AvailabilityExceptionInline(SergeantTabularInline):
    model = AvailabilityException
    extra = 0


# The sergeant sets an officer's availability on the officer's own page.
OfficerAdmin.inlines = [*OfficerAdmin.inlines, AvailabilityWindowInline, AvailabilityExceptionInline]


class WalkEventInline(ReadOnlyTabularInline):
    model = WalkEvent
    fields = ["at", "kind", "by", "old_starts_at", "new_starts_at", "note"]
    readonly_fields = fields


class CancelWalksForm(forms.Form):
    reason = forms.CharField(
        max_length=300, help_text="Both the resident and the officer are told, with this reason."
    )


@admin.register(Walk)
class WalkAdmin(SergeantModelAdmin):
    list_display = ["starts_at", "resident", "officer", "status", "meeting_point"]
    list_filter = ["status", "officer", "resident__ward__borough"]
    search_fields = [
        "resident__preferred_name",
        "officer__display_name",
        "officer__collar_number",
        "meeting_point",
    ]
    date_hierarchy = "starts_at"
    list_select_related = ["resident", "officer"]
    readonly_fields = [
        "resident",
        "officer",
        "starts_at",
        "ends_at",
        "status",
        "walk_code",
        "version",
        "booked_by",
        "cancelled_at",
        "cancelled_by",
        "cancel_reason",
        "started_at",
        "finished_at",
        "created_at",
        "updated_at",
    ]
    inlines = [WalkEventInline]
    actions = ["cancel_walks"]

    def has_add_permission(self, request):
        return False  # walks are booked by residents, through the booking rules

    def has_delete_permission(self, request, obj=None):
        return False  # a walk's history is kept; cancel it instead

    @admin.action(description="Cancel the selected walks…")
    def cancel_walks(self, request, queryset):
        form = CancelWalksForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            cancelled = 0
            for walk in queryset:
                try:
                    booking.cancel_walk(walk=walk, by=request.user, reason=form.cleaned_data["reason"])
                    cancelled += 1
                except booking.BookingError as error:
                    self.message_user(request, f"{walk}: {error}", messages.ERROR)
            if cancelled:
                self.message_user(
                    request, f"Cancelled {cancelled} walk(s); everyone has been told.", messages.SUCCESS
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel walks",
            "walks": queryset.select_related("resident", "officer"),
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/patrols/cancel_walks.html", context)


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(SergeantModelAdmin):
    list_display = ["officer", "kind", "starts_at", "ends_at", "note"]
    list_filter = ["kind", "officer"]
    date_hierarchy = "starts_at"
    list_select_related = ["officer"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    list_display = ["kind", "recipient", "channel", "due_at", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient__email", "idempotency_key"]
    date_hierarchy = "due_at"
    list_select_related = ["recipient"]
