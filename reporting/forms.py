"""Forms for the monitoring pages: the period picker and the evaluation questionnaire."""

from __future__ import annotations

from datetime import date, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms
from django.conf import settings
from django.utils import timezone

from referrals.forms.common import KindForm
from reporting.models import EvaluationResponse
from reporting.periods import Period, Quarter, period_for


class DateInput(forms.DateInput):
    """A date picker: browsers read and write its value as YYYY-MM-DD only."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs=attrs, format=format)


def earliest_date() -> date:
    """The first day of the financial quarter the service went live in."""
    return Quarter.containing(settings.CIRS_GO_LIVE_DATE).start


def latest_date() -> date:
    """The last day of the financial quarter a year from today."""
    return Quarter.containing(timezone.localdate() + timedelta(days=366)).end


class PeriodForm(KindForm):
    """Dates only: the period travels in the query string, so nothing else may.

    ``any_dates`` is True for readers who may choose any date range (the PSW and
    SMPE); for everyone else the dates become a whole quarter or month
    (``periods.period_for``) and ``changed_dates`` says so, next to the fields.
    """

    start = forms.DateField(
        label="From",
        widget=DateInput,
        error_messages={
            "invalid": "Please enter a date, for example 1 April 2026.",
            "required": "Please enter the first day of the period.",
        },
    )
    end = forms.DateField(
        label="To (inclusive)",
        widget=DateInput,
        error_messages={
            "invalid": "Please enter a date, for example 30 June 2026.",
            "required": "Please enter the last day of the period.",
        },
    )

    def __init__(self, *args, any_dates: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.any_dates = any_dates
        self.changed_dates = False
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("start", css_class="col-sm-4"),
                Column("end", css_class="col-sm-4"),
                Column(
                    HTML(
                        '<button type="submit" class="btn btn-primary mb-3">Show figures</button>'
                    ),
                    css_class="col-sm-4",
                ),
                css_class="align-items-end",
            )
        )

    def _in_range(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is None:
            return None
        first, last = earliest_date(), latest_date()
        if day < first:
            raise forms.ValidationError(
                f"Please choose a date from {first:%-d %B %Y}: the service has no figures "
                "before then."
            )
        if day > last:
            raise forms.ValidationError(f"Please choose a date no later than {last:%-d %B %Y}.")
        return day

    def clean_start(self):
        return self._in_range("start")

    def clean_end(self):
        return self._in_range("end")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "Please choose an end date on or after the start date.")
        return data

    @property
    def period(self) -> Period:
        chosen = Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])
        period = period_for(chosen, any_dates=self.any_dates)
        self.changed_dates = period != chosen
        return period


RATING_CHOICES = [(str(v), label) for v, label in reversed(EvaluationResponse.Rating.choices)]


class EvaluationForm(KindForm):
    timely = forms.TypedChoiceField(
        label="The support came at the right time",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose the answer closest to how it was for you."},
    )
    helpful = forms.TypedChoiceField(
        label="The support helped me",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose the answer closest to how it was for you."},
    )
    would_recommend = forms.TypedChoiceField(
        label="Would you recommend the service to a colleague?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose yes or no."},
    )
    comment = forms.CharField(
        label="Anything else you would like to tell us (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Please do not include names or details of the incident. Your answers are "
        "never shown to your manager, and comments are not included in any report.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
