from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from .inputs import StatedLimitsMixin
from .models import ContactChannel, Resident, Ward

SAFETY_CHOICES = [
    (1, _("1 — Very unsafe")),
    (2, _("2 — Quite unsafe")),
    (3, _("3 — Neither safe nor unsafe")),
    (4, _("4 — Quite safe")),
    (5, _("5 — Very safe")),
]


def grouped_ward_choices() -> list:
    """Wards grouped by borough (<optgroup>), so she finds hers quickly."""
    groups: dict[str, list] = {}
    for ward in Ward.objects.select_related("borough").order_by("borough__name", "name"):
        groups.setdefault(ward.borough.name, []).append((ward.pk, ward.name))
    return [("", "Choose your ward"), *groups.items()]


class ResidentProfileForm(StatedLimitsMixin, forms.ModelForm):
    ward = forms.ModelChoiceField(
        queryset=Ward.objects.all(),
        label=_("Your ward"),
        help_text=_(
            "The council ward you live or walk in. We never ask for your home address. "
            "Not sure? Your council's website has a postcode look-up."
        ),
    )
    mobile = PhoneNumberField(
        label=_("UK mobile number"),
        region="GB",
        required=False,
        help_text=_("Only needed if you would like text messages: 11 digits starting 07."),
        error_messages={"invalid": _("Enter a UK mobile number: 11 digits starting 07.")},
    )
    baseline_safety = forms.TypedChoiceField(
        label=_("How safe do you feel walking in your area now?"),
        choices=SAFETY_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_(
            "1 is very unsafe, 5 is very safe. We ask again after your walks, to see if the scheme helps."
        ),
    )

    class Meta:
        model = Resident
        fields = [
            "preferred_name",
            "ward",
            "contact_channel",
            "mobile",
            "mention_police_in_messages",
            "language",
            "access_needs",
            "usual_walk_times",
            "baseline_safety",
        ]
        labels = {
            "preferred_name": _("What would you like to be called?"),
            "contact_channel": _("How should we contact you?"),
            "mention_police_in_messages": _("Messages to me may mention the police"),
            "language": _("Which language would you prefer to walk and talk in?"),
            "access_needs": _("Anything that would help you on a walk (optional)"),
            "usual_walk_times": _("When do you usually walk, or feel least safe? (optional)"),
        }
        help_texts = {
            "preferred_name": _("A first name or nickname is fine. Your officer will use it."),
            "mention_police_in_messages": _(
                "Leave this unticked if someone else might see your phone or "
                "emails: our messages will then just say “Walk and Talk”."
            ),
            "access_needs": _("In your own words, e.g. “I use a wheelchair” or “I walk with a pushchair”."),
            "usual_walk_times": _("For example “weekday evenings after work, around 7pm”."),
        }
        widgets = {
            "contact_channel": forms.RadioSelect,
            "access_needs": forms.Textarea(attrs={"rows": 2}),
            "usual_walk_times": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A ModelChoiceField keeps manually set choices for display; validation still uses the queryset.
        self.fields["ward"].choices = grouped_ward_choices()

    def clean_preferred_name(self) -> str:
        name = self.cleaned_data["preferred_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name you would like to be called."))
        return name

    def clean_mobile(self):
        number = self.cleaned_data.get("mobile")
        if number and not str(number).startswith("+447"):
            raise forms.ValidationError(
                _("That is not a mobile number. Enter a UK mobile number: 11 digits starting 07.")
            )
        return number

    def clean(self):
        cleaned = super().clean()
        wants_sms = cleaned.get("contact_channel") == ContactChannel.SMS
        if wants_sms and not cleaned.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", _("Enter your mobile number so we can send you text messages."))
        return cleaned


class ResidentSignupProfileForm(ResidentProfileForm):
    """The profile form at sign-up: the same questions plus consent to the privacy notice."""

    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree to Walk and Talk keeping these details"),
        error_messages={"required": _("You need to agree to the privacy notice to join the scheme.")},
    )


ERASE_WORD = "ERASE"


class EraseAccountForm(forms.Form):
    """She confirms by typing a word, so a slip of the thumb never erases her account."""

    confirm = forms.CharField(
        label=format_lazy(_("Type {word} to confirm"), word=ERASE_WORD),
        max_length=200,
        error_messages={
            "required": format_lazy(_("Type {word} to confirm. Nothing has been erased."), word=ERASE_WORD)
        },
    )

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value.upper() != ERASE_WORD:
            raise forms.ValidationError(
                format_lazy(
                    _("That isn't {word}, so nothing has been erased. Type {word} to confirm."),
                    word=ERASE_WORD,
                )
            )
        return value
