from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from participants.inputs import BoundedDateField, StatedLimitsMixin

from .acted_at import parse as parse_acted_at
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
    Walk,
)
from .reads import Joined
from .referrals import Answer

# Greater London's bounding box: a pin outside it is a mis-tap, not a meeting point.
LONDON_BOUNDS = {
    "south": Decimal("51.28"),
    "north": Decimal("51.70"),
    "west": Decimal("-0.52"),
    "east": Decimal("0.34"),
}


def check_in_london(form: forms.Form, lat_field: str, lng_field: str) -> None:
    """Both coordinates or neither, and inside Greater London; errors go on the form."""
    lat, lng = form.cleaned_data.get(lat_field), form.cleaned_data.get(lng_field)
    if (lat is None) != (lng is None):
        form.add_error(lat_field, _("The map pin is incomplete: tap the map again, or clear the pin."))
        return
    if lat is None:
        return
    inside = LONDON_BOUNDS["south"] <= lat <= LONDON_BOUNDS["north"] and (
        LONDON_BOUNDS["west"] <= lng <= LONDON_BOUNDS["east"]
    )
    if not inside:
        form.add_error(lat_field, _("That pin is outside Greater London. Move it to where you will meet."))


class SlotField(forms.CharField):
    """A slot travels as its start instant in ISO format; the booking service decides if it is free."""

    default_error_messages = {"invalid": "Choose one of the times shown."}

    def to_python(self, value) -> datetime | None:
        value = super().to_python(value)
        if not value:
            return None
        invalid = forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            # Well-formed but impossible (30 February, hour 25, offset +99:00) is a ValueError.
            parsed = parse_datetime(value)
        except ValueError:
            raise invalid from None
        if parsed is None or parsed.tzinfo is None:
            raise invalid
        try:
            # In UTC from here on: an instant past year 9999 or before year 1 once in UTC overflows
            # here, not later in the slot arithmetic; and no odd offset travels on to PostgreSQL.
            return parsed.astimezone(UTC)
        except OverflowError:
            raise invalid from None


class SlotChoiceForm(forms.Form):
    starts_at = SlotField(
        label=_("Choose a time"),
        error_messages={"required": _("Choose a time for your walk.")},
        widget=forms.HiddenInput,
    )


def limit(model, name: str) -> int:
    """A form field's limit is its column's: one number, kept on the model."""
    return model._meta.get_field(name).max_length


