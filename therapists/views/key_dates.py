"""Key dates on a case (docs/service.md, step 9): change or remove one, and download it
as a calendar file. Adding one is an entry of ``CASE_ACTIONS`` (``cases.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_access
from accounts.models import AuditEvent
from referrals import permissions as perms
from referrals import services
from referrals.calendar import key_date_calendar
from referrals.forms import support as case_forms
from referrals.models import KeyDate, Referral
from therapists.views.cases import case_for_therapist, case_url, workspace


def _key_date(referral: Referral, key_date_id: int) -> KeyDate:
    return get_object_or_404(referral.key_dates, pk=key_date_id)


@login_required
def edit_key_date(request: HttpRequest, referral_id: int, key_date_id: int) -> HttpResponse:
    referral = case_for_therapist(request, referral_id)
    key_date = _key_date(referral, key_date_id)
    status = 200
    if request.method == "POST":
        form = case_forms.KeyDateForm(request.POST)
        status = case_forms.run_service(
            form,
            lambda data: services.save_key_date(
                referral_id=referral.pk,
                by=request.user,
                kind=data["kind"],
                date=data["date"],
                label=data["label"],
                key_date_id=key_date.pk,
            ),
            current_version=referral.version,
        )
        if status is None:
            messages.success(request, "The key date is updated.")
            return redirect(case_url(referral, "key-dates"))
        if status == case_forms.CONFLICT:
            referral = case_for_therapist(request, referral_id, audit=False)
            case_forms.refresh_version(form, referral.version)
    else:
        form = case_forms.KeyDateForm(
            initial={
                "version": referral.version,
                "kind": key_date.kind,
                "date": key_date.date,
                "label": key_date.label,
            }
        )
    context = {
        "referral": referral,
        "key_date": key_date,
        "form": form,
        "may_change_key_dates": perms.may(referral, "change_key_dates", request.user),
    }
    return render(request, "therapists/key_date_edit.html", context, status=status)


@login_required
@require_POST
def remove_key_date(request: HttpRequest, referral_id: int, key_date_id: int) -> HttpResponse:
    referral = case_for_therapist(request, referral_id)
    key_date = _key_date(referral, key_date_id)
    form = case_forms.ConfirmForm(request.POST)
    status = case_forms.run_service(
        form,
        lambda data: services.remove_key_date(
            referral_id=referral.pk, by=request.user, key_date_id=key_date.pk
        ),
        current_version=referral.version,
    )
    if status is None:
        messages.success(request, "The key date is removed.")
        return redirect(case_url(referral, "key-dates"))
    for error in form.non_field_errors():
        messages.error(request, error)
    if status == case_forms.CONFLICT:
        referral = case_for_therapist(request, referral_id, audit=False)
    return workspace(request, referral, status=status)


@login_required
@require_safe
def key_date_ics(request: HttpRequest, referral_id: int, key_date_id: int) -> HttpResponse:
    """A calendar file for one key date (RFC 5545); the download is audited."""
    referral = case_for_therapist(request, referral_id, audit=False)
    key_date = _key_date(referral, key_date_id)
    record_access(
        request,
        action=AuditEvent.Action.DOWNLOAD,
        object_type="referral",
        object_id=referral.pk,
        detail=f"key date {key_date.pk} calendar file",
    )
    body = key_date_calendar(key_date, referral)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"{referral.reference}-key-date-{key_date.pk}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path(
        "cases/<int:referral_id>/key-dates/<int:key_date_id>/edit/",
        edit_key_date,
        name="key_date_edit",
    ),
    path(
        "cases/<int:referral_id>/key-dates/<int:key_date_id>/remove/",
        remove_key_date,
        name="key_date_remove",
    ),
    path(
        "cases/<int:referral_id>/key-dates/<int:key_date_id>/calendar.ics",
        key_date_ics,
        name="key_date_ics",
    ),
]
