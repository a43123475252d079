"""Appendix 1, the group referral, and the line manager's answer to triage
(docs/service.md, steps 1-4 and 10)."""

from __future__ import annotations

from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms

from referrals import rules
from referrals.eligibility import incident_date_errors, referral_eligibility_errors
from referrals.forms.common import (
    CrispyForm,
    DateField,
    KindEmailField,
    KindForm,
    PhoneField,
    crispy_helper,
)
from referrals.models import CriticalIncident, GroupReferral, Referral, Team


class ReferralForm(KindForm):
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

    # What must be filled in before the referral can be sent (a draft needs less):
    # marked for the eye and for assistive technology.
    NEEDED_TO_SEND = (
        "staff_name",
        "event_details",
        "discussion_date",
        "practitioner_agrees",
    )
    NEEDED_MARK = " (needed to send)"

    def __init__(self, *args, sending: bool = False, first_submitted_at=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Sending: the rules for sending are checked with the form's own, so every
        # message shows at once rather than one per press of the button.
        self.sending = sending
        self.first_submitted_at = first_submitted_at
        for name in self.NEEDED_TO_SEND:
            field = self.fields[name]
            field.label = f"{field.label}{self.NEEDED_MARK}"
            field.widget.attrs["aria-required"] = "true"
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

    def clean(self):
        cleaned = super().clean()
        if self.sending:
            self._add_sending_errors(cleaned)
        return cleaned

    def _add_sending_errors(self, cleaned: dict) -> None:
        """The state machine's rule for sending (``referral_eligibility_errors``), read
        on what was typed, for each field that has no message of its own yet."""
        text = ("staff_name", "staff_phone", "staff_email", "event_details")
        probe = Referral(
            incident=CriticalIncident(occurred_on=cleaned.get("incident_date")),
            first_submitted_at=self.first_submitted_at,
            practitioner_agrees=bool(cleaned.get("practitioner_agrees")),
            discussion_date=cleaned.get("discussion_date"),
            **{name: (cleaned.get(name) or "").strip() for name in text},
        )
        contact_errors = "staff_phone" in self.errors or "staff_email" in self.errors
        for field, message in referral_eligibility_errors(probe).items():
            if field not in self.fields or field in self.errors:
                continue
            if field == "staff_email" and contact_errors:
                continue
            self.add_error(field, message)

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


class GroupReferralForm(KindForm):
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
        # The incident date rule too, so every message shows at once.
        if "incident_date" not in self.errors and cleaned.get("incident_date"):
            for field, message in incident_date_errors(cleaned["incident_date"]).items():
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
