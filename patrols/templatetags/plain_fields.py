"""`{{ form.field|plain_field }}`: a text field with its label, help and errors, in the markup
crispy-bootstrap5's `as_crispy_field` gives (the same ids, classes and aria attributes), built in
Python. On Book a walk crispy's template machinery was a fifth of the page's time (issue 16), for three
plain fields; pages with other kinds of field keep crispy."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
ASTERISK = mark_safe('<span class="asteriskField">*</span>')


@register.filter
def plain_field(bound: BoundField) -> SafeString:
    """A text input or textarea as crispy-bootstrap5 renders it; anything else is refused (use crispy)."""
    widget = bound.field.widget
    if not isinstance(widget, forms.TextInput | forms.Textarea) or isinstance(widget, forms.HiddenInput):
        raise TypeError(f"plain_field renders text inputs and textareas only, not {type(widget).__name__}")
    auto_id, errors = bound.auto_id, bound.errors
    described_by = []
    if bound.help_text:
        described_by.append(f"{auto_id}_helptext")
    if errors:
        described_by.append(f"{auto_id}_error")
    css = "textarea form-control" if isinstance(widget, forms.Textarea) else "textinput form-control"
    attrs = {"class": css + (" is-invalid" if errors else "")}
    if errors:
        attrs["aria-invalid"] = "true"
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    required = bound.field.required
    label = format_html(
        '<label for="{}" class="form-label{}">{}{}</label>',
        auto_id,
        " requiredField" if required else "",
        bound.label,
        ASTERISK if required else "",
    )
    error_html = ""
    if errors:
        error_html = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            auto_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, auto_id, error) for n, error in enumerate(errors, start=1)),
            ),
        )
    help_html = (
        format_html('<div id="{}_helptext" class="form-text">{}</div>', auto_id, bound.help_text)
        if bound.help_text
        else ""
    )
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}{}</div>',
        auto_id,
        label,
        bound.as_widget(attrs=attrs),
        error_html,
        help_html,
    )
