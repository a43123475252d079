"""The oversight board's filters. They travel in the query string (no names in them:
providers, therapists and teams by id), so a filtered board can be bookmarked, shared
and linked from the Monday digest."""

from __future__ import annotations

from django import forms

from referrals.models import ClockStatusCode, Referral
from referrals.widgets import Select

OPEN_STATES = [
    (s.value, s.label)
    for s in Referral.State
    if s not in Referral.CLOSED_STATES and s != Referral.State.DRAFT
]
CLOCK_STATUSES = [
    ("due", "Near or past the deadline"),
    *ClockStatusCode.choices,
]


def _select() -> Select:
    return Select(attrs={"class": "form-select"})


class BoardFilterForm(forms.Form):
    state = forms.ChoiceField(
        label="Status", required=False, choices=[("", "All open"), *OPEN_STATES], widget=_select()
    )
    provider = forms.TypedChoiceField(
        label="Provider", required=False, coerce=int, empty_value=None, widget=_select()
    )
    therapist = forms.TypedChoiceField(
        label="Therapist", required=False, coerce=int, empty_value=None, widget=_select()
    )
    team = forms.TypedChoiceField(
        label="Team", required=False, coerce=int, empty_value=None, widget=_select()
    )
    clock_status = forms.ChoiceField(
        label="Time limits",
        required=False,
        choices=[("", "Any"), *CLOCK_STATUSES],
        widget=_select(),
    )
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Both"), *list(Referral.Kind.choices)],
        widget=_select(),
    )

    def __init__(self, *args, choices: dict[str, list[tuple[int, str]]], **kwargs):
        """``choices``: (id, label) lists for "provider", "therapist" and "team"."""
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "All providers"), *choices["provider"]]
        self.fields["therapist"].choices = [("", "All therapists"), *choices["therapist"]]
        self.fields["team"].choices = [("", "All teams"), *choices["team"]]

    def apply(self, referrals, *, now, with_clock_status):
        """The referrals that match the valid filters (an invalid one is left out)."""
        data = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data  # only the fields that were valid
        if data.get("state"):
            referrals = referrals.filter(state=data["state"])
        if data.get("provider"):
            referrals = referrals.filter(provider_id=data["provider"])
        if data.get("therapist"):
            referrals = referrals.filter(therapist_id=data["therapist"])
        if data.get("team"):
            referrals = referrals.filter(incident__team_id=data["team"])
        if data.get("kind"):
            referrals = referrals.filter(kind=data["kind"])
        if data.get("clock_status"):
            referrals = with_clock_status(referrals, data["clock_status"], now=now)
        return referrals
