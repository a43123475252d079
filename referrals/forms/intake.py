"""Appendix 1, the group referral, and the line manager's answer to triage
(docs/service.md, steps 1-4 and 10)."""

from __future__ import annotations

from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms

from referrals import rules
from referrals.forms.common import (
    CrispyForm,
    DateField,
    KindEmailField,
    PhoneField,
    crispy_helper,
)
from referrals.models import CriticalIncident, GroupReferral, Referral, Team


class ReferralForm(forms.Form):
    """Appendix 1 in its own words, plus what the service needs to run (docs/service.md
    step 3) and the record of the manager's discussion (step 2).

    Only the incident date, category and team are needed to keep a draft; the rest is
    checked by the service when the referral is sent, so a half-finished draft is never
    lost.
    """

    staff_name = forms.CharField(label="Name of staff member", max_length=150, required=False)
    staff_phone = PhoneField(label="Telephone")
    staff_email = KindEmailField(label="E-mail")
    line_manager_name = forms.CharField(
        label="Name of Line Manager", max_length=150, required=False
    )
    line_manager_phone = PhoneField(label="Telephone")
    line_manager_email = KindEmailField(label="E-mail")
    event_details = forms.CharField(
        label="Brief details of the critical event and staff members involvement",
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    team_input = forms.ChoiceField(
        label="Is in-put to be considered for other members of the team / team as a whole?",
        choices=Referral.TeamInput.choices,
        initial=Referral.TeamInput.NO,
        widget=forms.RadioSelect,
    )
    team_input_details = forms.CharField(
        label="Who else may need support",
        help_text="Roles or numbers are enough; names are not needed.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    incident_date = DateField(
        label="Date of the incident",
        error_messages={"required": "Please give the date of the incident."},
    )
    category = forms.ChoiceField(
        label="What kind of incident was it?",
        choices=[("", "Please choose"), *CriticalIncident.Category.choices],
        error_messages={"required": "Please choose the kind of incident."},
    )
    team = forms.ModelChoiceField(
        label="Team or department",
        queryset=Team.objects.all(),
        empty_label="Please choose",
        error_messages={"required": "Please choose the team or department."},
    )
    discussion_date = DateField(
        label="Date you discussed this referral with the staff member", required=False
    )
    practitioner_agrees = forms.BooleanField(
        label="The staff member agrees to be referred", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper(
            Layout(
                Fieldset(
                    "About the incident",
                    "incident_date",
                    "category",
                    "team",
                ),
                Fieldset(
                    "The staff member",
                    "staff_name",
                    HTML('<p class="fw-semibold mb-1">Contact details (telephone and e-mail)</p>'),
                    "staff_phone",
                    "staff_email",
                ),
                Fieldset(
                    "You, the line manager",
                    "line_manager_name",
                    HTML('<p class="fw-semibold mb-1">Contact details (telephone and e-mail)</p>'),
                    "line_manager_phone",
                    "line_manager_email",
                ),
                Fieldset(
                    "What happened",
                    "event_details",
                    "team_input",
                    "team_input_details",
                ),
                Fieldset(
                    "Your conversation with the staff member",
                    "discussion_date",
                    "practitioner_agrees",
                ),
            )
        )

    def service_data(self) -> dict:
        """The cleaned form in the keys ``services.save_referral_draft`` takes."""
        data = {
            key: value for key, value in self.cleaned_data.items() if key not in {"incident_date"}
        }
        data["occurred_on"] = self.cleaned_data["incident_date"]
        for key in ("staff_name", "line_manager_name", "event_details", "team_input_details"):
            data[key] = (data.get(key) or "").strip()
        return data

    @classmethod
    def initial_for(cls, referral: Referral) -> dict:
        initial = {
            name: getattr(referral, name) for name in cls.base_fields if hasattr(referral, name)
        }
        initial.update(
            incident_date=referral.incident.occurred_on,
            category=referral.incident.category,
            team=referral.incident.team_id,
        )
        return initial


class GroupReferralForm(forms.Form):
    """docs/service.md step 10: a group referral after the staff concerned were consulted and
    confirmed they wish to take up group support."""

    referrer_role = forms.ChoiceField(
        label="You are making this referral as",
        choices=GroupReferral.ReferrerRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Please say in which role you are making this referral."},
    )
    number_of_staff = forms.IntegerField(
        label="Number of staff in the group",
        min_value=2,
        max_value=500,
        error_messages={
            "required": "Please give the number of staff in the group.",
            "min_value": "A group is two or more people. For one person, please use the "
            "individual referral form.",
        },
    )
    incident_date = DateField(
        label="Date of the incident",
        error_messages={"required": "Please give the date of the incident."},
    )
    category = forms.ChoiceField(
        label="What kind of incident was it?",
        choices=[("", "Please choose"), *CriticalIncident.Category.choices],
        error_messages={"required": "Please choose the kind of incident."},
    )
    team = forms.ModelChoiceField(
        label="Team or department",
        queryset=Team.objects.all(),
        empty_label="Please choose",
        error_messages={"required": "Please choose the team or department."},
    )
    event_details = forms.CharField(
        label="Brief details of the critical event and staff members involvement",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Please describe briefly what happened."},
    )
    group_consulted = forms.BooleanField(
        label="I have discussed this with the staff concerned", required=False
    )
    group_wishes_to_take_part = forms.BooleanField(
        label="They have confirmed they wish to take up group support", required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = crispy_helper(
            Layout(
                Fieldset("About you", "referrer_role"),
                Fieldset("About the incident", "incident_date", "category", "team"),
                Fieldset("The group", "number_of_staff", "event_details"),
                Fieldset(
                    "Your conversation with the group",
                    "group_consulted",
                    "group_wishes_to_take_part",
                ),
            )
        )

    def clean(self):
        cleaned = super().clean()
        consent = rules.group_consent_errors(
            consulted=bool(cleaned.get("group_consulted")),
            wishes_to_take_part=bool(cleaned.get("group_wishes_to_take_part")),
        )
        for field, message in consent.items():
            self.add_error(field, message)
        return cleaned

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["occurred_on"] = data.pop("incident_date")
        data["event_details"] = data["event_details"].strip()
        return data


class AnswerForm(CrispyForm):
    answer = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Please write an answer to the question."},
    )
