"""Who may do what: the one home for it (docs/architecture.md). The same predicates feed the
``@transition(permission=...)`` on the model, the services (``require``) and the
templates (``referral_actions``); templates never test roles themselves.

Predicates take ``(referral, user)`` in that order, as django-fsm calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django_fsm import has_transition_perm

from accounts.roles import GROUP_REFERRER_ROLES, TRIAGE_ROLES, Role

if TYPE_CHECKING:
    from accounts.models import User
    from referrals.models import Referral


def is_active_account(user) -> bool:
    """Signed in, with an account still active: the first thing every predicate here,
    and ``Referral.objects.visible_to``, asks of a person."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_triager(user) -> bool:
    return is_active_account(user) and bool(user.roles & TRIAGE_ROLES)


def is_line_manager(user) -> bool:
    return is_active_account(user) and Role.LINE_MANAGER in user.roles


def is_coordinator(user) -> bool:
    return is_active_account(user) and Role.COORDINATOR in user.roles


def is_therapist(user) -> bool:
    return is_active_account(user) and Role.THERAPIST in user.roles


def is_service_lead(user) -> bool:
    return is_active_account(user) and Role.SERVICE_LEAD in user.roles


def can_make_referral(user) -> bool:
    return is_line_manager(user)


def can_make_group_referral(user) -> bool:
    return is_active_account(user) and bool(user.roles & GROUP_REFERRER_ROLES)


def can_see_reports(user) -> bool:
    """Aggregate, anonymised figures only: service leads and the PSW/SMPE."""
    return is_service_lead(user) or is_triager(user)


def can_see_audit_log(user) -> bool:
    return is_triager(user)


def is_referrer(referral: Referral, user: User) -> bool:
    return is_active_account(user) and referral.created_by_id == user.pk


def is_group_author_only(referral: Referral, user: User) -> bool:
    """The author of a group referral who is neither a line manager nor triage: a service
    lead ("a service manager or Head of Service" may refer a group, docs/service.md step
    10). The council's need-to-know rule: the event details are "key information that
    the therapist needs to know", and what goes back to a referrer is "general comments
    with no specific personal information". So they follow the referral's status and
    outcome, but do not see its event details, and cannot withdraw it for the group:
    only its line manager, its therapist or triage can (docs/threat-model.md)."""
    return (
        referral.is_group
        and is_referrer(referral, user)
        and not is_line_manager(user)
        and not is_triager(user)
    )


def can_edit_draft(referral: Referral, user: User) -> bool:
    return is_referrer(referral, user)


def can_submit(referral: Referral, user: User) -> bool:
    return is_referrer(referral, user) and (
        is_line_manager(user) or (referral.is_group and can_make_group_referral(user))
    )


def can_answer_information_request(referral: Referral, user: User) -> bool:
    return is_referrer(referral, user) or (
        is_active_account(user) and referral.line_manager_id == user.pk
    )


def can_triage(referral: Referral, user: User) -> bool:
    return is_triager(user)


def can_decide_extension(referral: Referral, user: User) -> bool:
    return is_triager(user)


def can_allocate(referral: Referral, user: User) -> bool:
    """The provider's coordinator, for referrals sent to that provider."""
    if not is_coordinator(user) or referral.provider_id is None:
        return False
    return referral.provider.coordinators.filter(pk=user.pk).exists()


def can_manage_pool(provider, user: User) -> bool:
    """The provider's coordinator manages its pool of therapists."""
    return is_coordinator(user) and provider.coordinators.filter(pk=user.pk).exists()


def is_allocated_therapist(referral: Referral, user: User) -> bool:
    return (
        is_therapist(user)
        and referral.therapist_id is not None
        and referral.therapist.user_id == user.pk
    )


def can_act_as_therapist(referral: Referral, user: User) -> bool:
    return is_allocated_therapist(referral, user)


def is_staff_member(referral: Referral, user: User) -> bool:
    return is_active_account(user) and referral.staff_user_id == user.pk


def can_withdraw(referral: Referral, user: User) -> bool:
    """docs/service.md step 12: "the staff member may decline or stop support at any point".
    Their manager, their therapist or triage may record it for them."""
    return (
        is_staff_member(referral, user)
        or (
            can_answer_information_request(referral, user)
            and not is_group_author_only(referral, user)
        )
        or is_allocated_therapist(referral, user)
        or is_triager(user)
    )


def can_see_session_notes(referral: Referral, user: User) -> bool:
    """Session notes are the allocated therapist's alone (docs/service.md "Data")."""
    return is_allocated_therapist(referral, user)


def can_see_session_activity(referral: Referral, user: User) -> bool:
    """When each session, review or key date happened, and the notes on the timeline:
    the allocated therapist and triage. Everyone else sees counts at most."""
    return is_allocated_therapist(referral, user) or is_triager(user)


def can_see_event_details(referral: Referral, user: User) -> bool:
    """The event as the manager described it: not for the provider's coordinator, who
    sees only what a therapist needs to make contact."""
    if is_group_author_only(referral, user):
        return False
    return (
        is_referrer(referral, user)
        or can_answer_information_request(referral, user)
        or is_triager(user)
        or is_allocated_therapist(referral, user)
    )


def require(user, predicate, referral: Referral | None = None) -> None:
    """Raise PermissionDenied unless ``predicate`` allows ``user`` (on ``referral``)."""
    allowed = predicate(user) if referral is None else predicate(referral, user)
    if not allowed:
        raise PermissionDenied


def may(referral: Referral, transition: str, user) -> bool:
    """Whether ``user`` may run ``transition`` on ``referral`` now: its source state,
    its conditions and its role, asked of the state machine itself, so a page never
    keeps its own copy of which states allow what."""
    return has_transition_perm(getattr(referral, transition), user)
