"""Every change to a referral goes through one function here, one module per part of
the service: lock the referral row (then its children), check who is acting and what
is allowed, transition, log, and queue what follows on commit.

Views, admin actions, commands and tasks all call these; nothing calls a model
transition directly. The public names are handed on from here, so callers write
``services.allocate_referral`` wherever it lives.
"""

from referrals.services.allocation import (
    allocate_referral,
    allocation_refusal,
    reallocate_referral,
)
from referrals.services.closure import (
    close_referral,
    closing_refusal,
    save_closure_summary,
    send_closure_summary,
    send_closure_summary_task,
    withdraw_referral,
)
from referrals.services.core import ReferralChanged, RuleRefused, log_transition
from referrals.services.intake import (
    answer_information_request,
    create_group_referral,
    link_staff_member_account,
    on_council_account_signed_in,
    save_referral_draft,
    submit_referral,
)
from referrals.services.outbox import retry_undelivered_email
from referrals.services.planning import place_errors, plan_session, record_planned_session
from referrals.services.support import (
    WAITING_FOR_DECISION,
    decide_extension_request,
    plan_first_meeting,
    record_first_meeting,
    record_group_session,
    record_manager_contact,
    record_review,
    record_therapy_session,
    remove_key_date,
    request_exceptional_session,
    save_key_date,
)
from referrals.services.triage import accept_referral, decline_referral, request_more_information

__all__ = [
    "WAITING_FOR_DECISION",
    "ReferralChanged",
    "RuleRefused",
    "accept_referral",
    "allocate_referral",
    "allocation_refusal",
    "answer_information_request",
    "close_referral",
    "closing_refusal",
    "create_group_referral",
    "decide_extension_request",
    "decline_referral",
    "link_staff_member_account",
    "log_transition",
    "on_council_account_signed_in",
    "place_errors",
    "plan_first_meeting",
    "plan_session",
    "reallocate_referral",
    "record_first_meeting",
    "record_group_session",
    "record_manager_contact",
    "record_planned_session",
    "record_review",
    "record_therapy_session",
    "remove_key_date",
    "request_exceptional_session",
    "request_more_information",
    "retry_undelivered_email",
    "save_closure_summary",
    "save_key_date",
    "save_referral_draft",
    "send_closure_summary",
    "send_closure_summary_task",
    "submit_referral",
    "withdraw_referral",
]
