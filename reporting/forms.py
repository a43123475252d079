"""Forms for the monitoring pages: the period picker and the evaluation questionnaire."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms

from referrals.forms.common import KindForm
from reporting.models import EvaluationResponse
from reporting.periods import Period


class DateInput(forms.DateInput):
    input_type = "date"


class PeriodForm(KindForm):
    """Dates only: the period travels in the query string, so nothing else may."""

    start = forms.DateField(label="From", widget=DateInput)
    end = forms.DateField(label="To (inclusive)", widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "Please choose an end date on or after the start date.")
        return data

    @property
    def period(self) -> Period:
        return Period(start=self.cleaned_data["start"], end=self.cleaned_data["end"])


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
