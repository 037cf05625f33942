from __future__ import annotations

from . import admin_keys  # noqa: F401  # isort: skip — the API keys admin, a module of its own
from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from participants.admin import OfficerAdmin
from participants.admin_base import (
    ReadOnlyModelAdmin,
    ReadOnlyTabularInline,
    SergeantModelAdmin,
    SergeantTabularInline,
)

from . import booking, concerns, exports
from .models import (
    AvailabilityException,
    AvailabilityWindow,
    Concern,
    ConcernCategory,
    ConcernUpdate,
    Disclosure,
    SafetyRating,
    Walk,
    WalkEvent,
)


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


class ConcernCategoryRowForm(forms.ModelForm):
    """A row of the category list: its editable cells are named for the category ("Position: Badly lit"),
    since Django's changelist names them only by the column heading (axe: "label")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = str(field.label or name).capitalize()
            field.widget.attrs["aria-label"] = f"{label}: {self.instance.name}" if self.instance.pk else label


@admin.register(ConcernCategory)
class ConcernCategoryAdmin(SergeantModelAdmin):
    """The sergeant edits the list of categories officers choose from."""

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ConcernCategoryRowForm, **kwargs)

    list_display = ["name", "code", "group", "position", "is_active", "colour"]
    prepopulated_fields = {"code": ["name"]}
    list_editable = ["position", "is_active"]
    list_filter = ["group", "is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None):
        return False  # concerns refer to it: switch it off instead


class ConcernUpdateInline(ReadOnlyTabularInline):
    model = ConcernUpdate
    fields = ["at", "by", "old_status", "new_status", "note"]
    readonly_fields = fields


@admin.register(Concern)
class ConcernAdmin(SergeantModelAdmin):
    list_display = ["category", "location_text", "ward", "severity", "status", "partner", "created_at"]
    list_filter = ["status", "severity", "category", "partner", "ward__borough"]
    search_fields = ["location_text", "action"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "ward"]
    readonly_fields = ["walk", "officer", "ward", "draft_key", "created_at", "updated_at", "resolved_at"]
    inlines = [ConcernUpdateInline]
    actions = ["mark_referred", "mark_resolved", "export_csv"]

    def _move(self, request, queryset, status: str, note: str) -> None:
        moved = 0
        for concern in queryset:
            try:
                concerns.add_update(concern=concern, by=request.user, note=note, new_status=status)
                moved += 1
            except concerns.ConcernError as error:
                self.message_user(request, f"{concern}: {error}", messages.WARNING)
        if moved:
            self.message_user(request, f"{moved} concern(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Mark as referred")
    def mark_referred(self, request, queryset):
        self._move(request, queryset, Concern.Status.REFERRED, "Marked as referred by the sergeant")

    @admin.action(description="Mark as resolved (the resident is asked if it is fixed)")
    def mark_resolved(self, request, queryset):
        self._move(request, queryset, Concern.Status.RESOLVED, "Marked as resolved by the sergeant")

    @admin.action(description="Export the selected concerns for partners (CSV)")
    def export_csv(self, request, queryset):
        return exports.csv_response(
            queryset.select_related("category", "ward__borough"), "concerns-selected.csv"
        )


@admin.register(Disclosure)
class DisclosureAdmin(SergeantModelAdmin):
    """Restricted: sergeants only (the whole admin is), and never exported."""

    list_display = ["created_at", "officer", "referred_to", "reference"]
    list_filter = ["officer"]
    date_hierarchy = "created_at"
    list_select_related = ["officer"]
    readonly_fields = ["walk", "officer", "created_at"]

    def has_add_permission(self, request):
        return False  # recorded by the officer on the walk


@admin.register(AvailabilityWindow)
class AvailabilityWindowAdmin(SergeantModelAdmin):
    list_display = ["officer", "weekday", "start_time", "end_time"]
    list_filter = ["weekday", "officer"]
    list_select_related = ["officer"]


@admin.register(SafetyRating)
class SafetyRatingAdmin(ReadOnlyModelAdmin):
    """How safe residents feel after walks; written by residents only."""

    list_display = ["created_at", "rating", "resident", "walk"]
    list_filter = ["rating", "resident__ward__borough"]
    date_hierarchy = "created_at"
    list_select_related = ["resident", "walk"]