class BookingForm(StatedLimitsMixin, SlotChoiceForm):
    meeting_point = forms.CharField(
        label=_("Where shall we meet?"),
        max_length=limit(Walk, "meeting_point"),
        help_text=_("A public place, such as a station entrance, a shop or a library. Not your home."),
        error_messages={"required": _("Tell us where to meet: a public place near the start of your route.")},
    )
    meeting_latitude = forms.DecimalField(
        max_digits=8, decimal_places=6, required=False, widget=forms.HiddenInput
    )
    meeting_longitude = forms.DecimalField(
        max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput
    )
    route = forms.CharField(
        label=_("The route you usually take"),
        max_length=limit(Walk, "route"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Street names or landmarks are fine, e.g. “Rye Lane, then Bellenden Road to the park”."),
        error_messages={"required": _("Describe the route you usually take, so we can walk it with you.")},
    )
    known_worries = forms.CharField(
        label=_("Places that already worry you (optional)"),
        required=False,
        max_length=limit(Walk, "known_worries"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("You can also point them out on the walk."),
    )

    def clean(self):
        cleaned = super().clean()
        check_in_london(self, "meeting_latitude", "meeting_longitude")
        return cleaned


class CancelForm(StatedLimitsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why are you cancelling? (optional)"),
        required=False,
        max_length=limit(Walk, "cancel_reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_required:
            field = self.fields["reason"]
            field.required = True
            field.label = "Reason (the resident is told the walk is cancelled, and why)"
            field.error_messages["required"] = "Give a reason for cancelling."


class AvailabilityWindowForm(forms.ModelForm):
    class Meta:
        model = AvailabilityWindow
        fields = ["weekday", "start_time", "end_time"]
        labels = {"weekday": "Day", "start_time": _("From"), "end_time": _("Until")}
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error(
                "end_time", _("The window must end after it starts (windows can’t cross midnight).")
            )
        return cleaned


CHANGES_AHEAD = timedelta(days=2 * 366)
TWO_YEARS = {"out_of_range": "Choose a date in the next two years."}


class AvailabilityExceptionForm(StatedLimitsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What kind of change?"), choices=AvailabilityException.Kind.choices, widget=forms.RadioSelect
    )
    # Bounded too: 0001-01-01 is a real date, but its midnight in London is before year 1 in UTC.
    first_day = BoundedDateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}), error_messages=TWO_YEARS
    )
    last_day = BoundedDateField(
        label=_("Until (the last day)"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a single day."), error_messages=TWO_YEARS,
    )  # fmt: skip
    start_time = forms.TimeField(
        label=_("From time (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
        help_text=_("Leave the times empty for whole days."),
    )
    end_time = forms.TimeField(
        label=_("Until time (optional)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
    )
    note = forms.CharField(
        label=_("Note (optional)"), max_length=limit(AvailabilityException, "note"), required=False
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day") or cleaned.get("first_day")
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if not first:
            return cleaned
        if last < first:
            self.add_error("last_day", _("The last day can’t be before the first."))
            return cleaned
        # A change years ahead is a slip of the thumb (and the last possible date would overflow below).
        if last > timezone.localdate(timezone.now(), LONDON) + CHANGES_AHEAD:
            self.add_error("last_day" if cleaned.get("last_day") else "first_day", TWO_YEARS["out_of_range"])
            return cleaned
        if (start is None) != (end is None):
            self.add_error("end_time", _("Give both times, or neither for whole days."))
            return cleaned
        if cleaned.get("kind") == AvailabilityException.Kind.EXTRA and start is None:
            self.add_error("start_time", _("Give the times you are available."))
            return cleaned
        if start is not None and end <= start:
            self.add_error("end_time", _("The end time must be after the start time."))
            return cleaned
        cleaned["starts_at"] = _london(first, start or time.min)
        cleaned["ends_at"] = _london(last, end) if end else _london(last + timedelta(days=1), time.min)
        return cleaned


def _london(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LONDON)


class ActedAtField(forms.Field):
    """When she acted, by her phone's clock, on an action it queued with no signal (patrols/acted_at.py):
    set by static/js/outbox.js only when it sends a queued entry; absent, the server's time is used."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, label=_("When it was done"), **kwargs)

    def to_python(self, value) -> datetime | None:
        if value in self.empty_values:
            return None
        if not isinstance(value, str):
            raise forms.ValidationError(
                "The time this was done on the phone is not readable.", code="invalid"
            )
        return parse_acted_at(value, now=timezone.now())


class ActiveCategoryField(forms.ModelChoiceField):
    """A choice of the active concern categories (its queryset, for the list), the choice checked
    by a read written once (reads.Joined): the ORM's `queryset.get(pk=…)`, compiled on every concern
    POST, was a seventh of its time (issue 16). The same answers: the category, or "not one of the
    choices" for anything else (an inactive one, a number with no category, text)."""

    _ACTIVE = Joined(ConcernCategory, where="root.is_active AND root.id = %s")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, ConcernCategory):
            value = value.pk
        try:
            category = self._ACTIVE.first([int(str(value))])
        except (TypeError, ValueError):
            category = None
        if category is None:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return category


class ConcernForm(StatedLimitsMixin, forms.Form):
    """One short form for one thumb: where, what, how bad, when, what she said, what you will do."""

    latitude = forms.DecimalField(max_digits=8, decimal_places=6, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    location_text = forms.CharField(
        label=_("Street or landmark"),
        max_length=limit(Concern, "location_text"),
        required=False,
        help_text=_("E.g. “alley between Rye Lane and Holly Grove”. Or use your location, or tap the map."),
    )
    category = ActiveCategoryField(
        queryset=ConcernCategory.objects.filter(is_active=True),
        label=_("What is it about?"),
        empty_label=_("Choose…"),
        error_messages={"required": _("Choose what the concern is about.")},
    )
    severity = forms.ChoiceField(
        label=_("How bad?"),
        choices=Concern.Severity.choices,
        widget=forms.RadioSelect,
        initial=Concern.Severity.MEDIUM,
    )
    when_it_matters = forms.ChoiceField(label=_("When does it matter?"), choices=Concern.When.choices)
    resident_said = forms.CharField(
        label=_("What she said"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limit(Concern, "resident_said"),
    )  # fmt: skip
    action = forms.CharField(
        label=_("What you will do"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limit(Concern, "action"),
    )  # fmt: skip
    resident_said_shared = forms.BooleanField(
        label=_("Partners may read her words"), required=False,
        help_text=_("Unticked, her words stay with the police. Partners see the place, the category and "
        "what you will do; never who she is."),
    )  # fmt: skip
    draft_key = forms.UUIDField(widget=forms.HiddenInput)
    acted_at = ActedAtField()

    def clean(self):
        cleaned = super().clean()
        check_in_london(self, "latitude", "longitude")
        has_pin = cleaned.get("latitude") is not None and cleaned.get("longitude") is not None
        if not has_pin and not cleaned.get("location_text") and not self.has_error("latitude"):
            self.add_error(
                "location_text",
                _("Give a location: use your location, tap the map, or type a street or landmark."),
            )
        return cleaned


class ConcernPinForm(forms.Form):
    """A map pin added afterwards to a concern logged by street or landmark: one tap, then Save."""

    PICK = "Tap the map where the concern is, then save."
    _messages = {"invalid": PICK, "max_digits": PICK, "max_decimal_places": PICK, "max_whole_digits": PICK}
    latitude = forms.DecimalField(
        label=_("Map pin"), max_digits=8, decimal_places=6, required=False, widget=forms.HiddenInput,
        error_messages=_messages,
    )  # fmt: skip
    longitude = forms.DecimalField(
        label=_("Map pin"), max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput,
        error_messages=_messages,
    )  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        lat, lng = cleaned.get("latitude"), cleaned.get("longitude")
        if lat is None or lng is None:
            self.add_error("latitude", self.PICK)
            return cleaned
        inside = LONDON_BOUNDS["south"] <= lat <= LONDON_BOUNDS["north"] and (
            LONDON_BOUNDS["west"] <= lng <= LONDON_BOUNDS["east"]
        )
        if not inside:
            self.add_error("latitude", _("That pin is outside Greater London. Tap where the concern is."))
        return cleaned


class ConcernUpdateForm(StatedLimitsMixin, forms.Form):
    note = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limit(ConcernUpdate, "note"),
        help_text=_("E.g. “Reported to Lambeth highways, ref 1234”."),
        error_messages={"required": _("Write what happened.")},
    )
    new_status = forms.ChoiceField(
        label=_("Status now"),
        choices=[("", "No change"), *Concern.Status.choices],
        required=False,
    )
    closed_reason = forms.CharField(
        label=_("Reason for closing without a fix"),
        max_length=limit(Concern, "closed_reason"),
        required=False,
        help_text=_("Only when closing."),
    )  # fmt: skip
    share_with_partner = forms.BooleanField(required=False)
    # Set by the phone (static/js/outbox.js) when it queues the follow-up: sent twice, added once.
    action_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    acted_at = ActedAtField()

    def __init__(self, *args, partner: Partner | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a concern that is with a partner can share a note with one; the label names them.
        if partner is None:
            del self.fields["share_with_partner"]
        else:
            field = self.fields["share_with_partner"]
            field.label = f"Share this note with {partner}"
            field.help_text = (
                f"{partner} is emailed the note with their link. Leave it unticked for notes that speak "
                "of the resident: partners never see who she is."
            )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("new_status") == Concern.Status.CLOSED
            and not cleaned.get("closed_reason", "").strip()
        ):
            self.add_error("closed_reason", _("Give the reason for closing it without a fix."))
        return cleaned


class DisclosureForm(StatedLimitsMixin, forms.Form):
    what_was_said = forms.CharField(
        label=_("What she told you"), widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limit(Disclosure, "what_was_said"),
        error_messages={"required": _("Write what she told you, in her words where you can.")},
    )  # fmt: skip
    referral_made = forms.CharField(
        label=_("The referral you made"), widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limit(Disclosure, "referral_made"),
        error_messages={"required": _("Write the referral you made.")},
    )  # fmt: skip
    referred_to = forms.CharField(
        label=_("Referred to"),
        max_length=limit(Disclosure, "referred_to"),
        help_text=_("E.g. the MASH, Victim Support, CID"),
        error_messages={"required": _("Who did you refer it to?")},
    )
    reference = forms.CharField(
        label=_("Crime or referral reference (optional)"),
        max_length=limit(Disclosure, "reference"),
        required=False,
    )


class ConcernFilterForm(forms.Form):
    # Laid out by hand (templates/patrols/area_concerns.html), so the widgets carry Bootstrap's class:
    # a full-width select, 44 px tall on a phone, not the browser's small plain dropdown.
    category = forms.ModelChoiceField(
        queryset=ConcernCategory.objects.all(),
        required=False,
        empty_label=_("All categories"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *Concern.Status.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


# A partner's answer: the longest text any of its fields may hold (the update's note holds them all).
PARTNER_NOTE_LIMIT = 1000
PARTNER_REASON_LIMIT = 500
PARTNER_SUGGESTED_LIMIT = 200


class PartnerAnswerForm(StatedLimitsMixin, forms.Form):
    """The partner's one form (templates/patrols/partner_referral.html): an answer and what it needs.
    The rules (a target date not in the past, a reason for won't fix) are the service's; this form
    only keeps the input sane: known answers, real dates, bounded text."""

    kind = forms.ChoiceField(
        label=_("Your answer"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an answer."),
            "invalid_choice": _("Choose one of the answers."),
        },
    )
    target_date = BoundedDateField(
        label=_("Target date (for “We aim to fix it by a date”)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        noun="target date",
        error_messages={"invalid": _("Enter a real date, for example 27 3 2027.")},
    )
    reason = forms.CharField(
        label=_("Why you won’t fix it (for “We won’t fix it”)"),
        required=False,
        max_length=PARTNER_REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    suggested = forms.CharField(
        label=_("Who should have it instead (for “Not ours”, optional)"),
        required=False,
        max_length=PARTNER_SUGGESTED_LIMIT,
        help_text=_("E.g. “Network Rail” or “the housing association that owns the estate”."),
    )
    note = forms.CharField(
        label=_("Note or question (optional, needed for a question or a note)"),
        required=False,
        max_length=PARTNER_NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The officer and the sergeant read it; the resident sees your answer in plain words."),
    )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        # Each error on the field it is about (the service says the same, but only on the form's top).
        needs = {
            Answer.TARGET_DATE: ("target_date", "Give the date you aim to fix it by."),
            Answer.WONT_FIX: ("reason", "Say why you won’t fix it: the officer and the resident read it."),
            Answer.QUESTION: ("note", "Write your question."),
            Answer.NOTE: ("note", "Write your note."),
        }
        if kind in needs:
            name, message = needs[kind]
            value = cleaned.get(name)
            if not (value.strip() if isinstance(value, str) else value) and not self.has_error(name):
                self.add_error(name, message)
        return cleaned


class ReferForm(StatedLimitsMixin, forms.Form):
    """The officer (or the sergeant) refers a concern to a partner, or re-routes it to another."""

    partner = forms.ModelChoiceField(
        # Only partners that take referrals and have somebody to receive them.
        queryset=Partner.objects.filter(is_active=True, contact_emails__len__gt=0),
        label=_("Partner"),
        empty_label=_("Choose…"),
        error_messages={
            "required": _("Choose the partner to refer it to."),
            "invalid_choice": _("Choose one of the partners listed."),
        },
    )
    team = forms.CharField(
        label=_("Team (optional)"),
        required=False,
        max_length=limit(Referral, "team"),
        help_text=_("Which part of the partner, e.g. “street lighting”."),
    )


class ActionKeyForm(forms.Form):
    """The key a phone gives a walk action it may send more than once (issue 17); a plain form post
    from a browser without JavaScript has none and is simply done."""

    action_key = forms.UUIDField(required=False, error_messages={"invalid": "This action’s key is damaged."})
    acted_at = ActedAtField()
