from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from participants.admin import OfficerAdmin
from participants.admin_base import (
    ReadOnlyModelAdmin,
    ReadOnlyTabularInline,
    SergeantModelAdmin,
    SergeantTabularInline,
)
from participants.models import Borough

from . import booking, concerns, exports, referrals
from .models import (
    LONDON,
    AvailabilityException,
    AvailabilityWindow,
    Concern,
    ConcernCategory,
    ConcernUpdate,
    Disclosure,
    Partner,
    Referral,
    ReferralQuerySet,
    RoutingRule,
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


class ReferralInline(ReadOnlyTabularInline):
    """Who the concern went to, each referral in turn (the current one has no end)."""

    model = Referral
    fields = [
        "partner",
        "team",
        "state",
        "referred_at",
        "acknowledged_at",
        "target_date",
        "fixed_at",
        "ended_at",
        "chased_at",
    ]
    readonly_fields = fields
    verbose_name_plural = "referrals (its history with partners)"


class RerouteForm(forms.Form):
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.filter(is_active=True),
        label="Re-route to",
        help_text="The partner's contacts get the referral email, with a link to answer it.",
    )
    team = forms.CharField(
        max_length=120, required=False, help_text="Which part of the partner, e.g. “street lighting”."
    )


@admin.register(Concern)
class ConcernAdmin(SergeantModelAdmin):
    list_display = ["category", "location_text", "ward", "severity", "status", "partner", "created_at"]
    list_filter = ["status", "severity", "category", "partner", "ward__borough"]
    search_fields = ["location_text", "action"]
    date_hierarchy = "created_at"
    list_select_related = ["category", "ward", "partner"]
    # The partner follows the current referral (patrols/referrals.py): re-route it with the action.
    readonly_fields = [
        "walk",
        "officer",
        "ward",
        "partner",
        "draft_key",
        "created_at",
        "updated_at",
        "resolved_at",
    ]
    inlines = [ReferralInline, ConcernUpdateInline]
    actions = ["reroute", "mark_referred", "mark_resolved", "export_csv"]

    @admin.action(description="Re-route to another partner…")
    def reroute(self, request, queryset):
        form = RerouteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for concern in queryset.select_related("partner"):
                try:
                    referrals.refer(
                        concern=concern,
                        partner=form.cleaned_data["partner"],
                        by=request.user,
                        team=form.cleaned_data["team"],
                    )
                    done += 1
                except concerns.ConcernError as error:
                    self.message_user(request, f"{concern}: {error}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    f"Re-routed {done} concern(s) to {form.cleaned_data['partner']}; its contacts are sent "
                    "the referral.",
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Re-route to another partner",
            "objects": queryset.select_related("category", "ward", "partner"),
            "form": form,
            "action": "reroute",
            "question": "Send these concerns to another partner? The partner each is with now stops "
            "seeing it; the new one is sent the referral.",
            "confirm": "Re-route them",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/patrols/confirm_action.html", context)

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


# --- Partners, routing and referrals (issue 15) ----------------------------------------------------

EMAIL_SEPARATORS = re.compile(r"[\s,;]+")
MAX_CONTACTS = 10  # the model's ArrayField size


class ContactEmailsField(forms.CharField):
    """The partner's contact emails as one box: addresses separated by commas, spaces or new lines.
    Each is checked, and a bad one is named in the message (Django's array field says only "item 2")."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        emails: list[str] = []
        for email in EMAIL_SEPARATORS.split(text):
            if email and email.lower() not in {e.lower() for e in emails}:
                emails.append(email)
        return emails

    def validate(self, value) -> None:
        super().validate(value)
        errors = []
        for email in value:
            try:
                validate_email(email)
            except ValidationError:
                shown = email if len(email) <= 60 else f"{email[:57]}…"
                errors.append(ValidationError(f"“{shown}” is not an email address.", code="invalid"))
        if errors:
            raise ValidationError(errors[:5])
        if len(value) > MAX_CONTACTS:
            raise ValidationError(
                f"Give at most {MAX_CONTACTS} addresses (there are {len(value)}): a team's shared address "
                "reaches everyone in it.",
                code="too_many",
            )


class PartnerForm(forms.ModelForm):
    contact_emails = ContactEmailsField(
        label="Contact emails for referrals",
        required=False,  # an organisation that takes no referrals may have none (see clean)
        help_text="One or more addresses, separated by commas or on lines of their own. Each referral "
        "goes to all of them.",
    )

    class Meta:
        model = Partner
        fields = ["name", "kind", "boroughs", "contact_emails", "is_active"]
        widgets = {"boroughs": forms.CheckboxSelectMultiple}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_active") and "contact_emails" in cleaned and not cleaned["contact_emails"]:
            self.add_error(
                "contact_emails",
                "A partner that takes referrals needs at least one contact email: each referral is sent "
                "to these addresses. Add one, or untick “takes referrals”.",
            )
        return cleaned


def referral_list_url(**params) -> str:
    from urllib.parse import urlencode

    return reverse("admin:patrols_referral_changelist") + ("?" + urlencode(params) if params else "")


@admin.register(Partner)
class PartnerAdmin(SergeantModelAdmin):
    """The organisations referrals go to, and who to email there."""

    form = PartnerForm
    list_display = ["name", "kind", "borough_names", "current_referrals", "is_active"]
    list_filter = ["kind", "is_active", "boroughs"]
    search_fields = ["name"]

    def get_queryset(self, request):
        current = (
            Referral.objects.filter(partner=OuterRef("pk"), ended_at__isnull=True)
            .values("partner")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        boroughs = Borough.objects.filter(partners=OuterRef("pk")).order_by("name").values("name")
        # Subqueries, not joins, so neither figure multiplies the other; one query for the whole list.
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_count=Coalesce(Subquery(current, output_field=IntegerField()), 0),
                borough_list=ArraySubquery(boroughs),
            )
        )

    @admin.display(description="boroughs covered")
    def borough_names(self, partner) -> str:
        return ", ".join(partner.borough_list) or "All of London"

    @admin.display(description="current referrals", ordering="current_count")
    def current_referrals(self, partner):
        url = referral_list_url(partner__id__exact=partner.pk, current="yes")
        return format_html('<a href="{}">{}</a>', url, partner.current_count)


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["category", "borough", "partner", "team"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(SergeantModelAdmin):
    """Category × borough → partner: who the officer is offered when she refers a concern."""

    form = RoutingRuleForm
    list_display = ["rule", "category", "borough", "partner", "team"]
    list_editable = ["category", "borough", "partner", "team"]
    list_filter = ["partner", "borough", "category"]
    list_select_related = ["category", "borough", "partner"]

    @admin.display(description="rule")
    def rule(self, rule) -> str:
        what = rule.category.name if rule.category_id else "Anything"
        where = f"in {rule.borough.name}" if rule.borough_id else "anywhere"
        return f"{what} {where}"

    def get_changelist_form(self, request, **kwargs):
        # Each row's drop-downs would query their choices again, row by row: ask once for the page.
        choices: dict[str, list] = {}

        class RowForm(RoutingRuleForm):
            """A row of the rule list; its inputs are named for the rule ("Partner: Badly lit in
            Lambeth"), since the changelist names them only by the column heading (axe: "label")."""

            def __init__(form, *args, **kw):
                super().__init__(*args, **kw)
                name = self.rule(form.instance) if form.instance.pk else "new rule"
                for field_name, field in form.fields.items():
                    if isinstance(field, forms.ModelChoiceField):
                        if field_name not in choices:
                            choices[field_name] = list(field.choices)
                        field.choices = choices[field_name]
                    label = str(field.label or field_name).capitalize()
                    # The admin wraps a drop-down in a "+ add" widget: the name goes on the select itself.
                    widget = getattr(field.widget, "widget", field.widget)
                    widget.attrs = {**widget.attrs, "aria-label": f"{label}: {name}"}

        return super().get_changelist_form(request, form=RowForm, **kwargs)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except IntegrityError:
            # Two rows of one save made the same rule "anything × this borough": the form cannot see
            # that (a unique check across rows skips empty cells), the database refuses it.
            self.message_user(
                request,
                "Nothing was saved: two rules would be for the same category and borough. Change one "
                "of them and save again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())


class CurrentFilter(admin.SimpleListFilter):
    title = "with the partner now"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", "With the partner now"), ("no", "Ended (re-routed, not theirs, won’t fix)")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.current()
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class AcknowledgedFilter(admin.SimpleListFilter):
    title = "acknowledgement"
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return [
            ("on_time", "Within 5 working days"),
            ("late", "After 5 working days"),
            ("waiting", "Unacknowledged after 5 working days"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "on_time":
            return queryset.filter(ReferralQuerySet.ACKNOWLEDGED_ON_TIME)
        if self.value() == "late":
            return queryset.filter(acknowledged_at__gt=F("ack_due_at"))
        if self.value() == "waiting":
            return queryset.unacknowledged_after(timezone.now())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Past its target date, not fixed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue(timezone.localdate(timezone.now(), LONDON))
        return queryset


class FixedFilter(admin.SimpleListFilter):
    title = "fixed"
    parameter_name = "fixed"

    def lookups(self, request, model_admin):
        return [("yes", "Fixed"), ("no", "Not fixed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(fixed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(fixed_at__isnull=True)
        return queryset


@admin.register(Referral)
class ReferralAdmin(ReadOnlyModelAdmin):
    """Every referral, current and past: history nobody edits. The sergeant can withdraw a partner's
    link or send a new one (both asked first: the partner sees the change)."""

    list_display = [
        "concern",
        "partner",
        "team",
        "state",
        "referred_at",
        "acknowledged_at",
        "target_date",
        "overdue",
        "chased_at",
    ]
    list_filter = [
        "partner",
        "state",
        AcknowledgedFilter,
        OverdueFilter,
        FixedFilter,
        CurrentFilter,
        "concern__ward__borough",
    ]
    search_fields = ["concern__location_text", "partner__name", "team"]
    date_hierarchy = "referred_at"
    list_select_related = ["concern__category", "partner"]
    actions = ["revoke_links", "send_new_links"]

    def lookup_allowed(self, lookup, value, request=None):
        # The dashboard's links narrow the list to its area and period (a ward, a borough, dates).
        if lookup in {"concern__ward__id__exact", "concern__ward__borough__id__exact"}:
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(boolean=True, description="overdue")
    def overdue(self, referral) -> bool:
        return referral.is_overdue

    def _confirm(self, request, queryset, *, action: str, title: str, question: str, confirm: str, rows):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "rows": rows,
            "action": action,
            "question": question,
            "confirm": confirm,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/patrols/confirm_action.html", context)

    @admin.action(description="Revoke the partner's link…")
    def revoke_links(self, request, queryset):
        queryset = queryset.select_related("concern__category", "partner")
        if "apply" in request.POST:
            for referral in queryset:
                referrals.revoke_link(referral=referral, by=request.user)
            self.message_user(
                request,
                f"Revoked the link of {len(queryset)} referral(s): the partner can no longer open it. Send "
                "a new link when they need one.",
                messages.SUCCESS,
            )
            return None
        return self._confirm(
            request,
            queryset,
            action="revoke_links",
            title="Revoke the partner's link",
            question="Withdraw the link of these referrals? Every link sent for them stops working at "
            "once; the partner sees a page saying it was withdrawn.",
            confirm="Yes, revoke the links",
            rows=[f"{r} — {r.partner}" for r in queryset],
        )

    @admin.action(description="Send the partner a new link…")
    def send_new_links(self, request, queryset):
        queryset = queryset.select_related("concern__category", "partner")
        if "apply" in request.POST:
            sent = 0
            for referral in queryset:
                try:
                    referrals.send_new_link(referral=referral, by=request.user)
                    sent += 1
                except referrals.ReferralError as error:
                    self.message_user(request, f"{referral}: {error}", messages.ERROR)
            if sent:
                self.message_user(
                    request,
                    f"Sent a new link for {sent} referral(s) to the partner's contacts; earlier links no "
                    "longer work.",
                    messages.SUCCESS,
                )
            return None
        return self._confirm(
            request,
            queryset,
            action="send_new_links",
            title="Send the partner a new link",
            question="Email a new link for these referrals to the partner's contacts? Earlier links stop "
            "working.",
            confirm="Yes, send new links",
            rows=[f"{r} — to {', '.join(r.partner.contact_emails) or 'nobody yet'}" for r in queryset],
        )


# The partners' API keys have an admin module of their own; importing it registers it.
from . import admin_keys  # noqa: E402, F401
