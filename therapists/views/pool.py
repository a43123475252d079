"""The provider coordinator's pool of therapists (issue 13): who is in it, their capacity,
their leave and their caseload, and the open cases whose therapist has leave coming.

A coordinator sees only their own providers' therapists: anyone else's, and any
therapist's page for someone who is not a coordinator, is a 404; the list pages refuse
other roles (403). Every change goes through ``therapists.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_list_view
from referrals import permissions as perms
from referrals.forms import add_service_errors
from referrals.paging import paginate
from referrals.services import RuleRefused
from therapists import selectors, services
from therapists.forms import AddTherapistForm, LeaveForm, TherapistForm
from therapists.models import Provider, Therapist


def _providers(request: HttpRequest):
    return Provider.objects.filter(coordinators=request.user)


@login_required
@require_safe
def pool(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_coordinator)
    today = timezone.localdate()
    page = paginate(request, selectors.pool_for(request.user))
    for therapist in page.rows:
        therapist.leave_now = next(
            (leave for leave in therapist.leave_to_come if leave.starts_on <= today), None
        )
        therapist.next_leave = next(
            (leave for leave in therapist.leave_to_come if leave.starts_on > today), None
        )
    leave_coming = selectors.cases_with_leave_coming(request.user, today=today)
    record_list_view(
        request,
        object_type="therapist",
        ids=[t.pk for t in page.rows],
        also={"referral": [row.referral.pk for row in leave_coming]},
        detail="therapist pool",
    )
    context = {
        "page": page,
        "leave_coming": leave_coming,
        "notice_days": selectors.leave_notice_days(),
        "may_add": services.users_who_may_join().exists(),
    }
    return render(request, "therapists/pool.html", context)


@login_required
def add_therapist(request: HttpRequest) -> HttpResponse:
    perms.require(request.user, perms.is_coordinator)
    form = AddTherapistForm(request.POST or None, providers=_providers(request))
    if request.method == "POST" and form.is_valid():
        try:
            therapist = services.add_therapist(by=request.user, **form.cleaned_data)
        except (RuleRefused, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{therapist} is in the pool.")
            return redirect("therapists:therapist_edit", therapist_id=therapist.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "therapists/therapist_add.html", {"form": form}, status=status)


def _therapist_page(
    request: HttpRequest,
    therapist: Therapist,
    *,
    form: TherapistForm | None = None,
    leave_form: LeaveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    leave_coming = therapist.leave_from(today, days=selectors.leave_notice_days())
    cases = list(selectors.caseload(request.user, therapist))
    record_list_view(
        request,
        object_type="therapist",
        ids=[therapist.pk],
        also={"referral": [case.pk for case in cases]},
        detail="therapist's caseload",
    )
    context = {
        "therapist": therapist,
        "form": form
        or TherapistForm(
            initial={
                "capacity": therapist.capacity,
                "is_active": therapist.is_active,
                "availability_note": therapist.availability_note,
            }
        ),
        "leave_form": leave_form or LeaveForm(),
        "leaves": therapist.leaves.filter(ends_on__gte=today),
        "cases": cases,
        "leave_coming": leave_coming,
        "notice_days": selectors.leave_notice_days(),
    }
    return render(request, "therapists/therapist_edit.html", context, status=status)


@login_required
def therapist_edit(request: HttpRequest, therapist_id: int) -> HttpResponse:
    therapist = selectors.therapist_for_coordinator(request.user, therapist_id)
    if request.method != "POST":
        return _therapist_page(request, therapist)
    form = TherapistForm(request.POST)
    if form.is_valid():
        services.update_therapist(by=request.user, therapist_id=therapist.pk, **form.cleaned_data)
        messages.success(request, f"The details for {therapist} are saved.")
        return redirect("therapists:therapist_edit", therapist_id=therapist.pk)
    return _therapist_page(request, therapist, form=form, status=400)


@login_required
@require_POST
def add_leave(request: HttpRequest, therapist_id: int) -> HttpResponse:
    therapist = selectors.therapist_for_coordinator(request.user, therapist_id)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.add_leave(by=request.user, therapist_id=therapist.pk, **form.cleaned_data)
        except RuleRefused as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The leave is recorded.")
            return redirect(reverse("therapists:therapist_edit", args=[therapist.pk]) + "#leave")
    return _therapist_page(request, therapist, leave_form=form, status=400)


@login_required
@require_POST
def remove_leave(request: HttpRequest, therapist_id: int, leave_id: int) -> HttpResponse:
    therapist = selectors.therapist_for_coordinator(request.user, therapist_id)
    services.remove_leave(by=request.user, therapist_id=therapist.pk, leave_id=leave_id)
    messages.success(request, "The leave is removed.")
    return redirect(reverse("therapists:therapist_edit", args=[therapist.pk]) + "#leave")


urlpatterns = [
    path("pool/", pool, name="pool"),
    path("pool/add/", add_therapist, name="therapist_add"),
    path("pool/<int:therapist_id>/", therapist_edit, name="therapist_edit"),
    path("pool/<int:therapist_id>/leave/", add_leave, name="leave_add"),
    path("pool/<int:therapist_id>/leave/<int:leave_id>/remove/", remove_leave, name="leave_remove"),
]
