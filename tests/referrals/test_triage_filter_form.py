"""The triage filter's form class is made once for each list of teams
(``TriageFilter.get_form_class``): the same form as django-filter makes afresh, a new
one when the teams change, and each page's form its own."""

import pytest
from django.http import QueryDict

from referrals import filters
from referrals.filters import TriageFilter
from referrals.models import Referral, Team

pytestmark = pytest.mark.django_db


def _afresh(data):
    # django-filter's own form class, made for this filter alone.
    made = TriageFilter(data, queryset=Referral.objects.all())
    form_class = super(TriageFilter, made).get_form_class()
    return form_class(made.data) if made.is_bound else form_class()


def _html(form) -> str:
    return "".join(f"{field.label}:{field}" for field in form)


@pytest.mark.parametrize(
    "data", [None, QueryDict("state=submitted&staff_name=Sam"), QueryDict("team=nonsense")]
)
def test_the_kept_form_is_djangos_own(team, other_team, data):
    kept = TriageFilter(data, queryset=Referral.objects.all()).form
    afresh = _afresh(data)
    assert _html(kept) == _html(afresh)
    assert kept.is_valid() == afresh.is_valid()
    assert kept.errors == afresh.errors
    assert team.name in _html(kept)


def test_made_once_per_list_of_teams(team):
    filters._FORM_CLASSES.clear()
    first = TriageFilter(None, queryset=Referral.objects.all())
    second = TriageFilter(QueryDict("staff_name=Al"), queryset=Referral.objects.all())
    assert type(first.form) is type(second.form)
    assert first.form is not second.form
    assert first.form.fields["team"] is not second.form.fields["team"]

    Team.objects.create(name="A new team")
    third = TriageFilter(None, queryset=Referral.objects.all())
    assert type(third.form) is not type(first.form)
    assert "A new team" in str(third.form["team"])
    assert "A new team" not in str(first.form["team"])


def test_the_kept_classes_stay_few(team):
    filters._FORM_CLASSES.clear()
    for n in range(filters.KEPT_FORM_CLASSES * 2):
        Team.objects.create(name=f"Team {n}")
        assert f"Team {n}" in str(TriageFilter(None, queryset=Referral.objects.all()).form["team"])
        assert len(filters._FORM_CLASSES) <= filters.KEPT_FORM_CLASSES
