"""The referral page every role shares (what each person sees of it, and which buttons
they get), its timeline in plain words, and the conflict helpers every form on a
referral uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_fsm import has_transition_perm

from referrals import permissions as perms
from referrals import services, sla
from referrals.forms import AnswerForm
from referrals.models import Referral
from referrals.selectors import (
    closure_summary_for,
    get_referral_for_user,
    questions_of,
    transitions_of,
)

CONFLICT_MESSAGE = services.ReferralChanged.message


# --- helpers shared with intake, triage and allocation ----------------------------------------


def posted_version(request: HttpRequest) -> int:
    """The ``version`` the form was loaded with. A form without one is treated as out of
    date, so nothing is ever applied to a referral the person has not seen."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        raise services.ReferralChanged from None


def conflict(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """409: someone else acted first. The page shows the latest referral and keeps the
    person's bound form, so nothing they typed is lost."""
    context = {**context, "conflict_message": CONFLICT_MESSAGE}
    return render(request, template, context, status=409)


# --- the timeline in plain words ----------------------------------------------------------

TIMELINE_WORDS = {
    "draft_saved": "Referral started and saved as a draft",
    "submitted": "Referral sent for triage",
    "more_information_requested": "More information asked for (the triage clock is paused)",
    "resubmitted": "Information given and sent back for triage (the triage clock restarts)",
    "accepted": "Sent to the provider",
    "declined": "Declined, with other support suggested",
    "allocated": "Therapist allocated",
    "reallocated": "A different therapist allocated",
    "first_meeting_planned": "First meeting arranged",
    "first_meeting_held": "First meeting held",
    "manager_contacted": "The therapist spoke with the line manager",
    "session_attended": "Session held",
    "session_did_not_attend": "Session missed",
    "session_cancelled": "Session cancelled",
    "group_session": "Group session held",
    "review_close": "Review held: support will come to an end",
    "review_extend": "Review held: more support asked for",
    "extension_requested": "Extension asked for",
    "extension_approved": "Extension approved",
    "extension_refused": "Extension not approved",
    "exceptional_requested": "An exceptional further session asked for",
    "exceptional_approved": "Exceptional further session approved",
    "exceptional_refused": "Exceptional further session not approved",
    "key_date_saved": "Key date noted",
    "key_date_removed": "Key date removed",
    "closed": "Support ended",
    "withdrawn": "Support withdrawn",
}
# Events that say when a session or review happened: the therapist and triage see
# them; others see how many sessions were held, nothing more (docs/service.md "Data").
SESSION_EVENTS = frozenset(
    {
        "first_meeting_planned",
        "session_attended",
        "session_did_not_attend",
        "session_cancelled",
        "group_session",
        "review_close",
        "review_extend",
        "key_date_saved",
        "key_date_removed",
    }
)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    words: str
    by: str
    note: str
    status: str

    @property
    def when(self) -> str:
        """ "7 December 2026, 14:30", local time (as ``|date:"j F Y, H:i"`` wrote it)."""
        local = timezone.localtime(self.at)
        return f"{local.day} {local:%B %Y, %H:%M}"


STATE_WORDS = dict(Referral.State.choices)


def timeline_for(referral: Referral, user, logs=None) -> list[TimelineEntry]:
    """The referral's transitions in plain words, as this person may see them."""
    logs = referral.transitions.all() if logs is None else logs
    return timeline_from(
        [
            (log.event, log.at, str(log.by) if log.by_id else "", log.note, log.to_state)
            for log in logs
        ],
        detailed=perms.can_see_session_activity(referral, user),
    )


def timeline_from(logs, *, detailed: bool) -> list[TimelineEntry]:
    """``timeline_for`` from plain values: (event, at, who, note, to_state) each."""
    entries = []
    for event, at, by, note, to_state in logs:
        if event in SESSION_EVENTS and not detailed:
            continue
        entries.append(
            TimelineEntry(
                at=at,
                words=TIMELINE_WORDS.get(event, event.replace("_", " ").capitalize()),
                by=by,
                note=note if detailed else "",
                status=STATE_WORDS[to_state],
            )
        )
    return entries


# The transitions that open a referral's form again, and the states they start from.
EDITS = (Referral.edit_draft, Referral.edit_after_information_request)


def may_edit(referral: Referral, user) -> bool:
    return any(has_transition_perm(getattr(referral, edit.__name__), user) for edit in EDITS)


def may_edit_row(row, user) -> bool:
    """``may_edit`` for a list row (``rows.ReferralRow``): the same transitions'
    sources, conditions and permissions, asked of the row's values."""
    for edit in EDITS:
        meta = edit._django_fsm
        if (
            meta.has_transition(row.state)
            and meta.conditions_met(row, row.state)
            and meta.has_transition_perm(row, row.state, user)
        ):
            return True
    return False


def open_question(referral: Referral):
    return referral.information_requests.filter(answered_at__isnull=True).first()


# --- the referral page ------------------------------------------------------------------


def sent_summary_text(referral: Referral, user) -> str:
    """The frozen, anonymised closure summary as it was sent, for the people it was
    sent to (the line manager and the referrer) and for triage and the therapist;
    empty until it has gone out."""
    if referral.state != Referral.State.CLOSED or not perms.can_see_event_details(referral, user):
        return ""
    summary = closure_summary_for(referral)
    if summary is None or not summary.sent_at:
        return ""
    return summary.text


def detail_context(referral: Referral, user) -> dict:
    """What the referral page shows this person, and which buttons they get."""
    show_event_details = perms.can_see_event_details(referral, user)
    can_edit = may_edit(referral, user)
    can_answer = (
        referral.state == Referral.State.MORE_INFO
        and perms.can_answer_information_request(referral, user)
    )
    can_triage = has_transition_perm(referral.accept, user)
    can_allocate = has_transition_perm(referral.allocate, user)
    can_reallocate = has_transition_perm(referral.reallocate, user)
    is_therapist = perms.is_allocated_therapist(referral, user)
    return {
        "referral": referral,
        "show_event_details": show_event_details,
        "information_requests": questions_of(referral.pk) if show_event_details else [],
        "clocks": sla.referral_clocks(referral),
        "triage_paused": referral.state == Referral.State.MORE_INFO,
        "timeline": timeline_for(referral, user, logs=transitions_of(referral.pk)),
        "sessions_held": (
            referral.sessions_counted
            if hasattr(referral, "sessions_counted")
            else referral.counted_sessions()
        ),
        "can_edit": can_edit,
        "can_answer": can_answer,
        "open_question": open_question(referral) if can_answer else None,
        "can_triage": can_triage,
        "can_allocate": can_allocate,
        "can_reallocate": can_reallocate,
        "therapist_case_url": reverse("therapists:case", args=[referral.pk])
        if is_therapist
        else None,
        "withdraw_url": (
            reverse("referrals:withdraw", args=[referral.pk])
            if has_transition_perm(referral.withdraw, user)
            else None
        ),
        "support_started": referral.state in Referral.SUPPORT_STATES,
        "support_ended": referral.state == Referral.State.CLOSED,
        "summary_text": sent_summary_text(referral, user),
        "answer_form": AnswerForm() if can_answer else None,
    }


@login_required
@require_safe
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = get_referral_for_user(request, referral_id, count_sessions=True)
    return render(request, "referrals/referral_detail.html", detail_context(referral, request.user))


urlpatterns = [
    path("<int:referral_id>/", referral_detail, name="detail"),
]
