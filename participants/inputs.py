"""Limits on what people type, shared by every app's forms (this is the lowest app, so all may import it).

Text: every free-text field has a limit, says it in words ("Up to 1,000 characters.", for people
without JavaScript and for screen readers), and refuses a longer value with a message, keeping what she
typed. The ``maxlength`` attribute is taken off: a browser silently cuts a pasted text at that length,
which is the truncation we refuse on the server. static/js/char-count.js reads ``data-maxlength``
instead and counts as she types (the GOV.UK character count's approach).

Dates: well-formed dates at the ends of the calendar (0001-01-01, 9999-12-31) are real ``date``
values, but one day's arithmetic past them overflows; no date the scheme means is there.
"""

from __future__ import annotations

import html
from datetime import date
from functools import lru_cache

from django import forms
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language, gettext

FIRST_YEAR = 2000
YEARS_AHEAD = 10

# Fields that hold no free text of hers: secrets, hidden values, choices.
_NOT_FREE_TEXT = (forms.HiddenInput, forms.PasswordInput, forms.Select, forms.RadioSelect)


def too_long_message(limit: int) -> str:
    """In the active language; %(show_value)s is left for Django's validator to fill in."""
    return gettext("Please shorten this to %(limit)s characters or fewer (it has %%(show_value)s).") % {
        "limit": number_format(limit, force_grouping=True)
    }


def state_limit(field: forms.Field) -> None:
    """Say a text field's limit in its help text, refuse past it with a clear message, and let the
    character count (not the browser) enforce it as she types."""
    if not isinstance(field, forms.CharField) or not field.max_length:
        return
    if isinstance(field.widget, _NOT_FREE_TEXT) or isinstance(field, forms.EmailField | forms.UUIDField):
        return
    field.widget.attrs.pop("maxlength", None)
    field.widget.attrs["data-maxlength"] = str(field.max_length)
    field.error_messages["max_length"], limit = _limit_words(get_language(), field.max_length)
    if limit not in str(field.help_text):
        field.help_text = f"{field.help_text} {limit}" if field.help_text else limit


@lru_cache(maxsize=256)
def _limit_words(language: str, limit: int) -> tuple[str, str]:
    """The refusal and the help text's words for a limit, in the active language (`language` is the
    cache's key only): worked out once, not for each field of each form (issue 16)."""
    words = gettext("Up to %(limit)s characters.") % {"limit": number_format(limit, force_grouping=True)}
    return too_long_message(limit), words


class StatedLimitsMixin:
    """For a form: every text field says and enforces its limit (see state_limit)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            state_limit(field)


def date_range() -> tuple[date, date]:
    """The dates a person may mean here: from 2000 to ten years ahead."""
    today = timezone.localdate()
    return date(FIRST_YEAR, 1, 1), date(today.year + YEARS_AHEAD, 12, 31)


def date_out_of_range_message(noun: str = "date") -> str:
    first, last = date_range()
    years = {"first": first.year, "last": last.year}
    if noun == "date":
        return gettext("Choose a date between %(first)s and %(last)s.") % years
    return gettext("Choose a %(noun)s between %(first)s and %(last)s.") % {**years, "noun": noun}


class BoundedDateField(forms.DateField):
    """A date from 2000 to ten years ahead; anything else is refused with a message, never a 500."""

    def __init__(self, *args, noun: str = "date", **kwargs):
        self.noun = noun
        super().__init__(*args, **kwargs)

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        first, last = date_range()
        if not first <= value <= last:
            raise forms.ValidationError(
                self.error_messages.get("out_of_range") or date_out_of_range_message(self.noun),
                code="out_of_range",
            )


def check_date_in_range(value) -> None:
    """A validator for any date or date-and-time field (the admin's, say): within date_range()."""
    if value is None:
        return
    day = value.date() if hasattr(value, "date") and callable(value.date) else value
    first, last = date_range()
    if not first <= day <= last:
        raise forms.ValidationError(date_out_of_range_message(), code="out_of_range")


def limited_text(limit: int, *args, **kwargs) -> models.TextField:
    """A model TextField with a limit that forms (max_length) and full_clean() (the validator) both
    keep. The column stays `text`: rows written before the limit stay readable, never cut."""
    return models.TextField(*args, max_length=limit, validators=[MaxLengthValidator(limit)], **kwargs)


def _html_attrs(attrs: dict) -> SafeString:
    """Django's widgets/attrs.html in Python: False leaves an attribute out, True writes its bare name."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, str(value)),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


def quick_escape(text) -> str:
    """conditional_escape's result (Django's escape is html.escape), without its lazy-string
    machinery: for markup built in a loop of hundreds (680 ward options, the dashboard's tables)."""
    return str(text) if isinstance(text, SafeData) else html.escape(str(text))


class QuickSelect(forms.Select):
    """Django's Select with the markup of its templates (select.html, select_option.html), built in
    Python. The dashboard's ward filter has London's ~680 wards: one template include per option was
    most of the page's rendering time (issue 16). tests/test_quick_select.py keeps the two identical."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        # Select.get_context()'s work, without a dict of attributes per option (optgroups and
        # create_option were most of the time left): the same choices, the same "selected" rule.
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        chosen = set(self.format_value(value))
        parts = [format_html('<select name="{}"{}>', name, _html_attrs(final_attrs))]
        has_selected = False
        for option_value, option_label in self.choices:
            group = isinstance(option_label, list | tuple)
            if group:
                parts.append(format_html('\n  <optgroup label="{}">', option_value))
            for sub_value, sub_label in option_label if group else [(option_value, option_label)]:
                sub_value = "" if sub_value is None else str(sub_value)
                selected = (not has_selected or self.allow_multiple_selected) and sub_value in chosen
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{quick_escape(sub_value)}"{" selected" if selected else ""}>'
                    f"{quick_escape(sub_label)}</option>\n"
                )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 — every value in it is escaped
