"""The staff member's own page, withdrawal, and the PSW/SMPE's extension decisions
(docs/service.md steps 8, 11 and 12)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_list_view
from referrals import permissions as perms
from referrals import services
from referrals.forms import support as case_forms
from referrals.models import ClosureSummary, ExtensionRequest, PlannedSession, Referral
from referrals.paging import paginate
from referrals.selectors import (
    extension_requests_visible_to,
    get_referral_for_user,
    referrals_visible_to,
)
from referrals.signals import own_support_links

# What each state means for the person referred, in plain and kind words.
STATUS_FOR_STAFF = {
    Referral.State.SUBMITTED: (
        "Your referral has been received. The Principal Social Worker or Service Manager "
        "will look at it within a working day or two."
    ),
    Referral.State.MORE_INFO: (
        "Your line manager has been asked for a little more information. There is nothing "
        "you need to do."
    ),
    Referral.State.DECLINED: (
        "This service is not the right fit this time. Your line manager has been told why, "
        "and where support can be found instead."
    ),
    Referral.State.ACCEPTED: (
        "Your referral has been accepted. A therapist is being found for you, and will "
        "contact you soon."
    ),
    Referral.State.ALLOCATED: (
        "A therapist has been allocated to you and will contact you soon, usually within "
        "48 hours, to arrange a first meeting."
    ),
    Referral.State.ACTIVE: (
        "You are receiving support from your therapist. You can talk with them about "
        "anything to do with your sessions."
    ),
    Referral.State.EXTENSION_REQUESTED: (
        "Your therapist has asked for more sessions for you, and a decision will be made "
        "soon. Your therapist will let you know."
    ),
    Referral.State.CLOSED: (
        "Support through the service has ended. Your copy of the summary sent to your line "
        "manager is below."
    ),
    Referral.State.WITHDRAWN: (
        "Support was stopped, as asked. If you would like support again, your line manager "
        "can refer you at any time."
    ),
}


@login_required
@require_safe
def own_referrals(request: HttpRequest) -> HttpResponse:
    """docs/service.md "Who uses it": the staff member "sees the status of their own
    referral, their copy of the closure summary"."""
    referrals = (
        referrals_visible_to(request.user)
        .filter(staff_user=request.user)
        .select_related("closure_summary")
        .order_by("-submitted_at", "-pk")
    )
    rows = []
    for referral in referrals:
        summary = _sent_summary(referral)
        rows.append(
            {
                "referral": referral,
                "explanation": STATUS_FOR_STAFF.get(referral.state, ""),
                "signposting": referral.signposting
                if referral.state == Referral.State.DECLINED
                else "",
                "summary_text": summary.text if summary else "",
                "may_withdraw": perms.may(referral, "withdraw", request.user),
                "support_started": referral.state in Referral.SUPPORT_STATES,
                # The sessions booked ahead, as in the e-mail with the invitation.
                "booked": list(
                    referral.planned_sessions.filter(
                        status=PlannedSession.Status.PLANNED, starts_at__gte=timezone.now()
                    )
                )
                if referral.state in Referral.SUPPORT_STATES
                else [],
                "links": _other_links(referral, request.user),
            }
        )
    record_list_view(
        request,
        object_type="referral",
        ids=[r["referral"].pk for r in rows],
        also={"planned_session": [p.pk for r in rows for p in r["booked"]]},
        detail="my support",
    )
    return render(request, "referrals/own_support.html", {"rows": rows})


def _other_links(referral: Referral, user) -> list[tuple[str, str]]:
    """What other parts of the service offer on this referral (the evaluation
    questionnaire, from ``reporting``), asked through a signal so ``referrals`` never
    imports them."""
    answers = own_support_links.send(sender=Referral, referral=referral, user=user)
    return [link for _receiver, link in answers if link]


def _sent_summary(referral: Referral) -> ClosureSummary | None:
    try:
        summary = referral.closure_summary
    except ClosureSummary.DoesNotExist:
        return None
    return summary if summary.sent_at and summary.text else None


# --- extension requests (PSW / SMPE) ------------------------------------------------------


def _pending_requests(user):
    return (
        extension_requests_visible_to(user)
        .filter(status=ExtensionRequest.Status.PENDING)
        .select_related("referral", "requested_by", "referral__therapist__user")
        .order_by("requested_at", "pk")
    )


