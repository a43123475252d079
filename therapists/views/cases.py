"""The therapist's workspace (docs/service.md steps 6-11): "My cases", and one page per case
for the first meeting, manager contact, sessions, review, extension, key dates, group
sessions and closure.

Every case is fetched with ``get_referral_for_user`` (someone else's case is a 404)
and then checked with ``permissions.can_act_as_therapist`` (a visible case this
person may not work on is a 403). Every change goes through ``referrals.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import record_list_view
from config.prepared import MOMENT
from referrals import permissions as perms
from referrals import services, sla
from referrals.forms import support as case_forms
from referrals.models import KeyDate, PlannedSession, Referral
from referrals.paging import Listing, paginate
from referrals.rows import GROUP_BADGE, badge_html, day_words, draw, url_for_each
from referrals.selectors import closure_summary_for, get_referral_for_user
from therapists.selectors import (
    cases_for_therapist,
    key_date_reading,
    my_case_rows,
    next_due_for,
    session_allowance,
    sooner_of,
    soonest_stored,
    upcoming_key_dates,
)

# "My cases" for one therapist, its SQL written once (``referrals.paging.Listing``).
MY_CASES = Listing(
    lambda user, now: cases_for_therapist(user, now=now),
    lambda user, ids, now: my_case_rows(user, ids, now=now),
    kinds=(MOMENT,),
)


@login_required
@require_safe
def my_cases(request: HttpRequest) -> HttpResponse:
    """docs/service.md "Who uses it": the therapist sees "only cases allocated to them",
    each with the next thing due and its deadline."""
    perms.require(request.user, perms.is_therapist)
    now = timezone.now()
    page = paginate(request, MY_CASES.for_person(request.user, now))
    rows = _shown(page.rows, now)
    record_list_view(
        request, object_type="referral", ids=[r["pk"] for r in rows], detail="my cases"
    )
    return render(
        request,
        "therapists/my_cases.html",
        {"rows": rows, "table_rows": draw(ROW, rows), "page": page},
    )


STATE_WORDS = dict(Referral.State.choices)


def _due_html(reading) -> str:
    # therapists/partials/case_due.html, for a row of the list
    if not reading:
        return format_html('<span class="text-body-secondary">{}</span>\n', "Nothing due")
    if reading.clock == "key_date":
        day = reading.key_date.date
        return format_html(
            '<span class="badge badge-{}" title="{}">{}: {}</span>\n',
            reading.badge,
            reading.label,
            reading.label,
            day_words(day, weekday=True),
        )
    return badge_html(reading) + "\n"


def _shown(rows, now) -> list[dict]:
    """What each row shows, worked out once per row (``referrals.rows``)."""
    today = timezone.localdate(now)
    case = url_for_each("therapists:case")
    shown = []
    for r in rows:
        key_date = None
        if r["key_date_on"] is not None:
            key_date = KeyDate(kind=r["key_date_kind"], date=r["key_date_on"])
        due = sooner_of(soonest_stored(r["deadlines"], now=now), key_date, today=today)
        group = r["kind"] == Referral.Kind.GROUP
        if group:
            n = r["group_sessions"]
            sessions = f"{n} group session{'' if n == 1 else 's'}"
        else:
            sessions = str(r["attended_sessions"])
        shown.append(
            {
                "pk": r["pk"],
                "url": case(r["pk"]),
                "reference": Referral.reference_for(r["pk"]),
                "is_group": group,
                "who": r["incident__team__name"] if group else r["staff_name"],
                "status": STATE_WORDS.get(r["state"], r["state"]),
                "sessions": sessions,
                "due": mark_safe(_due_html(due)),  # noqa: S308 - escaped above
                "group_badge": GROUP_BADGE if group else "",
            }
        )
    return shown


# One row of the list (``rows.draw`` fills the holes, escaped).
ROW = (
    '<tr><td><a href="{url}">{reference}</a>{group_badge}</td><td>{who}</td>'
    "<td>{status}</td><td>{sessions}</td><td>{due}</td></tr>\n"
)


# --- the case page ---------------------------------------------------------------------


def case_for_therapist(request: HttpRequest, referral_id: int, *, audit: bool = True) -> Referral:
    referral = get_referral_for_user(request, referral_id, audit=audit)
    perms.require(request.user, perms.can_act_as_therapist, referral)
    return referral


def case_url(referral: Referral, anchor: str = "") -> str:
    url = reverse("therapists:case", args=[referral.pk])
    return f"{url}#{anchor}" if anchor else url


def _closure_initial(referral: Referral) -> dict:
    summary = closure_summary_for(referral)
    if summary is None:
        return {}
    return {"comments": summary.comments, "exit_pathways": list(summary.exit_pathways.all())}


def workspace(
    request: HttpRequest,
    referral: Referral,
    *,
    bound: dict[str, case_forms.CaseForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page, with any form that was just posted shown again as typed."""
    now = timezone.now()
    today = timezone.localdate(now)
    state = referral.state
    State = Referral.State
    version = {"version": referral.version}
    forms = {
        "plan": case_forms.PlanFirstMeetingForm(initial=version),
        "first": case_forms.FirstMeetingForm(initial=version),
        "contact": case_forms.ManagerContactForm(initial=version),
        "session": case_forms.TherapySessionForm(initial=version),
        "plan_session": case_forms.PlanSessionForm(initial=version),
        "group": case_forms.GroupSessionForm(initial=version),
        "review": case_forms.ReviewForm(initial=version),
        "exceptional": case_forms.ExceptionalSessionForm(initial=version),
        "key_date": case_forms.KeyDateForm(initial=version),
        "closure": case_forms.ClosureSummaryForm(initial={**version, **_closure_initial(referral)}),
    }
    forms.update(bound or {})
    is_active = state == State.ACTIVE
    individual = not referral.is_group

    def may(transition: str) -> bool:
        return perms.may(referral, transition, request.user)

    context = {
        "referral": referral,
        "forms": forms,
        "clocks": sla.referral_clocks(referral, now=now),
        "next_due": next_due_for(referral, now=now),
        "sessions": referral.therapy_sessions.all(),
        "planned_sessions": [
            (planned, case_forms.PlannedOutcomeForm(initial=version, planned_id=planned.pk))
            for planned in referral.planned_sessions.filter(status=PlannedSession.Status.PLANNED)
        ],
        "planning_refusal": referral.planning_refusal() if is_active and individual else None,
        "allowance": session_allowance(referral),
        "cap_message": referral.session_cap_refusal() if is_active and individual else None,
        "reviews": referral.reviews.all(),
        "extension_requests": referral.extension_requests.select_related("decided_by"),
        "upcoming_key_dates": [
            key_date_reading(k, today=today) for k in upcoming_key_dates(referral, today=today)
        ],
        "past_key_dates": [k for k in referral.key_dates.all() if k.date < today],
        "summary": closure_summary_for(referral),
        # What this person may do here now (templates never test roles or rules).
        "show_notes": perms.can_see_session_notes(referral, request.user),
        "may_plan_first_meeting": individual and may("plan_first_meeting"),
        "may_record_first_meeting": individual and may("record_first_meeting"),
        "may_record_manager_contact": may("record_manager_contact"),
        "may_record_session": individual and is_active,
        "may_plan_session": individual and may("change_planned_sessions"),
        "waiting_for_decision": state == State.EXTENSION_REQUESTED,
        "may_record_review": individual and may("record_review"),
        "may_request_exceptional": individual and may("request_exceptional_session"),
        "may_change_key_dates": may("change_key_dates"),
        "may_record_group_session": referral.is_group and may("record_group_session"),
        "may_close": is_active,
        "may_withdraw": may("withdraw"),
    }
    shown = {
        "plan": context["may_plan_first_meeting"],
        "first": context["may_record_first_meeting"],
        "contact": context["may_record_manager_contact"],
        "session": context["may_record_session"] and not context["waiting_for_decision"],
        "plan_session": context["may_plan_session"],
        "group": context["may_record_group_session"],
        "review": context["may_record_review"],
        "exceptional": context["may_request_exceptional"],
        "key_date": context["may_change_key_dates"],
        "closure": context["may_close"],
    }
    # A refusal for a form this case no longer shows is said at the top of the page.
    context["refusals"] = [
        message
        for key, form in (bound or {}).items()
        if not shown.get(key)
        for errors in form.errors.values()
        for message in errors
    ]
    return render(request, "therapists/case.html", context, status=status)


