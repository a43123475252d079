"""The coordinator's forms for the pool: add a therapist, change one, record leave."""

from __future__ import annotations

from django import forms

from referrals.forms.common import CrispyForm
from referrals.forms.support import DateInput
from therapists.services import leave_errors, users_who_may_join

CAPACITY_HELP = "The most open cases they hold at once."


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.email})"


class AddTherapistForm(CrispyForm):
    user = PersonChoiceField(
        label="Who joins the pool",
        queryset=None,
        empty_label="Please choose",
        help_text="People with a therapist account who are not in a pool yet.",
        error_messages={"required": "Please choose who joins the pool."},
    )
    provider = forms.ModelChoiceField(
        label="Provider",
        queryset=None,
        empty_label=None,
        error_messages={"required": "Please choose the provider."},
    )
    capacity = forms.IntegerField(
        label="Capacity", min_value=1, max_value=50, initial=6, help_text=CAPACITY_HELP
    )
    availability_note = forms.CharField(
        label="Note for allocation (optional)",
        required=False,
        max_length=200,
        help_text="For example 'mornings only'. Please keep it general.",
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_who_may_join()
        self.fields["provider"].queryset = providers
        if providers.count() == 1:
            self.fields["provider"].widget = forms.HiddenInput()
            self.fields["provider"].initial = providers.first().pk


class TherapistForm(CrispyForm):
    capacity = forms.IntegerField(
        label="Capacity", min_value=1, max_value=50, help_text=CAPACITY_HELP
    )
    is_active = forms.BooleanField(
        label="In the pool and taking cases",
        required=False,
        help_text="Untick when they leave the provider. Their open cases stay with them "
        "until you reallocate them.",
    )
    availability_note = forms.CharField(
        label="Note for allocation (optional)",
        required=False,
        max_length=200,
        help_text="For example 'mornings only'. Please keep it general.",
    )


class LeaveForm(CrispyForm):
    starts_on = forms.DateField(
        label="First day of leave",
        widget=DateInput(),
        error_messages={"required": "Please give the first day of leave."},
    )
    ends_on = forms.DateField(
        label="Last day of leave",
        widget=DateInput(),
        error_messages={"required": "Please give the last day of leave."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=200,
        help_text="General only, for example 'annual leave'.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_leave_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on"):
            for field, message in leave_errors(
                starts_on=data["starts_on"], ends_on=data["ends_on"]
            ).items():
                self.add_error(field, message)
        return data
