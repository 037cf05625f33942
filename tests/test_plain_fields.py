"""`plain_field` (patrols/templatetags/plain_fields.py) renders what crispy-bootstrap5 renders — the same
elements, ids, classes and aria attributes — for every field of the forms that use it, unbound, valid
and in error. If crispy changes its markup, this fails and the filter follows."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.template import engines

from patrols.forms import BookingForm, PartnerAnswerForm


class Tree(HTMLParser):
    """Start tags with their attributes as sets (order-free), and text with whitespace squeezed."""

    def __init__(self):
        super().__init__()
        self.items: list = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("<", tag, frozenset((name, value or "") for name, value in attrs)))

    def handle_endtag(self, tag):
        self.items.append((">", tag))

    def handle_data(self, data):
        text = re.sub(r"\s+", " ", data).strip()
        if text:
            self.items.append(("text", text))


def tree(html: str) -> list:
    parser = Tree()
    parser.feed(html)
    return parser.items


def rendered(form, name: str, tag: str, library: str) -> str:
    template = engines["django"].from_string(f"{{% load {library} %}}{{{{ form.{name}|{tag} }}}}")
    return template.render({"form": form})


HOSTILE = {
    "kind": "not-an-answer",
    "target_date": "2026-02-30",
    "reason": "x" * 5000,
    "suggested": "<script>alert(1)</script>",
    "note": "“quotes” & <b>tags</b>",
}
CASES = [
    pytest.param(PartnerAnswerForm, None, id="partner-unbound"),
    pytest.param(PartnerAnswerForm, HOSTILE, id="partner-in-error"),
    pytest.param(PartnerAnswerForm, {"kind": "fixed", "note": "Done <today>"}, id="partner-valid"),
    pytest.param(BookingForm, None, id="booking-unbound"),
    pytest.param(
        BookingForm, {"meeting_point": "", "route": "x" * 5000, "known_worries": "<i>"}, id="booking-in-error"
    ),
]
BOOKING_FIELDS = ("meeting_point", "route", "known_worries")  # templates/patrols/book.html


@pytest.mark.parametrize(("form_class", "data"), CASES)
def test_plain_field_is_crispys_markup(form_class, data):
    form = form_class(data)
    if data is not None:
        form.is_valid()
    names = BOOKING_FIELDS if form_class is BookingForm else list(form.fields)
    for name in names:
        crispy = rendered(form, name, "as_crispy_field", "crispy_forms_tags")
        plain = rendered(form, name, "plain_field", "plain_fields")
        assert tree(plain) == tree(crispy), f"{form_class.__name__}.{name}:\n{plain}\n---\n{crispy}"
    if data is HOSTILE:
        page = "".join(rendered(form, name, "plain_field", "plain_fields") for name in names)
        assert "<script>" not in page and "&lt;script&gt;" in page


def test_plain_field_refuses_what_it_cannot_render():
    from django import forms

    class Other(forms.Form):
        choice = forms.ChoiceField(choices=[("a", "A")])
        agree = forms.BooleanField()

    for name in ("choice", "agree"):
        with pytest.raises(TypeError, match="use crispy"):
            rendered(Other(), name, "plain_field", "plain_fields")
