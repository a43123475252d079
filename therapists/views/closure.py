"""Ending support on a case (docs/service.md, step 11): save the summary, see exactly
what will be sent, then confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from referrals import services
from referrals.forms import support as case_forms
from referrals.models import Referral
from referrals.summaries import key_dates_to_come, personal_detail_problems, summary_text
from therapists.views.cases import case_for_therapist, case_url, workspace


@login_required
@require_POST
def save_closure_summary(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Step one of closing: save the draft, then show exactly what will be sent."""
    referral = case_for_therapist(request, referral_id)
    form = case_forms.ClosureSummaryForm(request.POST)
    status = case_forms.run_service(
        form,
        lambda data: _save_summary(referral, data, by=request.user),
        current_version=referral.version,
    )
    if status is None:
        return redirect("therapists:closure_preview", referral_id=referral.pk)
    if status == case_forms.CONFLICT:
        referral = case_for_therapist(request, referral_id, audit=False)
        case_forms.refresh_version(form, referral.version)
    return workspace(request, referral, bound={"closure": form}, status=status)


def _save_summary(referral: Referral, data: dict, *, by) -> None:
    services.save_closure_summary(
        referral_id=referral.pk,
        by=by,
        exit_pathways=data["exit_pathways"],
        comments=data["comments"],
    )


def _confirm_form(referral: Referral, data=None) -> case_forms.CaseForm:
    """With key dates still to come, the therapist chooses what happens to them."""
    form_class = (
        case_forms.ClosureWithDatesForm if key_dates_to_come(referral) else case_forms.ConfirmForm
    )
    return form_class(data, initial={"version": referral.version})


def _preview(
    request: HttpRequest,
    referral: Referral,
    *,
    form: case_forms.CaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    summary = referral.closure_summary
    sent = bool(summary.text)
    context = {
        "referral": referral,
        "summary": summary,
        "text": summary.text if sent else summary_text(referral),
        "sent": sent,
        "warnings": [] if sent else personal_detail_problems(referral, summary.comments),
        "form": form or _confirm_form(referral),
        "dates_to_come": [] if sent else key_dates_to_come(referral),
        "closing_refusal": services.closing_refusal(referral),
        "staff_copy": bool(referral.staff_user_id or referral.staff_email),
    }
    return render(request, "therapists/closure_preview.html", context, status=status)


@login_required
@require_safe
def closure_preview(request: HttpRequest, referral_id: int) -> HttpResponse:
    """docs/service.md step 11: the therapist sees exactly the text the line manager and the
    staff member will receive, with a warning for anything personal, before it is sent."""
    referral = case_for_therapist(request, referral_id)
    if not referral.has_closure_summary():
        messages.info(request, "Please choose the exit pathway and write the summary first.")
        return redirect(case_url(referral, "closure"))
    return _preview(request, referral)


@login_required
@require_POST
def confirm_closure(request: HttpRequest, referral_id: int) -> HttpResponse:
    referral = case_for_therapist(request, referral_id)
    if not referral.has_closure_summary():
        messages.info(request, "Please choose the exit pathway and write the summary first.")
        return redirect(case_url(referral, "closure"))
    form = _confirm_form(referral, request.POST)
    keep_open = case_forms.ClosureWithDatesForm.KEEP_OPEN
    if form.is_valid() and form.cleaned_data.get("choice") == keep_open:
        last = key_dates_to_come(referral)[-1]
        messages.success(
            request,
            f"Support stays open until the dates have passed (the last is "
            f"{last.date:%-d %B %Y}). You will get the usual reminder before each one.",
        )
        return redirect(case_url(referral, "key-dates"))
    status = case_forms.run_service(
        form,
        lambda data: services.close_referral(
            referral_id=referral.pk,
            by=request.user,
            key_date_follow_up=data.get("key_date_follow_up", ""),
            expected_version=data["version"],
        ),
        current_version=referral.version,
    )
    if status is None:
        messages.success(
            request,
            "Support has ended. The summary is on its way to the line manager, with a copy "
            "for the staff member. Thank you for your work with them.",
        )
        return redirect(case_url(referral))
    if status == case_forms.CONFLICT:
        referral = case_for_therapist(request, referral_id, audit=False)
        case_forms.refresh_version(form, referral.version)
    return _preview(request, referral, form=form, status=status)


urlpatterns = [
    path("cases/<int:referral_id>/closure/", save_closure_summary, name="closure"),
    path("cases/<int:referral_id>/closure/preview/", closure_preview, name="closure_preview"),
    path("cases/<int:referral_id>/closure/confirm/", confirm_closure, name="closure_confirm"),
]
