"""The evaluation questionnaire (docs/service.md, "Roles": the staff member "answers
the evaluation questionnaire"; "Monitoring": "evaluation questionnaire results").

After support ends the staff member is invited, once, to answer a few questions. Only
they may answer, only once, and only for a closed referral. Their answers are never
shown to their manager; the report shows counts only, never the free comment.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from referrals import permissions as perms
from referrals.models import Notification, Referral
from referrals.notifications import event_key, notify
from referrals.services import RuleRefused
from reporting.models import EvaluationResponse

# Rendered by notify() from templates/emails/evaluation_invitation_*.
INVITATION_TEMPLATE = "evaluation_invitation"


class AlreadyAnswered(Exception):
    """The staff member has answered the questionnaire for this referral before."""


def evaluation_url(referral: Referral) -> str:
    return reverse("reporting:evaluation", args=[referral.pk])


def invite_to_evaluation(referral: Referral) -> None:
    """Invite the staff member (by e-mail and in the app) to the questionnaire, once,
    when support has ended. Staff without an account cannot sign in to answer, so
    they are not invited."""
    if referral.staff_user is None or referral.state != Referral.State.CLOSED:
        return
    url = evaluation_url(referral)
    if EvaluationResponse.objects.filter(referral_id=referral.pk).exists():
        return
    # Once: the closure task may run again, and a staff member with no e-mail address
    # has only the in-app notice to show they were invited.
    if Notification.objects.filter(user=referral.staff_user, referral=referral, url=url).exists():
        return
    notify(
        [referral.staff_user],
        template=INVITATION_TEMPLATE,
        referral=referral,
        key=event_key("evaluation_invitation", referral),
        url=url,
    )


def on_support_ended(sender, *, referral: Referral, **kwargs) -> None:
    """``referrals.signals.support_ended``: the closure summary has gone out."""
    invite_to_evaluation(referral)


def questionnaire_link(sender, *, referral: Referral, user, **kwargs) -> tuple[str, str] | None:
    """``referrals.signals.own_support_links``: the questionnaire, on "My support", for
    the staff member of a closed referral until they have answered it."""
    if referral.state != Referral.State.CLOSED or not perms.is_staff_member(referral, user):
        return None
    if referral.personal_data_erased_at is not None:
        return None
    if EvaluationResponse.objects.filter(referral_id=referral.pk).exists():
        return None
    return ("Tell us how the support went (a few short questions)", evaluation_url(referral))


def on_personal_data_erased(sender, *, referral_ids, **kwargs) -> None:
    """``referrals.signals.personal_data_erased``: the ratings stay for the figures; the
    free comment could identify someone, and the link to their account goes."""
    EvaluationResponse.objects.filter(referral_id__in=referral_ids).update(
        comment="", respondent=None
    )


@transaction.atomic
def submit_evaluation(
    *,
    referral_id: int,
    by,
    timely: int,
    helpful: int,
    would_recommend: bool,
    comment: str = "",
) -> EvaluationResponse:
    """Record the staff member's answers: their own referral, once support has ended,
    and only once."""
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    if not perms.is_staff_member(referral, by):
        raise PermissionDenied
    if referral.state != Referral.State.CLOSED:
        raise RuleRefused("The questionnaire opens once your support has ended.")
    if EvaluationResponse.objects.filter(referral=referral).exists():
        raise AlreadyAnswered
    return EvaluationResponse.objects.create(
        referral=referral,
        respondent=by,
        timely=timely,
        helpful=helpful,
        would_recommend=would_recommend,
        comment=(comment or "").strip(),
    )
