"""The drop-down drawn in Python (``referrals.widgets.Select``) gives exactly the HTML
of Django's own ``forms.Select``, which the pages and their accessibility checks were
written against."""

import pytest
from django import forms

from referrals.widgets import Select

CHOICES = [
    ("", "All teams"),
    (1, "North & East <Team>"),
    (2, 'Say "hello"'),
    ("Grouped", [(3, "Three"), (4, "Four")]),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, {}),
        ("", {"class": "form-select"}),
        (2, {"class": "form-select", "id": "id_team", "aria-invalid": "true"}),
        ("4", {"required": True, "disabled": False, "data-x": 'a"b'}),
        ([1, 3], {"multiple": True}),
    ],
)
def test_the_html_is_djangos(value, attrs):
    ours = Select(choices=CHOICES).render("team", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("team", value, attrs=attrs)
    assert ours == django


def test_a_bound_form_field_renders_the_same():
    class Theirs(forms.Form):
        team = forms.TypedChoiceField(choices=CHOICES, coerce=int, required=False)

    class Ours(forms.Form):
        team = forms.TypedChoiceField(choices=CHOICES, coerce=int, required=False, widget=Select)

    for data in (None, {"team": "1"}, {"team": "nonsense"}):
        theirs, ours = Theirs(data), Ours(data)
        theirs.is_valid(), ours.is_valid()
        assert str(ours["team"]) == str(theirs["team"])
