"""Provider coordinator: accepted referrals awaiting a therapist, and allocating or
reallocating one (docs/service.md step 5: "the coordinator identifies and allocates a
therapist")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_fsm import TransitionNotAllowed, has_transition_perm

from accounts.audit import record_list_view
from referrals import permissions as perms
from referrals import services, sla
from referrals.forms import AllocateForm, add_service_errors
from referrals.models import Referral
from referrals.paging import paginate, queue_listing
from referrals.rows import (
    badge_html,
    day_words,
    draw,
    stacked,
    url_for_each,
    who,
    working_days_words,
)
from referrals.selectors import (
    get_referral_for_user,
)
from referrals.views.detail import conflict, posted_version
from therapists.models import Therapist, TherapistLeave
from therapists.selectors import leave_coming_for, leave_notice_days


@login_required
@require_safe
def allocation_queue(request: HttpRequest) -> HttpResponse:
    """Referrals sent to this coordinator's provider and not yet allocated, the most
    urgent first (its stored deadlines), 50 to a page."""
    perms.require(request.user, perms.is_coordinator)
    now = timezone.now()
    page = paginate(request, QUEUE.for_person(request.user, now))
    rows = _shown(page.rows, now)
    record_list_view(
        request, object_type="referral", ids=[r["pk"] for r in rows], detail="allocation"
    )
    return render(
        request,
        "therapists/allocation_queue.html",
        {"rows": rows, "table_rows": draw(ROW, rows), "page": page},
    )


# What a row of the queue shows, read for its page only.
COLUMNS = (
    "pk",
    "kind",
    "staff_name",
    "decided_at",
    "incident__team__name",
    "incident__occurred_on",
    "group__number_of_staff",
)
# The queue for one coordinator, its SQL written once (``referrals.paging.Listing``).
QUEUE = queue_listing((Referral.State.ACCEPTED,), COLUMNS)


def _shown(rows, now) -> list[dict]:
    """What each row shows, worked out once per row (``referrals.rows``)."""
    detail = url_for_each("referrals:detail")
    allocate_url = url_for_each("therapists:allocate")
    shown = []
    for r in rows:
        readings = sla.readings_at(r["deadlines"], now)
        occurred = r["incident__occurred_on"]
        badges = [badge_html(x) for x in readings]
        shown.append(
            {
                "pk": r["pk"],
                "url": detail(r["pk"]),
                "allocate_url": allocate_url(r["pk"]),
                "reference": Referral.reference_for(r["pk"]),
                "who": who(r),
                "team": r["incident__team__name"],
                "occurred_on": day_words(occurred) if occurred else "",
                "waiting": working_days_words(r["decided_at"], now),
                "badges": badges,
                "clocks": stacked(badges),
            }
        )
    return shown


# One row of the queue (``rows.draw`` fills the holes, escaped).
ROW = (
    '<tr data-testid="allocation-row"><td><a href="{url}">{reference}</a></td><td>{who}</td>'
    "<td>{team}</td><td>{occurred_on}</td><td>{waiting}</td><td>{clocks}</td>"
    '<td><a class="btn btn-sm btn-primary" href="{allocate_url}">Allocate</a></td></tr>\n'
)


def _pool(provider_id: int):
    """The provider's therapists in the pool with their open cases counted and their
    leave from today fetched: what ``services.allocation_refusal`` reads."""
    leave = TherapistLeave.objects.filter(ends_on__gte=timezone.localdate())
    return (
        Therapist.objects.filter(provider_id=provider_id, is_active=True)
        .with_open_cases()
        .select_related("user")
        .prefetch_related(Prefetch("leaves", queryset=leave, to_attr="leave_to_come"))
    )


@login_required
def allocate(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Allocate a therapist to an accepted referral, or reallocate one in support with a
    reason. Therapists on leave today or with no places left are listed but cannot be
    chosen, and the service refuses them too (a page loaded before a change)."""
    referral = get_referral_for_user(request, referral_id)
    user = request.user
    reallocating = referral.state in Referral.SUPPORT_STATES
    may = (
        has_transition_perm(referral.reallocate, user)
        if reallocating
        else has_transition_perm(referral.allocate, user)
    )
    if not may:
        if perms.can_allocate(referral, user):
            messages.info(request, "This referral has no allocation to make or change now.")
            return redirect("referrals:detail", referral_id=referral.pk)
        raise PermissionDenied

    today = timezone.localdate()
    pool = list(_pool(referral.provider_id))
    for therapist in pool:
        therapist.refusal = services.allocation_refusal(referral, therapist, day=today)
        therapist.is_current = therapist.pk == referral.therapist_id
        therapist.leave_now = therapist.leave_on(today)
        therapist.leave = therapist.leave_from(today, days=leave_notice_days())

    choices = _pool(referral.provider_id)
    if reallocating:
        choices = choices.exclude(pk=referral.therapist_id)
    leave_coming = leave_coming_for(referral, today=today) if reallocating else None
    initial = {}
    if leave_coming is not None and request.GET.get("because") == "leave":
        initial["reason"] = (
            f"{referral.therapist} is on leave from {leave_coming.starts_on:%-d %B %Y} "
            f"to {leave_coming.ends_on:%-d %B %Y}."
        )
    form = AllocateForm(
        request.POST if request.method == "POST" else None,
        therapists=choices,
        referral=referral,
        day=today,
        reallocating=reallocating,
        initial=initial,
    )
    context = {
        "referral": referral,
        "form": form,
        "pool": pool,
        "reallocating": reallocating,
        "leave_coming": leave_coming,
        # The coordinator sees only what a therapist needs to make contact.
        "show_event_details": perms.can_see_event_details(referral, user),
    }
    if request.method != "POST":
        return render(request, "therapists/allocate.html", context)
    if form.is_valid():
        therapist = form.cleaned_data["therapist"]
        try:
            if reallocating:
                services.reallocate_referral(
                    referral_id=referral.pk,
                    therapist=therapist,
                    by=user,
                    reason=form.cleaned_data["reason"],
                    expected_version=posted_version(request),
                )
            else:
                services.allocate_referral(
                    referral_id=referral.pk,
                    therapist=therapist,
                    by=user,
                    expected_version=posted_version(request),
                )
        except (services.ReferralChanged, TransitionNotAllowed):
            latest = get_referral_for_user(request, referral_id, audit=False)
            return conflict(request, "therapists/allocate.html", {**context, "referral": latest})
        except (ValidationError, services.RuleRefused) as exc:
            add_service_errors(form, exc)
        else:
            verb = "reallocated to" if reallocating else "allocated to"
            messages.success(
                request, f"{referral.reference} is {verb} {therapist}, who has been told."
            )
            return redirect("therapists:allocation_queue")
    return render(request, "therapists/allocate.html", context, status=400)


urlpatterns = [
    path("allocation/", allocation_queue, name="allocation_queue"),
    path("allocation/<int:referral_id>/", allocate, name="allocate"),
]
