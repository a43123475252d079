"""Rules of the service that are plain arithmetic or yes/no, each written once.

They take plain values, not model instances or queries, so the state machine's
conditions (``referrals/models/lifecycle.py``), the services, the selectors and the
pages all ask the same function. Eligibility of an incident and of a referral is
``referrals/eligibility.py``; whether a clock is running is ``referrals/sla.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# --- group consent (docs/service.md, step 10) ---------------------------------------------

GROUP_CONSENT_NEEDED = (
    "Please talk with the staff concerned first, and confirm they wish to take up group "
    "support. Group support is only offered when people choose it."
)


def group_consent_errors(*, consulted: bool, wishes_to_take_part: bool) -> dict[str, str]:
    """A group referral needs the staff concerned to have been consulted and to have
    said they wish to take part; the error goes next to the first box."""
    if consulted and wishes_to_take_part:
        return {}
    return {"group_consulted": GROUP_CONSENT_NEEDED}


# --- the session allowance (docs/service.md, step 8) ---------------------------------------


def counts_toward_allowance(*, individual: bool, attended: bool) -> bool:
    """Only attended individual sessions use up the allowance: the service pays for
    sessions held; a missed or cancelled session, or a group session, does not count."""
    return individual and attended


@dataclass(frozen=True)
class Allowance:
    before_review: int
    maximum: int
    exceptional: int

    @property
    def absolute_maximum(self) -> int:
        return self.maximum + self.exceptional


def allowance() -> Allowance:
    """Up to 3 sessions, then a review; an extension of up to 3 more (6 in total); one
    beyond 6 only with an approved exceptional request (figures from settings)."""
    return Allowance(
        before_review=settings.CIRS_SESSIONS_BEFORE_REVIEW,
        maximum=settings.CIRS_MAX_SESSIONS,
        exceptional=settings.CIRS_MAX_EXCEPTIONAL_SESSIONS,
    )


def sessions_allowed_now(*, extension_approved: bool, exceptional_approved: bool) -> int:
    """How many attended sessions the case may have with the approvals it has."""
    limits = allowance()
    if exceptional_approved:
        return limits.absolute_maximum
    if extension_approved:
        return limits.maximum
    return limits.before_review


def _so_far(held: int, planned: int) -> str:
    if not planned:
        return f"{held} sessions have been held"
    return (
        f"{held} session{'s' if held != 1 else ''} held and {planned} planned make {held + planned}"
    )


def session_refusal(
    *,
    held: int,
    reviewed: bool,
    extension_approved: bool,
    exceptional_approved: bool,
    planned: int = 0,
) -> str | None:
    """Why another attended session may not be recorded (or planned) after ``held`` of
    them and ``planned`` still to come, or None if it may. Planned sessions not yet
    held count against what can be planned."""
    limits = allowance()
    so_far = _so_far(held, planned)
    held += planned
    if held < limits.before_review:
        return None
    if held < limits.maximum:
        if not reviewed:
            return (
                f"{so_far}. Please record the review of "
                "whether more support is needed before adding another session."
            )
        if not extension_approved:
            return (
                f"{so_far}. Sessions {limits.before_review + 1} to "
                f"{limits.maximum} need an approved extension from the Principal Social "
                "Worker or Service Manager."
            )
        return None
    if held < limits.absolute_maximum:
        if not exceptional_approved:
            return (
                f"{so_far}, the most the service offers. One "
                "further session is possible only in exceptional circumstances, with "
                "an approved request that records the reason."
            )
        return None
    return (
        f"{so_far}. This is the most the service can offer; "
        "please plan the ending of support and the exit pathway."
    )


def review_is_due(*, held: int, reviewed: bool) -> bool:
    """The review is recorded once, after the 3rd counted session."""
    return held >= allowance().before_review and not reviewed


def may_request_exceptional_session(*, held: int, already_requested: bool) -> bool:
    """One session beyond 6, asked for once the 6th has been held."""
    return held >= allowance().maximum and not already_requested
