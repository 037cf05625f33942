"""The forms' renderer (walkandtalk/form_renderer.py) writes the plain inputs and textareas in Python
(issue 16): for every widget it writes, with hostile and well-formed values and attributes, its
output is Django's own template renderer's, to the character; every other widget is Django's."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from walkandtalk.form_renderer import INPUTS, TEXTAREA, Renderer

HOSTILE = st.sampled_from(
    ['"><script>alert(1)</script>', "O'Brien & Sons", "<b>bold</b>", "\u202eevil", "a\nb\r\nc", "", " "]
)
TEXT = st.one_of(st.text(max_size=40), HOSTILE)
VALUES = st.one_of(
    st.none(),
    TEXT,
    st.integers(),
    st.floats(allow_nan=True),
    st.dates(),
    st.booleans(),
    TEXT.map(mark_safe),
    st.just(gettext_lazy("Where you’ll meet")),
)
ATTR_VALUES = st.one_of(st.booleans(), TEXT, st.integers(), st.floats(), TEXT.map(mark_safe))
ATTRS = st.dictionaries(
    st.one_of(st.sampled_from(["class", "placeholder", "required", "maxlength", "aria-invalid"]), TEXT),
    ATTR_VALUES,
    max_size=5,
)
WIDGETS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.CheckboxInput,
    forms.FileInput,
    forms.Textarea,
]

ours, djangos = Renderer(), DjangoTemplates()
settings.register_profile("form-renderer", max_examples=60, deadline=None, derandomize=True, database=None)


def test_every_widget_written_here_is_tested_and_nothing_else_is_intercepted():
    assert {widget.template_name for widget in WIDGETS} == INPUTS | {TEXTAREA}
    # A widget with its own template (radios, selects) is Django's renderer's.
    radios = forms.RadioSelect(choices=[("a", "A")]).get_context("r", "a", {})
    assert ours.render("django/forms/widgets/radio.html", radios) == djangos.render(
        "django/forms/widgets/radio.html", radios
    )


@pytest.mark.parametrize("widget_class", WIDGETS, ids=lambda widget: widget.__name__)
@settings(settings.get_profile("form-renderer"))
@given(name=TEXT, value=VALUES, attrs=ATTRS)
def test_the_same_markup_as_djangos_templates(widget_class, name, value, attrs):
    widget = widget_class()
    # As a form renders it: the widget's context (its value formatted, its attributes merged).
    try:
        context = widget.get_context(name, value, attrs)
    except (TypeError, ValueError):  # a value the widget itself cannot format (a float as a date)
        return
    assert ours.render(widget.template_name, context) == djangos.render(widget.template_name, context)


def test_a_bound_form_through_the_settings_renderer():
    """The project's forms render through it: a bound field with a hostile value shows it escaped."""

    class Form(forms.Form):
        route = forms.CharField(widget=forms.Textarea)
        meeting_point = forms.CharField(max_length=200)

    form = Form({"route": "</textarea><script>x</script>", "meeting_point": '"><b>'})
    assert isinstance(form.renderer, Renderer)
    assert str(form["route"]) == (
        '<textarea name="route" cols="40" rows="10" required id="id_route">\n'
        "&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>"
    )
    assert str(form["meeting_point"]) == (
        '<input type="text" name="meeting_point" value="&quot;&gt;&lt;b&gt;" maxlength="200" required '
        'id="id_meeting_point">'
    )
