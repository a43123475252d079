"""Forms for the front half of the service: Appendix 1, the group referral, the answer
to a request for more information, triage decisions and allocation.

Forms only check the shape of what was typed (a telephone number that looks like one,
an e-mail address). The service's rules (eligibility, who may act, what state the
referral is in) live in ``referrals/services.py``; ``add_service_errors`` puts the
messages they raise next to the field they are about.
"""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.core.exceptions import ValidationError

from referrals.models import CriticalIncident, GroupReferral, Referral, Team

# --- shared helpers ----------------------------------------------------------------------

PHONE_CHARACTERS = re.compile(r"^[0-9 +()]+$")
PHONE_DIGITS = (10, 13)

# Keys the services use that are named differently on the forms.
SERVICE_FIELD_ALIASES = {"occurred_on": "incident_date"}

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y"]


def validate_uk_phone(value: str) -> None:
    """A UK telephone number: digits, spaces, + and brackets, with 10 to 13 digits."""
    if not PHONE_CHARACTERS.match(value):
        raise ValidationError(
            "Please use only digits, spaces, + and brackets, for example 0116 496 0000 "
            "or +44 116 496 0000.",
            code="phone_characters",
        )
    digits = sum(ch.isdigit() for ch in value)
    low, high = PHONE_DIGITS
    if not low <= digits <= high:
        raise ValidationError(
            f"A UK telephone number has between {low} and {high} digits; this one has "
            f"{digits}. Please check the number.",
            code="phone_length",
        )


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [validate_uk_phone])
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})


class KindEmailField(forms.EmailField):
    default_error_messages = {
        "invalid": "Please enter an e-mail address in the form name@example.org."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class DateField(forms.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "Please enter a date, for example 14/03/2026.",
                **kwargs.get("error_messages", {}),
            },
        )
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Put a service's refusal (``ValidationError`` or ``RuleRefused``) next to the
    field it is about, or at the top of the form when no field on this form fits."""
    from referrals.services import RuleRefused

    if isinstance(exc, RuleRefused):
        field = SERVICE_FIELD_ALIASES.get(exc.field, exc.field)
        form.add_error(field if field in form.fields else None, exc.message)
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            field = SERVICE_FIELD_ALIASES.get(key, key)
            for message in messages:
                if field in form.fields:
                    form.add_error(field, message)
                else:
                    form.add_error(None, message)
        return
    for message in getattr(exc, "messages", [str(exc)]):
        form.add_error(None, message)


def _helper(layout: Layout | None = None) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # templates own the <form>: csrf, data-once, hidden version
    helper.disable_csrf = True
    if layout is not None:
        helper.layout = layout
    return helper


class CrispyForm(forms.Form):
    """A form rendered inside a template-owned <form> (see ``_helper``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


# --- Appendix 1 --------------------------------------------------------------------------


class ReferralForm(forms.Form):
    """Appendix 1 in its own words, plus what the service needs to run (SERVICE.md
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
        self.helper = _helper(
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
    """SERVICE.md step 10: a group referral after the staff concerned were consulted and
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
        self.helper = _helper(
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
        if not (cleaned.get("group_consulted") and cleaned.get("group_wishes_to_take_part")):
            self.add_error(
                "group_consulted",
                "Please talk with the staff concerned first, and confirm they wish to take "
                "up group support. Group support is only offered when people choose it.",
            )
        return cleaned

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["occurred_on"] = data.pop("incident_date")
        data["event_details"] = data["event_details"].strip()
        return data


# --- the line manager answers triage -----------------------------------------------------


class AnswerForm(CrispyForm):
    answer = forms.CharField(
        label="Your answer",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Please write an answer to the question."},
    )


# --- triage ------------------------------------------------------------------------------


class AcceptForm(CrispyForm):
    provider = forms.ModelChoiceField(
        label="Send to",
        queryset=None,
        empty_label=None,
        error_messages={"required": "Please choose the provider."},
    )
    note = forms.CharField(
        label="Note for the timeline (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers


class DeclineForm(CrispyForm):
    reason = forms.CharField(
        label="Reason (the line manager will read this)",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Please give the reason, so the line manager understands."},
    )
    signposting = forms.CharField(
        label="Where the staff member can find support instead",
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=(
            "Usual supervision with their line manager, the council's wellbeing service, "
            "or their GP."
        ),
        error_messages={
            "required": "Please say where else the staff member can get help. For example: "
            "their supervisor, the wellbeing service or their GP."
        },
    )


class MoreInformationForm(CrispyForm):
    question = forms.CharField(
        label="Your question for the line manager",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Please write the question for the line manager."},
    )


# --- provider coordinator ----------------------------------------------------------------


class TherapistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        remaining = max(obj.capacity - obj.active_cases, 0)
        places = (
            "no places left" if remaining == 0 else f"{remaining} of {obj.capacity} places left"
        )
        return f"{obj} ({obj.active_cases} active, {places})"


class AllocateForm(CrispyForm):
    therapist = TherapistChoiceField(
        label="Therapist",
        queryset=None,
        empty_label="Please choose",
        error_messages={
            "required": "Please choose a therapist.",
            "invalid_choice": "This therapist is not available at the moment. Please choose "
            "another.",
        },
    )
    reason = forms.CharField(
        label="Reason for reallocating",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, therapists, reallocating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        self.reallocating = reallocating
        if not reallocating:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "Please give the reason for reallocating."
            )
