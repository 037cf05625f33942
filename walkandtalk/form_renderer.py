"""The forms' renderer: Django's own, except that the plain `<input>` and `<textarea>` widgets are
written in Python, to the character what Django's templates for them write (issue 16).

Each widget went through the template engine (its template, an include, the attributes' loop): a
third of a millisecond per field, most of the time the partner page and Book a walk spent on their
forms. Every other template (forms, selects, radios, checkboxes' own, crispy's, allauth's) is
Django's. tests/test_form_renderer.py holds the two to the same output for every widget written
here, with hostile and well-formed values and attributes.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

# Django's templates for these are one line: {% include "django/forms/widgets/input.html" %}.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
TEXTAREA = "django/forms/widgets/textarea.html"


# `{{ value|stringformat:'s' }}` in Django's templates is `conditional_escape(value)`: its text,
# escaped unless it is already safe.


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare name for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        )
    return "".join(out)


def _input(widget: dict) -> str:
    kind, name = conditional_escape(widget["type"]), conditional_escape(widget["name"])
    value = "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
    return f'<input type="{kind}" name="{name}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
    )


class Renderer(DjangoTemplates):
    """settings.FORM_RENDERER."""

    def render(self, template_name, context, request=None):
        if template_name in INPUTS:
            return _input(context["widget"])
        if template_name == TEXTAREA:
            return _textarea(context["widget"])
        return super().render(template_name, context, request)
