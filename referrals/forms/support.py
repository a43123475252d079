"""Forms for the support work: the therapist's case workspace (docs/service.md, steps
6-12), withdrawal, and the PSW/SMPE's extension decisions. Forms only check the shape of what was typed; the rules of the
service (caps, states, dates) are the services' to enforce."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from referrals.forms.common import KindForm
from referrals.models import ExitPathway, KeyDate, PlannedSession, Review, TherapySession
from referrals.services import ReferralChanged, RuleRefused, place_errors

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", DATETIME_FORMAT)
        super().__init__(**kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def _now_local() -> str:
    return timezone.localtime().strftime(DATETIME_FORMAT)


class CaseForm(KindForm):
    """Every form on a case posts the version the person saw: a form posted against an
    older version is refused as a conflict, never silently applied."""

    id_prefix = "case"
    # Date-and-time fields that start at "now": most things are recorded just after.
    now_fields: tuple[str, ...] = ()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        for name in self.now_fields:
            self.fields[name].initial = _now_local()


def _mode_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="How it was held",
        choices=TherapySession.Mode.choices,
        widget=forms.RadioSelect,
        initial=TherapySession.Mode.VIRTUAL,
    )


def _notes_field() -> forms.CharField:
    return forms.CharField(
        label="Your session notes (seen by you only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PlanFirstMeetingForm(CaseForm):
    id_prefix = "plan"
    planned_at = forms.DateTimeField(label="Planned date and time", widget=DateTimeInput())


class FirstMeetingForm(CaseForm):
    id_prefix = "first"
    held_at = forms.DateTimeField(
        label="Date and time the first meeting was held", widget=DateTimeInput()
    )
    mode = _mode_field()
    notes = _notes_field()
    staff_wants_reminders = forms.BooleanField(
        label="The staff member would like a reminder e-mail the working day before each "
        "planned session",
        required=False,
        help_text="Please ask them at this meeting.",
    )
    now_fields = ("held_at",)


class ManagerContactForm(CaseForm):
    id_prefix = "contact"
    contacted_at = forms.DateTimeField(
        label="Date and time you spoke with the line manager", widget=DateTimeInput()
    )
    now_fields = ("contacted_at",)


class TherapySessionForm(CaseForm):
    id_prefix = "session"
    held_at = forms.DateTimeField(label="Date and time of the session", widget=DateTimeInput())
    mode = _mode_field()
    attendance = forms.ChoiceField(
        label="Did the session take place?",
        choices=TherapySession.Attendance.choices,
        widget=forms.RadioSelect,
        initial=TherapySession.Attendance.ATTENDED,
    )
    cancellation_reason = forms.CharField(
        label="If it did not take place, a short reason",
        required=False,
        max_length=300,
        help_text="For example 'unwell' or 'rearranged'. Please keep it general.",
    )
    notes = _notes_field()
    now_fields = ("held_at",)


class PlanSessionForm(CaseForm):
    """Book a session ahead, or move one (the same fields)."""

    id_prefix = "plan_session"
    starts_at = forms.DateTimeField(
        label="Date and start time",
        widget=DateTimeInput(),
        error_messages={"required": "Please give the date and start time."},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes", min_value=15, max_value=180, initial=60
    )
    mode = forms.ChoiceField(
        label="How it will be held",
        choices=TherapySession.Mode.choices,
        widget=forms.RadioSelect,
        initial=TherapySession.Mode.VIRTUAL,
    )
    link = forms.URLField(
        label="Link for the video call (virtual)",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Please paste the whole link, starting https://"},
    )
    place = forms.CharField(
        label="Where you will meet (face to face)",
        required=False,
        max_length=200,
        help_text="For example 'Room 2, Civic Centre'.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duration_minutes"].initial = settings.CIRS_SESSION_MINUTES

    def clean(self):
        data = super().clean()
        if "mode" in data:
            for field, message in place_errors(
                mode=data["mode"], place=data.get("place", ""), link=data.get("link", "")
            ).items():
                if field not in self.errors:
                    self.add_error(field, message)
        return data


class PlannedOutcomeForm(CaseForm):
    """How a booked session went, or its cancellation."""

    id_prefix = "outcome"
    outcome = forms.ChoiceField(
        label="What happened",
        choices=[
            (s.value, s.label) for s in PlannedSession.Status if s != PlannedSession.Status.PLANNED
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose what happened."},
    )
    reason = forms.CharField(
        label="If it did not take place, a short reason",
        required=False,
        max_length=300,
        help_text="For example 'unwell' or 'rearranged'. Please keep it general.",
    )
    notes = _notes_field()

    def __init__(self, *args, planned_id: int | None = None, **kwargs):
        if planned_id is not None:
            self.id_prefix = f"outcome{planned_id}"
        super().__init__(*args, **kwargs)


class GroupSessionForm(CaseForm):
    id_prefix = "group"
    held_at = forms.DateTimeField(
        label="Date and time of the group session", widget=DateTimeInput()
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes", min_value=15, max_value=480, initial=60
    )
    attendees = forms.IntegerField(
        label="Number of people who attended",
        min_value=1,
        help_text="A number only: no names are needed.",
    )
    mode = _mode_field()
    now_fields = ("held_at",)


class ReviewForm(CaseForm):
    id_prefix = "review"
    held_on = forms.DateField(
        label="Date of the review",
        widget=DateInput(),
        error_messages={"required": "Please give the date of the review."},
    )
    outcome = forms.ChoiceField(
        label="What the review found", choices=Review.Outcome.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Why more sessions would help (needed when asking for an extension)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The people who decide on extensions read this. Keep it general. "
        "Do not say what was talked about in sessions.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()


class ExceptionalSessionForm(CaseForm):
    id_prefix = "exceptional"
    reason = forms.CharField(
        label="The exceptional circumstances",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example a key date such as an inquest still to come. Please keep it "
        "general: no session content.",
        error_messages={"required": "Please record the exceptional circumstances."},
    )


class KeyDateForm(CaseForm):
    id_prefix = "keydate"
    kind = forms.ChoiceField(label="What the date is", choices=KeyDate.Kind.choices)
    date = forms.DateField(label="Date", widget=DateInput())
    label = forms.CharField(
        label="Short note (optional)",
        required=False,
        max_length=120,
        help_text="For example 'to be confirmed'. This note is not put in calendar files.",
    )


class ClosureSummaryForm(CaseForm):
    id_prefix = "closure"
    exit_pathways = forms.ModelMultipleChoiceField(
        label="Exit pathway",
        queryset=ExitPathway.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Please choose at least one exit pathway."},
    )
    comments = forms.CharField(
        label="General comments for the line manager",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The line manager and the staff member both get these words. Keep them "
        "general. Leave out names, contact details, what happened and what was said in "
        "sessions.",
        error_messages={"required": "Please write a few general comments for the line manager."},
    )


class ConfirmForm(CaseForm):
    """A confirmation step: only the version the person saw."""

    id_prefix = "confirm"


class ClosureWithDatesForm(CaseForm):
    """Confirming the end of support while key dates are still to come: keep support
    open until then, or close and say who will follow up."""

    KEEP_OPEN, CLOSE = "keep_open", "close"
    id_prefix = "confirm"
    choice = forms.ChoiceField(
        label="What would you like to do?",
        choices=[
            (KEEP_OPEN, "Keep support open until the dates have passed"),
            (CLOSE, "End support now, and say who will follow up the dates"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose one."},
    )
    key_date_follow_up = forms.CharField(
        label="Who will follow up the dates (if you end support now)",
        required=False,
        max_length=200,
        help_text="In general terms, for example 'the team manager' or 'their GP'. This goes "
        "in the summary.",
    )

    def clean(self):
        data = super().clean()
        if data.get("choice") == self.CLOSE and not data.get("key_date_follow_up", "").strip():
            self.add_error(
                "key_date_follow_up",
                "Please say who will follow up the dates, in general terms.",
            )
        return data


class WithdrawForm(CaseForm):
    id_prefix = "withdraw"
    reason = forms.CharField(
        label="Anything you would like to tell us (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="There is no need to give a reason.",
    )


class ExtensionDecisionForm(CaseForm):
    id_prefix = "decision"
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve"), ("refuse", "Do not approve")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note for the therapist (needed if you do not approve)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, request_id: int | None = None, **kwargs):
        if request_id is not None:
            self.id_prefix = f"decision{request_id}"
        super().__init__(*args, **kwargs)


# --- running a service call from a form ----------------------------------------------------

CONFLICT = 409


def run_service(form: CaseForm, action, *, current_version: int) -> int | None:
    """Call ``action(cleaned_data)`` for a valid form and put any refusal on the form,
    so the page can be shown again with everything the person typed.

    Returns None when the action was done, else the HTTP status to show the form
    with: 200 for something to correct, 409 when someone else changed the referral
    first (the form then carries the latest version, so trying again works)."""
    if not form.is_valid():
        return 200
    try:
        if form.cleaned_data["version"] != current_version:
            raise ReferralChanged
        action(form.cleaned_data)
    except (ReferralChanged, TransitionNotAllowed, ConcurrentTransition):
        form.add_error(None, ReferralChanged.message)
        return CONFLICT
    except RuleRefused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return 200
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return 200
    return None


def refresh_version(form: CaseForm, version: int) -> None:
    """After a conflict, keep what was typed but carry the latest version."""
    data = form.data.copy()
    data["version"] = str(version)
    form.data = data
