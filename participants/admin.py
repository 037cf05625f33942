from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.template.response import TemplateResponse

from . import pairing
from .admin_base import (
    ReadOnlyModelAdmin,
    ReadOnlyTabularInline,
    SergeantModelAdmin,
    SergeantTabularInline,
)
from .audit import record_event
from .models import (
    AuditEvent,
    Borough,
    Officer,
    Pairing,
    Resident,
    User,
    WaitingResident,
    Ward,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SergeantModelAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]


class WardInline(SergeantTabularInline):
    model = Ward
    extra = 0


@admin.register(Borough)
class BoroughAdmin(SergeantModelAdmin):
    list_display = ["name", "ward_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WardInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ward_count=Count("wards"))

    @admin.display(description="wards", ordering="ward_count")
    def ward_count(self, borough):
        return borough.ward_count


@admin.register(Ward)
class WardAdmin(SergeantModelAdmin):
    list_display = ["name", "borough"]
    list_filter = ["borough"]
    search_fields = ["name"]
    list_select_related = ["borough"]


def _with_load(queryset: QuerySet[Officer]) -> QuerySet[Officer]:
    return queryset.annotate(
        active_residents=Count("pairings", filter=Q(pairings__ended_at__isnull=True), distinct=True)
    )


@admin.register(Officer)
class OfficerAdmin(SergeantModelAdmin):
    list_display = ["display_name", "collar_number", "is_active", "load", "capacity"]
    list_filter = ["is_active", "wards__borough"]
    search_fields = ["display_name", "collar_number", "user__email"]
    filter_horizontal = ["wards"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return _with_load(super().get_queryset(request))

    @admin.display(description="residents", ordering="active_residents")
    def load(self, officer):
        return f"{officer.active_residents} of {officer.capacity}"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Wards are saved only now: then see who can be paired, or re-paired if she left the scheme.
        pairing.officer_changed(officer=form.instance, by=request.user)


class PairingInline(ReadOnlyTabularInline):
    model = Pairing
    fk_name = "resident"
    fields = ["officer", "started_at", "started_by", "start_reason", "ended_at", "ended_by", "end_reason"]
    readonly_fields = fields
    verbose_name_plural = "pairing history"


class ReassignForm(forms.Form):
    officer = forms.ModelChoiceField(
        queryset=Officer.objects.none(),
        label="New officer",
        help_text="Residents now ÷ capacity in brackets.",
    )
    reason = forms.CharField(max_length=200, help_text="Kept in the pairing history; not shown to her.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        officers = _with_load(Officer.objects.filter(is_active=True)).order_by("display_name")
        self.fields["officer"].queryset = officers
        self.fields["officer"].label_from_instance = lambda o: f"{o} ({o.active_residents}/{o.capacity})"


class EndPairingForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Kept in the pairing history.")


class AuditedResidentViewMixin:
    """Opening a resident's record in the admin is written to the audit log."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # A missing record redirects (302); a saved change is logged by the audit signals.
        if request.method == "GET" and response.status_code == 200:
            record_event(
                actor=request.user,
                action=AuditEvent.Action.VIEWED,
                object_type="participants.resident",
                object_id=object_id,
                request=request,
                detail="admin: resident record",
            )
        return response


class CurrentOfficerMixin:
    def get_queryset(self, request):
        current = Pairing.objects.filter(resident=OuterRef("pk"), ended_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .select_related("ward__borough", "user")
            .annotate(current_officer=Subquery(current.values("officer__display_name")[:1]))
        )

    @admin.display(description="officer", ordering="current_officer")
    def officer(self, resident):
        return resident.current_officer or "—"


class WaitingFilter(admin.SimpleListFilter):
    title = "pairing"
    parameter_name = "pairing"

    def lookups(self, request, model_admin):
        return [("paired", "Paired"), ("waiting", "On the waiting list")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(waiting_since__isnull=False)
        if self.value() == "paired":
            return queryset.filter(pairings__ended_at__isnull=True, pairings__isnull=False)
        return queryset


@admin.register(Resident)
class ResidentAdmin(AuditedResidentViewMixin, CurrentOfficerMixin, SergeantModelAdmin):
    list_display = ["preferred_name", "ward", "officer", "waiting_since", "language", "created_at"]
    list_filter = [WaitingFilter, "ward__borough", "language", "contact_channel"]
    search_fields = ["preferred_name", "user__email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "privacy_consent_at",
        "waiting_since",
        "retention_warned_at",
        "erased_at",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["user", "ward"]
    inlines = [PairingInline]
    actions = ["reassign", "end_pairing"]

    @admin.action(description="Reassign to another officer…")
    def reassign(self, request: HttpRequest, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for resident in queryset:
                try:
                    pairing.reassign_resident(
                        resident=resident,
                        officer=form.cleaned_data["officer"],
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    done += 1
                except pairing.PairingError as error:
                    self.message_user(request, f"{resident}: {error}", messages.ERROR)
            if done:
                self.message_user(
                    request, f"Reassigned {done} resident(s); each has been told.", messages.SUCCESS
                )
            return None
        return self._action_page(request, queryset, form, "reassign", "Reassign to another officer")

    @admin.action(description="End pairing…")
    def end_pairing(self, request: HttpRequest, queryset):
        form = EndPairingForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ended = 0
            for resident in queryset:
                current = pairing.active_pairing(resident)
                if current is None:
                    self.message_user(request, f"{resident} is not paired.", messages.WARNING)
                    continue
                pairing.end_pairing(pairing=current, by=request.user, reason=form.cleaned_data["reason"])
                ended += 1
            if ended:
                self.message_user(
                    request,
                    f"Ended {ended} pairing(s). Each resident was paired with another officer or joined "
                    "the waiting list, and has been told.",
                    messages.SUCCESS,
                )
            return None
        return self._action_page(request, queryset, form, "end_pairing", "End pairing")

    def _action_page(self, request, queryset, form, action: str, title: str):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "residents": queryset,
            "form": form,
            "action": action,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/participants/resident_action.html", context)


@admin.register(WaitingResident)
class WaitingListAdmin(AuditedResidentViewMixin, CurrentOfficerMixin, SergeantModelAdmin):
    """The waiting list, oldest first, with the same actions as residents."""

    list_display = ["preferred_name", "ward", "waiting_since", "language"]
    list_filter = ["ward__borough"]
    search_fields = ["preferred_name", "user__email"]
    ordering = ["waiting_since", "pk"]
    actions = ["reassign"]
    reassign = ResidentAdmin.reassign
    _action_page = ResidentAdmin._action_page

    def has_add_permission(self, request):
        return False


@admin.register(Pairing)
class PairingAdmin(ReadOnlyModelAdmin):
    list_display = ["resident", "officer", "started_at", "start_reason", "ended_at", "end_reason"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter), "officer"]
    search_fields = ["resident__preferred_name", "officer__display_name", "officer__collar_number"]
    date_hierarchy = "started_at"
    list_select_related = ["resident", "officer"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """The audit log, for sergeants to read. Nobody can add, change or delete an event here (nor in
    the database: see the append-only trigger in migration 0004)."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "summary", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "=object_id", "path"]
    date_hierarchy = "at"
    fields = [
        "at",
        "actor",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "summary",
        "path",
        "ip_address",
    ]
    readonly_fields = fields
    list_select_related = ["actor"]
