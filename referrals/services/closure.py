"""How support ends: the closure summary and closing the case (docs/service.md, step
11), the summary's delivery, and withdrawal at any point (step 12)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from referrals import notifications
from referrals.mailer import enqueue_on_commit
from referrals.models import ClosureSummary, ExitPathway, ExtensionRequest, Referral
from referrals.notifications import notify
from referrals.permissions import can_act_as_therapist, require
from referrals.services.core import RuleRefused, apply_transition, lock_referral, moves_clocks
from referrals.signals import support_ended
from referrals.summaries import key_dates_to_come, personal_detail_problems, summary_text

log = logging.getLogger("cirs.mailer")


def closing_refusal(referral: Referral) -> str | None:
    """Why support cannot end now, or None if it can (only an active case closes)."""
    if referral.state == Referral.State.ACTIVE:
        return None
    if referral.state == Referral.State.EXTENSION_REQUESTED:
        return (
            "A request for more sessions is waiting for a decision. Support can be "
            "ended once it is decided."
        )
    if referral.state == Referral.State.ALLOCATED:
        return "Support can be ended once the first meeting or a group session is recorded."
    return f"This case is {referral.get_state_display().lower()}, so it cannot be closed here."


@transaction.atomic
def save_closure_summary(
    *, referral_id: int, by, exit_pathways: Iterable[ExitPathway], comments: str
) -> ClosureSummary:
    """The therapist drafts the summary; nothing is sent until ``close_referral``."""
    comments = (comments or "").strip()
    pathways = list(exit_pathways)
    errors = {}
    if not pathways:
        errors["exit_pathways"] = "Please choose at least one exit pathway."
    if not comments:
        errors["comments"] = "Please write a few general comments for the line manager."
    if errors:
        raise ValidationError(errors)
    referral = lock_referral(referral_id)
    require(by, can_act_as_therapist, referral)
    refusal = closing_refusal(referral)
    if refusal:
        raise RuleRefused(refusal)
    # Anything personal blocks the summary until it is changed (issue 14 point 4).
    problems = personal_detail_problems(referral, comments)
    if problems:
        raise ValidationError({"comments": problems})
    summary, _ = ClosureSummary.objects.update_or_create(
        referral=referral,
        defaults={"comments": comments, "written_by": by, "written_at": timezone.now()},
    )
    summary.exit_pathways.set(pathways)
    return summary


@transaction.atomic
@moves_clocks
def close_referral(
    *,
    referral_id: int,
    by,
    exit_pathways: Iterable[ExitPathway] | None = None,
    comments: str | None = None,
    key_date_follow_up: str = "",
    expected_version: int | None = None,
) -> Referral:
    """docs/service.md step 11: end support with an exit pathway and a summary that goes to
    the line manager and, as a copy, to the staff member.

    With key dates still to come the reminder would never be sent once support ends,
    so closing then needs who will follow them up, named in general terms: it goes
    into the summary (issue 13). The other choice is to keep support open."""
    if exit_pathways is not None or comments is not None:
        save_closure_summary(
            referral_id=referral_id,
            by=by,
            exit_pathways=exit_pathways or [],
            comments=comments or "",
        )
    referral = lock_referral(referral_id, expected_version=expected_version)
    require(by, can_act_as_therapist, referral)
    if referral.state in (Referral.State.ALLOCATED, Referral.State.EXTENSION_REQUESTED):
        raise RuleRefused(closing_refusal(referral))
    if not referral.has_closure_summary():
        raise RuleRefused("Please choose the exit pathway and write the summary before closing.")
    if personal_detail_problems(referral, referral.closure_summary.comments):
        raise RuleRefused(
            "The summary still holds something personal. Please change it before sending."
        )
    follow_up = (key_date_follow_up or "").strip()
    to_come = key_dates_to_come(referral)
    if to_come and not follow_up:
        raise RuleRefused(
            f"This case has {len(to_come)} key date{'s' if len(to_come) > 1 else ''} still "
            "to come. Please say who will follow up, in general terms (for example 'the "
            "team manager'), or keep support open until then.",
            field="key_date_follow_up",
        )
    ClosureSummary.objects.filter(referral=referral).update(
        key_date_follow_up=follow_up if to_come else ""
    )
    referral = apply_transition(
        referral.pk, by=by, method="close", event="closed", at=timezone.now(), note=follow_up
    )
    # The summary is produced after commit by a task, from the therapist's general
    # comments and the exit pathways in general terms only.
    enqueue_on_commit(send_closure_summary_task, referral.pk)
    return referral


@transaction.atomic
@moves_clocks
def withdraw_referral(
    *, referral_id: int, by, reason: str = "", expected_version: int | None = None
):
    """docs/service.md step 12: the staff member may decline or stop support at any point."""
    referral = apply_transition(
        referral_id,
        by=by,
        method="withdraw",
        event="withdrawn",
        note=(reason or "").strip(),
        expected_version=expected_version,
        reason=(reason or "").strip(),
        at=timezone.now(),
    )
    # A request still waiting can never be decided now: take it out of the PSW/SMPE's
    # queue rather than leave it pending for ever.
    referral.extension_requests.filter(status=ExtensionRequest.Status.PENDING).update(
        status=ExtensionRequest.Status.REFUSED,
        decided_at=referral.withdrawn_at,
        decision_note="Support was withdrawn before a decision was needed.",
    )
    notifications.referral_withdrawn(referral, by=by)
    return referral


@transaction.atomic
def send_closure_summary(referral_id: int) -> int:
    """docs/service.md step 11: freeze the anonymised summary and send it to the line
    manager with the notice that support has ended, and the same copy to the staff
    member. Then ``support_ended`` is sent, so other parts of the service can follow
    on (the evaluation questionnaire's invitation, ``reporting/evaluation.py``).

    Idempotent: the text is frozen once, and each recipient's notice key makes a
    second run tell no one. Returns how many people were told."""
    # Lock the row, then read it with its people in a fresh statement (a locking read
    # that waited would keep the joined rows it saw before the wait).
    Referral.objects.select_for_update().filter(pk=referral_id).values_list("pk").get()
    referral = Referral.objects.select_related("line_manager", "staff_user", "created_by").get(
        pk=referral_id
    )
    summary = getattr(referral, "closure_summary", None)
    if referral.state != Referral.State.CLOSED or summary is None:
        log.warning(
            "closure summary not sent: referral is not closed", extra={"referral": referral.pk}
        )
        return 0
    if referral.personal_data_erased_at is not None:
        return 0
    if not summary.text:
        summary.text = summary_text(referral)
        summary.sent_at = timezone.now()
        summary.save(update_fields=["text", "sent_at"])
    context = {"summary_text": summary.text}
    managers = {u.pk: u for u in [referral.line_manager, referral.created_by] if u and u.is_active}
    # The manager's own e-mail from Appendix 1, when they have no account.
    to_manager = list(managers.values()) or [referral.line_manager_email or None]
    told = notify(
        to_manager,
        template="support_ended_manager",
        key=f"summary:{referral.pk}:manager",
        referral=referral,
        context=context,
        url=reverse("referrals:detail", args=[referral.pk]),
    )
    staff = referral.staff_user
    if staff is not None and staff.is_active and staff.pk not in managers:
        to_staff = [staff]
    elif staff is None and referral.staff_email:
        to_staff = [referral.staff_email]
    else:
        to_staff = []
    told += notify(
        to_staff,
        template="support_ended_staff",
        key=f"summary:{referral.pk}:staff",
        referral=referral,
        context=context,
        url=reverse("referrals:own"),
    )
    support_ended.send(sender=Referral, referral=referral)
    return told


# Registered under its historical name, so messages already in the broker still run.
@shared_task(name="referrals.tasks.send_closure_summary", acks_late=True)
def send_closure_summary_task(referral_id: int) -> int:
    return send_closure_summary(referral_id)