@login_required
@require_safe
def case(request: HttpRequest, referral_id: int) -> HttpResponse:
    return workspace(request, case_for_therapist(request, referral_id))


@dataclass(frozen=True)
class CaseAction:
    """One form on the case page and the service it runs.

    ``fields`` are read from the form into the service's keyword arguments; the
    service also gets the referral, the person acting and, when ``versioned``, the
    version the form was loaded with (``expected_version``)."""

    route: str  # under cases/<referral_id>/; the URL's name is the entry's key
    form_key: str  # the form's name in the page's context
    form_class: type[case_forms.CaseForm]
    service: Callable[..., object]
    fields: tuple[str, ...]
    done: str  # what the person is told when it worked
    anchor: str  # where on the case page to go back to
    versioned: bool = True

    def run(self, referral: Referral, data: dict, *, by) -> object:
        kwargs = {name: data[name] for name in self.fields}
        if self.versioned:
            kwargs["expected_version"] = data["version"]
        return self.service(referral_id=referral.pk, by=by, **kwargs)


# The actions on a case, as data: one URL each (``urlpatterns`` below), one view.
CASE_ACTIONS: dict[str, CaseAction] = {
    "plan_first_meeting": CaseAction(
        "first-meeting/plan/",
        "plan",
        case_forms.PlanFirstMeetingForm,
        services.plan_first_meeting,
        ("planned_at",),
        "The planned first meeting is saved.",
        "first-meeting",
    ),
    "first_meeting": CaseAction(
        "first-meeting/",
        "first",
        case_forms.FirstMeetingForm,
        services.record_first_meeting,
        ("held_at", "mode", "notes", "staff_wants_reminders"),
        "The first meeting is recorded. Thank you.",
        "first-meeting",
    ),
    "manager_contact": CaseAction(
        "manager-contact/",
        "contact",
        case_forms.ManagerContactForm,
        services.record_manager_contact,
        ("contacted_at",),
        "The contact with the line manager is recorded.",
        "manager-contact",
    ),
    "session": CaseAction(
        "sessions/",
        "session",
        case_forms.TherapySessionForm,
        services.record_therapy_session,
        ("held_at", "mode", "attendance", "cancellation_reason", "notes"),
        "The session is recorded.",
        "sessions",
    ),
    "plan_session": CaseAction(
        "planned-sessions/",
        "plan_session",
        case_forms.PlanSessionForm,
        services.plan_session,
        ("starts_at", "duration_minutes", "mode", "place", "link"),
        "The session is booked. The staff member and you have each been sent a calendar "
        "invitation.",
        "planned-sessions",
    ),
    "group_session": CaseAction(
        "group-sessions/",
        "group",
        case_forms.GroupSessionForm,
        services.record_group_session,
        ("held_at", "attendees", "mode", "duration_minutes"),
        "The group session is recorded.",
        "group-sessions",
    ),
    "review": CaseAction(
        "review/",
        "review",
        case_forms.ReviewForm,
        services.record_review,
        ("outcome", "reason", "held_on"),
        "The review is recorded.",
        "review",
    ),
    "exceptional_session": CaseAction(
        "exceptional-session/",
        "exceptional",
        case_forms.ExceptionalSessionForm,
        services.request_exceptional_session,
        ("reason",),
        "Your request is with the Principal Social Worker and Service Manager. "
        "You will be told of their decision.",
        "review",
    ),
    "key_date_add": CaseAction(
        "key-dates/",
        "key_date",
        case_forms.KeyDateForm,
        services.save_key_date,
        ("kind", "date", "label"),
        "The key date is saved.",
        "key-dates",
        versioned=False,
    ),
}


@login_required
@require_POST
def case_action(request: HttpRequest, referral_id: int, *, action: str) -> HttpResponse:
    """Post one form on the case page (``CASE_ACTIONS[action]``): do it and go back to
    the page, or show the page again with the form as typed and what needs changing
    (409 for a conflict)."""
    spec = CASE_ACTIONS[action]
    referral = case_for_therapist(request, referral_id)
    form = spec.form_class(request.POST)
    status = case_forms.run_service(
        form,
        lambda data: spec.run(referral, data, by=request.user),
        current_version=referral.version,
    )
    if status is None:
        messages.success(request, spec.done)
        return redirect(case_url(referral, spec.anchor))
    if status == case_forms.CONFLICT:
        referral = case_for_therapist(request, referral_id, audit=False)
        case_forms.refresh_version(form, referral.version)
    return workspace(request, referral, bound={spec.form_key: form}, status=status)


urlpatterns = [
    path("cases/", my_cases, name="my_cases"),
    path("cases/<int:referral_id>/", case, name="case"),
    *(
        path(f"cases/<int:referral_id>/{spec.route}", case_action, {"action": name}, name=name)
        for name, spec in CASE_ACTIONS.items()
    ),
]
