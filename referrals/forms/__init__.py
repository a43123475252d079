"""The forms of the service, one module per part of it. Forms only check the shape of
what was typed; the rules are the services' (``referrals/services/``). The public names
are handed on from here."""

from referrals.forms.allocation import AllocateForm, TherapistChoiceField
from referrals.forms.board import BoardFilterForm
from referrals.forms.common import (
    CrispyForm,
    DateField,
    KindEmailField,
    PhoneField,
    add_service_errors,
    validate_uk_phone,
)
from referrals.forms.intake import AnswerForm, GroupReferralForm, ReferralForm
from referrals.forms.triage import AcceptForm, DeclineForm, MoreInformationForm

__all__ = [
    "AcceptForm",
    "AllocateForm",
    "AnswerForm",
    "BoardFilterForm",
    "CrispyForm",
    "DateField",
    "DeclineForm",
    "GroupReferralForm",
    "KindEmailField",
    "MoreInformationForm",
    "PhoneField",
    "ReferralForm",
    "TherapistChoiceField",
    "add_service_errors",
    "validate_uk_phone",
]
