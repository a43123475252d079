"""Sessions booked ahead on a case (issue 13): move one, or record how it went (held,
not attended, cancelled). Booking one is an entry of ``CASE_ACTIONS`` (``cases.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from referrals import permissions as perms
from referrals import services
from referrals.forms import support as case_forms
from referrals.models import PlannedSession, Referral
from therapists.views.cases import case_for_therapist, case_url, workspace

DONE = {
    PlannedSession.Status.HELD: "The session is recorded as held.",
    PlannedSession.Status.NOT_ATTENDED: "The session is recorded as not attended.",
    PlannedSession.Status.CANCELLED: "The session is cancelled. The staff member and you have "
    "each been sent a calendar update that takes it out of your calendars.",
}


def _planned(referral: Referral, planned_id: int) -> PlannedSession:
    return get_object_or_404(
        referral.planned_sessions, pk=planned_id, status=PlannedSession.Status.PLANNED
    )


@login_required
def move_planned_session(request: HttpRequest, referral_id: int, planned_id: int) -> HttpResponse:
    """Change the time, place or link of a booked session: the same calendar entry is
    updated for both people."""
    referral = case_for_therapist(request, referral_id)
    planned = _planned(referral, planned_id)
    status = 200
    if request.method == "POST":
        form = case_forms.PlanSessionForm(request.POST)
        status = case_forms.run_service(
            form,
            lambda data: services.plan_session(
                referral_id=referral.pk,
                by=request.user,
                planned_id=planned.pk,
                expected_version=data["version"],
                **{k: data[k] for k in ("starts_at", "duration_minutes", "mode", "place", "link")},
            ),
            current_version=referral.version,
        )
        if status is None:
            messages.success(
                request, "The session is changed. Both calendar invitations are updated."
            )
            return redirect(case_url(referral, "planned-sessions"))
        if status == case_forms.CONFLICT:
            referral = case_for_therapist(request, referral_id, audit=False)
            case_forms.refresh_version(form, referral.version)
    else:
        form = case_forms.PlanSessionForm(
            initial={
                "version": referral.version,
                "starts_at": timezone.localtime(planned.starts_at),
                "duration_minutes": planned.duration_minutes,
                "mode": planned.mode,
                "place": planned.place,
                "link": planned.link,
            }
        )
    context = {
        "referral": referral,
        "planned": planned,
        "form": form,
        "may_plan_session": perms.may(referral, "change_planned_sessions", request.user),
    }
    return render(request, "therapists/planned_session_edit.html", context, status=status)


@login_required
@require_POST
def record_planned_session(request: HttpRequest, referral_id: int, planned_id: int) -> HttpResponse:
    referral = case_for_therapist(request, referral_id)
    planned = _planned(referral, planned_id)
    form = case_forms.PlannedOutcomeForm(request.POST, planned_id=planned.pk)
    status = case_forms.run_service(
        form,
        lambda data: services.record_planned_session(
            referral_id=referral.pk,
            by=request.user,
            planned_id=planned.pk,
            outcome=data["outcome"],
            reason=data["reason"],
            notes=data["notes"],
        ),
        current_version=referral.version,
    )
    if status is None:
        messages.success(request, DONE[form.cleaned_data["outcome"]])
        return redirect(case_url(referral, "planned-sessions"))
    if status == case_forms.CONFLICT:
        referral = case_for_therapist(request, referral_id, audit=False)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return workspace(request, referral, status=status)


urlpatterns = [
    path(
        "cases/<int:referral_id>/planned-sessions/<int:planned_id>/",
        move_planned_session,
        name="planned_session_edit",
    ),
    path(
        "cases/<int:referral_id>/planned-sessions/<int:planned_id>/record/",
        record_planned_session,
        name="planned_session_record",
    ),
]