def _requests_page(
    request: HttpRequest,
    *,
    bound: case_forms.ExtensionDecisionForm | None = None,
    bound_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    page = paginate(request, _pending_requests(request.user))
    rows = []
    for pending in page.rows:
        if bound is not None and pending.pk == bound_id:
            form = bound
        else:
            form = case_forms.ExtensionDecisionForm(
                request_id=pending.pk, initial={"version": pending.referral.version}
            )
        rows.append({"request": pending, "form": form})
    record_list_view(
        request,
        object_type="referral",
        ids=[r["request"].referral_id for r in rows],
        detail="extension requests",
    )
    return render(
        request, "referrals/extension_requests.html", {"rows": rows, "page": page}, status=status
    )


@login_required
@require_safe
def extension_requests(request: HttpRequest) -> HttpResponse:
    """docs/service.md "Who uses it": the PSW and SMPE "approve extensions and exceptional
    sessions"."""
    perms.require(request.user, perms.is_triager)
    return _requests_page(request)


@login_required
@require_POST
def decide_extension(request: HttpRequest, referral_id: int, request_id: int) -> HttpResponse:
    referral = get_referral_for_user(request, referral_id)
    perms.require(request.user, perms.can_decide_extension, referral)
    pending = get_object_or_404(referral.extension_requests, pk=request_id)
    form = case_forms.ExtensionDecisionForm(request.POST, request_id=pending.pk)
    # Decided already: a conflict, whatever version was posted.
    is_pending = pending.status == ExtensionRequest.Status.PENDING
    current = referral.version if is_pending else -1
    status = case_forms.run_service(
        form,
        lambda data: services.decide_extension_request(
            request_id=pending.pk,
            by=request.user,
            approve=data["decision"] == "approve",
            note=data["note"],
        ),
        current_version=current,
    )
    if status is None:
        messages.success(
            request,
            f"Your decision on {referral.reference} is recorded, and the therapist has been told.",
        )
        return redirect("referrals:extension_requests")
    if status == case_forms.CONFLICT:
        messages.error(
            request,
            f"The request on {referral.reference} was just decided or changed by someone "
            "else. Please look at the latest list.",
        )
        return _requests_page(request, status=status)
    return _requests_page(request, bound=form, bound_id=pending.pk, status=status)


# --- withdrawal -------------------------------------------------------------------------


def _after_withdrawal_url(referral: Referral, user) -> str:
    if perms.is_staff_member(referral, user):
        return reverse("referrals:own")
    if perms.is_allocated_therapist(referral, user):
        return reverse("therapists:case", args=[referral.pk])
    return reverse("referrals:detail", args=[referral.pk])


def _withdrawn_message(referral: Referral, *, is_staff_member: bool) -> str:
    """Before support starts the referral is withdrawn; after, support is stopped."""
    started = referral.state in Referral.SUPPORT_STATES
    if is_staff_member:
        done = "Your support has been stopped" if started else "Your referral has been withdrawn"
        return (
            f"{done}, as you asked. Thank you for letting us know. If you would like "
            "support again, your line manager can refer you at any time, and your GP and "
            "the wellbeing service are there for you too."
        )
    done = "Support has been stopped" if started else "The referral has been withdrawn"
    return (
        f"{done}, as asked. Thank you for letting us know. If support is wanted again, "
        "the line manager can refer again at any time."
    )


@login_required
def withdraw(request: HttpRequest, referral_id: int) -> HttpResponse:
    """docs/service.md step 12: "the staff member may decline or stop support at any point".
    A kind confirmation page on GET; the withdrawal on POST."""
    referral = get_referral_for_user(request, referral_id)
    perms.require(request.user, perms.can_withdraw, referral)
    is_staff_member = perms.is_staff_member(referral, request.user)
    status = 200
    form = case_forms.WithdrawForm(initial={"version": referral.version})
    may_withdraw = perms.may(referral, "withdraw", request.user)
    if request.method == "POST" and may_withdraw:
        form = case_forms.WithdrawForm(request.POST)
        status = case_forms.run_service(
            form,
            lambda data: services.withdraw_referral(
                referral_id=referral.pk,
                by=request.user,
                reason=data["reason"],
                expected_version=data["version"],
            ),
            current_version=referral.version,
        )
        if status is None:
            messages.success(request, _withdrawn_message(referral, is_staff_member=is_staff_member))
            return redirect(_after_withdrawal_url(referral, request.user))
        if status == case_forms.CONFLICT:
            referral = get_referral_for_user(request, referral_id, audit=False)
            may_withdraw = perms.may(referral, "withdraw", request.user)
            case_forms.refresh_version(form, referral.version)
    elif request.method == "POST":
        status = 409
    context = {
        "referral": referral,
        "form": form,
        "may_withdraw": may_withdraw,
        "is_staff_member": is_staff_member,
        "support_started": referral.state in Referral.SUPPORT_STATES,
        "back_url": _after_withdrawal_url(referral, request.user),
    }
    return render(request, "referrals/withdraw_confirm.html", context, status=status)


urlpatterns = [
    path("my-support/", own_referrals, name="own"),
    path("extension-requests/", extension_requests, name="extension_requests"),
    path(
        "<int:referral_id>/extension-requests/<int:request_id>/decide/",
        decide_extension,
        name="decide_extension",
    ),
    path("<int:referral_id>/withdraw/", withdraw, name="withdraw"),
]
