"""Filters for the triage queue: state, team, category and a search by staff name."""

from __future__ import annotations

import django_filters

from config.prepared import Prepared
from referrals.models import CriticalIncident, Referral, Team
from referrals.widgets import Select, TextInput

# What "awaiting a decision" means for triage: waiting for them, or waiting for the
# line manager's answer to their question.
AWAITING_TRIAGE = (Referral.State.SUBMITTED, Referral.State.MORE_INFO)


# Read on every page of the queue: its SQL is written once (config/prepared.py).
_teams = Prepared(lambda: Team.objects.order_by("name", "pk").values_list("pk", "name"))

# The filter's form class, made once for each list of teams (see get_form_class).
_FORM_CLASSES: dict[tuple, type] = {}
KEPT_FORM_CLASSES = 8


class TriageFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="Status",
        choices=[(s.value, s.label) for s in AWAITING_TRIAGE],
        empty_label="All awaiting a decision",
        widget=Select(attrs={"class": "form-select"}),
    )
    # The teams are read with one plain query when the filter is made (a model choice
    # field would read them through a server-side cursor: several round trips).
    team = django_filters.ChoiceFilter(
        label="Team",
        field_name="incident__team_id",
        empty_label="All teams",
        widget=Select(attrs={"class": "form-select"}),
    )
    category = django_filters.ChoiceFilter(
        label="Incident",
        field_name="incident__category",
        choices=CriticalIncident.Category.choices,
        empty_label="All kinds",
        widget=Select(attrs={"class": "form-select"}),
    )
    staff_name = django_filters.CharFilter(
        label="Staff member's name",
        lookup_expr="icontains",
        widget=TextInput(attrs={"type": "search", "autocomplete": "off", "class": "form-control"}),
    )

    class Meta:
        model = Referral
        fields = ["state", "team", "category", "staff_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["team"].extra["choices"] = _teams()

    def get_form_class(self):
        """django-filter makes a new form class, and a field for each filter, on every
        page (about 0.4 ms on a slow host). The form differs from one page to the next
        only by the teams, so its class is made once for each list of teams and kept;
        each page still makes its own form from it, with its own copies of the fields."""
        key = tuple(self.filters["team"].extra["choices"])
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            if len(_FORM_CLASSES) >= KEPT_FORM_CLASSES:
                _FORM_CLASSES.clear()  # teams renamed or added many times: start again
            form_class = _FORM_CLASSES[key] = super().get_form_class()
        return form_class
