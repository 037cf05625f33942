"""`{{ form.field|plain_field }}`: a text-like field or radio buttons with label, help and errors, in
the markup crispy-bootstrap5's `as_crispy_field` gives (the same ids, classes and aria attributes),
built in Python. Crispy's template machinery was a fifth of Book a walk's time and three quarters of
the partner page's (issue 16); fields of other kinds keep crispy."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.forms.widgets import Input
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()
ASTERISK = mark_safe('<span class="asteriskField">*</span>')


def _errors_html(auto_id: str, errors) -> str:
    if not errors:
        return ""
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        auto_id,
        format_html_join(
            "",
            '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((n, auto_id, error) for n, error in enumerate(errors, start=1)),
        ),
    )


def _help_html(bound: BoundField) -> str:
    if not bound.help_text:
        return ""
    return format_html('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id, bound.help_text)


def _described_by(bound: BoundField) -> list[str]:
    described_by = [f"{bound.auto_id}_helptext"] if bound.help_text else []
    return described_by + ([f"{bound.auto_id}_error"] if bound.errors else [])


@register.filter
def plain_field(bound: BoundField) -> SafeString:
    """A field as crispy-bootstrap5 renders it: a text-like input (text, date, number, email…) or a
    textarea with its label, or radio buttons in a fieldset with a legend. Anything else (checkboxes,
    selects, files) is refused: those keep crispy."""
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect):
        return _radios(bound)
    plain = isinstance(widget, forms.Textarea) or (
        isinstance(widget, Input)
        and not isinstance(widget, forms.HiddenInput | forms.FileInput | forms.CheckboxInput)
    )
    if not plain:
        raise TypeError(f"plain_field does not render {type(widget).__name__}: use crispy")
    auto_id, errors = bound.auto_id, bound.errors
    described_by = _described_by(bound)
    # crispy's class: the widget's class name, e.g. "textinput", "dateinput", "textarea".
    attrs = {"class": f"{type(widget).__name__.lower()} form-control" + (" is-invalid" if errors else "")}
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
    return format_html(
        '<div id="div_{}" class="mb-3">{}{}{}{}</div>',
        auto_id,
        label,
        bound.as_widget(attrs=attrs),
        _errors_html(auto_id, errors),
        _help_html(bound),
    )


def _radios(bound: BoundField) -> SafeString:
    """Radio buttons as crispy-bootstrap5 renders them: a fieldset named by its legend; the errors sit
    in the last option's box, after an `.is-invalid` input, where Bootstrap shows them."""
    auto_id, errors = bound.auto_id, bound.errors
    required = bound.field.required
    invalid = mark_safe(' aria-invalid="true"') if errors else ""
    options = list(bound.subwidgets)
    boxes = []
    for number, option in enumerate(options):
        last = number == len(options) - 1
        boxes.append(
            format_html(
                '<div class="form-check"><input type="radio" class="form-check-input{}" name="{}" '
                'value="{}" id="{}"{}{}{}><label for="{}" class="form-check-label">{}</label>{}</div>',
                " is-invalid" if errors else "",
                bound.html_name,
                option.data["value"],
                option.id_for_label,
                mark_safe(" checked") if option.data["selected"] else "",
                mark_safe(" required") if required else "",
                invalid,
                option.id_for_label,
                option.choice_label,
                _errors_html(auto_id, errors) if last else "",
            )
        )
    described_by = _described_by(bound)
    return format_html(
        '<div id="div_{}" class="mb-3"><fieldset{}><legend class="form-label{} fs-6">{}{}</legend>'
        "<div>{}</div>{}</fieldset></div>",
        auto_id,
        format_html(' aria-describedby="{}"', " ".join(described_by)) if described_by else "",
        " requiredField" if required else "",
        bound.label,
        ASTERISK if required else "",
        mark_safe("".join(boxes)),  # noqa: S308 — each box is format_html's output
        _help_html(bound),
    )
