"""Triage decisions by the PSW or SMPE (docs/service.md, steps 4-5)."""

from __future__ import annotations

from django import forms

from referrals.forms.common import CrispyForm


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
