"""QuickSelect (participants/inputs.py) writes exactly what Django's Select writes through its templates,
for plain and grouped choices, any value (chosen, unknown, hostile) and any attributes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django import forms
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from participants.inputs import QuickSelect
from walkandtalk.dashboard import DashboardFilterForm

CHOICES = [
    ("", "All <wards>"),
    (1, "Peckham & Rye"),
    ("Group “one”", [(2, 'A "quoted" name'), (3, "B")]),
    (4, "D"),
]
VALUES = [None, "", 1, "1", "3", ["1", "4"], "not-a-choice", "<script>", "9" * 40]
ATTRS = [
    None,
    {"id": "id_ward", "required": True, "disabled": False, "data-x": "<y>", "aria-describedby": "a b"},
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("attrs", ATTRS)
def test_the_same_markup_as_djangos_select(value, attrs):
    assert QuickSelect(choices=CHOICES).render("ward", value, attrs) == forms.Select(choices=CHOICES).render(
        "ward", value, attrs
    )


@pytest.mark.django_db
def test_the_dashboard_filter_renders_as_before():
    form = DashboardFilterForm({"ward": "zzz", "borough": ""})
    form.is_valid()
    for name in ("borough", "ward"):
        bound = form[name]
        quick = bound.as_widget()
        bound.field.widget = forms.Select(choices=bound.field.widget.choices)
        assert quick == bound.as_widget()


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_the_dashboard_tables_write_dates_as_the_date_filter(value):
    # figure_rows writes "j M Y" itself (~40 a page): the same text as the template's filter, London time.
    from django.template.defaultfilters import date as date_filter
    from django.utils.timezone import template_localtime

    from walkandtalk.templatetags.figure_rows import _day

    with translation.override("en-gb"):
        assert _day(value) == date_filter(template_localtime(value), "j M Y")
    assert _day(None) == ""


def test_the_dashboard_tables_link_each_row_as_reverse_would():
    from django.urls import reverse

    from walkandtalk.templatetags.figure_rows import _change_url

    for name in ("admin:participants_officer_change", "admin:patrols_partner_change"):
        change = _change_url(name)
        assert [change(pk) for pk in (1, 10, 987654)] == [reverse(name, args=[pk]) for pk in (1, 10, 987654)]
