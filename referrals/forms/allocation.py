"""The provider coordinator's choice of therapist (docs/service.md, step 5)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from referrals.forms.common import CrispyForm
from referrals.services import allocation_refusal


class TherapistSelect(forms.Select):
    """The pool as a list: someone who cannot take the case today (on leave, or no
    places left) is shown, with the reason, but cannot be chosen."""

    refuse = staticmethod(lambda therapist: None)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        therapist = getattr(value, "instance", None)
        if therapist is not None and self.refuse(therapist):
            option["attrs"]["disabled"] = True
        return option


class TherapistChoiceField(forms.ModelChoiceField):
    widget = TherapistSelect
    day: date | None = None

    def label_from_instance(self, obj) -> str:
        leave = obj.leave_on(self.day) if self.day is not None else None
        if leave is not None:
            return f"{obj} (on leave until {leave.ends_on:%-d %b %Y})"
        if not obj.is_active:
            return f"{obj} (not taking cases)"
        places = (
            "no places left"
            if obj.places_left == 0
            else f"{obj.places_left} of {obj.capacity} places left"
        )
        cases = "case" if obj.open_cases == 1 else "cases"
        return f"{obj} ({obj.open_cases} open {cases}, {places})"


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

    def __init__(self, *args, therapists, referral, day: date, reallocating: bool, **kwargs):
        """``therapists`` come from ``Therapist.objects.with_open_cases()``; each one
        ``allocation_refusal`` refuses on ``day`` is listed but cannot be chosen."""
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.day = day
        field = self.fields["therapist"]
        field.queryset = therapists
        field.day = day
        field.widget.refuse = self.refusal
        self.reallocating = reallocating
        if not reallocating:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "Please give the reason for reallocating."
            )

    def refusal(self, therapist) -> str | None:
        return allocation_refusal(self.referral, therapist, day=self.day)

    def clean_therapist(self):
        therapist = self.cleaned_data["therapist"]
        refusal = self.refusal(therapist)
        if refusal is not None:
            raise ValidationError(refusal)
        return therapist
