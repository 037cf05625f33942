"""QuickSelect (participants/inputs.py) writes exactly what Django's Select writes through its templates,
for plain and grouped choices, any value (chosen, unknown, hostile) and any attributes."""

from __future__ import annotations

import pytest
from django import forms

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
