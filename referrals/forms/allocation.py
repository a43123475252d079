"""The provider coordinator's choice of therapist (docs/service.md, step 5)."""

from __future__ import annotations

from django import forms

from referrals.forms.common import CrispyForm


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
