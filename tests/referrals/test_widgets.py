"""The drop-down and the text box drawn in Python (``referrals.widgets``) give exactly
the HTML of Django's own ``forms.Select`` and ``forms.TextInput``, which the pages and
their accessibility checks were written against."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from referrals.widgets import Select, TextInput

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


@pytest.mark.parametrize(
    "value",
    [None, "", "Sam", 'O\'Brien & "Sons" <b>', 0, 12, mark_safe("<i>kept as it is</i>")],
)
@pytest.mark.parametrize(
    "attrs",
    [
        {},
        {"type": "search", "autocomplete": "off", "class": "form-control"},
        {"id": "id_staff_name", "required": True, "disabled": False, "data-x": 'a"b<'},
    ],
)
def test_the_text_box_is_djangos(value, attrs):
    ours = TextInput(attrs=dict(attrs)).render("staff_name", value)
    django = forms.TextInput(attrs=dict(attrs)).render("staff_name", value)
    assert ours == django
    # And with attributes given when drawn, as a bound field gives them.
    ours = TextInput().render("staff_name", value, attrs=dict(attrs))
    django = forms.TextInput().render("staff_name", value, attrs=dict(attrs))
    assert ours == django


def test_a_bound_search_box_renders_the_same():
    search = {"type": "search", "autocomplete": "off", "class": "form-control"}

    class Theirs(forms.Form):
        staff_name = forms.CharField(required=False, widget=forms.TextInput(attrs=search))

    class Ours(forms.Form):
        staff_name = forms.CharField(required=False, widget=TextInput(attrs=search))

    for data in (None, {"staff_name": ""}, {"staff_name": 'Al <Smith> & "co"'}):
        theirs, ours = Theirs(data), Ours(data)
        theirs.is_valid(), ours.is_valid()
        assert str(ours["staff_name"]) == str(theirs["staff_name"])
        assert "<input" in str(ours["staff_name"])
