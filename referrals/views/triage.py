"""PSW / SMPE: the triage queue and decisions (docs/service.md step 4: "accept, decline
(reason + signposting), or request more information")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django_fsm import TransitionNotAllowed, has_transition_perm

from accounts.audit import record_list_view
from referrals import permissions as perms
from referrals import services, sla
from referrals.filters import AWAITING_TRIAGE, TriageFilter
from referrals.forms import AcceptForm, DeclineForm, MoreInformationForm, add_service_errors
from referrals.models import CriticalIncident, Referral
from referrals.paging import paginate, queue_listing
from referrals.rows import PAUSED, badge_html, draw, url_for_each, who, working_days_words
from referrals.selectors import (
    get_referral_for_user,
)
from referrals.selectors import providers as all_providers
from referrals.views.detail import conflict, detail_context, posted_version

# Names are personal data: the search box posts, so a name never sits in a URL, a
# browser history or a proxy log (docs/security-checklist.md row 18).
NOT_IN_QUERY_STRING = ("staff_name",)


@login_required
def triage_queue(request: HttpRequest) -> HttpResponse:
    """Every referral awaiting a decision, the most urgent first, 50 to a page, with its
    age in working days and a badge read from its stored triage deadline.

    State, team and category travel in the query string (page links keep them); a
    search by name is posted, and its page links post it again."""
    perms.require(request.user, perms.is_triager)
    if request.method == "POST":
        data = request.POST
    else:
        data = request.GET.copy()
        for name in NOT_IN_QUERY_STRING:
            data.pop(name, None)
    now = timezone.now()
    filters = {k: v for k, v in data.items() if k in TriageFilter.base_filters and v}
    # The queue is built by the filters only when there are some (``QUEUE`` otherwise).
    queue = QUEUE.items(request.user, now) if filters else None
    filterset = TriageFilter(filters or None, queryset=queue)
    post_fields = None
    if request.method == "POST":
        post_fields = list(filters.items())
    # The whole queue, as it is opened, has its SQL written once; a filtered one is
    # built by the filters.
    items = filterset.qs if filters else QUEUE.for_person(request.user, now)
    page = paginate(
        request,
        items,
        data=data,
        post_fields=post_fields,
        rows_for=lambda ids: QUEUE.rows(request.user, ids, now),
    )
    rows = _shown(page.rows, now)
    record_list_view(
        request, object_type="referral", ids=[r["pk"] for r in rows], detail="triage queue"
    )
    return render(
        request,
        "referrals/triage_queue.html",
        {"filter": filterset, "rows": rows, "table_rows": draw(ROW, rows), "page": page},
    )


# What a row of the queue shows, read for its page only.
COLUMNS = (
    "pk",
    "kind",
    "staff_name",
    "state",
    "submitted_at",
    "incident__team__name",
    "incident__category",
    "group__number_of_staff",
)
# The queue; unfiltered, its SQL written once (``referrals.paging.Listing``).
QUEUE = queue_listing(AWAITING_TRIAGE, COLUMNS)

STATE_WORDS = dict(Referral.State.choices)
CATEGORY_WORDS = dict(CriticalIncident.Category.choices)


def _shown(rows, now) -> list[dict]:
    """What each row shows, in the queue's words: worked out once per row here, so the
    template only places it (``referrals.rows``)."""
    decide = url_for_each("referrals:triage_decide")
    shown = []
    for r in rows:
        paused = r["state"] == Referral.State.MORE_INFO
        badges = ""
        if not paused:
            readings = sla.readings_at(r["deadlines"], now)
            badges = "".join(badge_html(x) for x in readings if x.clock == "triage")
        shown.append(
            {
                "pk": r["pk"],
                "url": decide(r["pk"]),
                "reference": Referral.reference_for(r["pk"]),
                "who": who(r),
                "team": r["incident__team__name"],
                "category": CATEGORY_WORDS.get(r["incident__category"], r["incident__category"]),
                "status": STATE_WORDS.get(r["state"], r["state"]),
                "age": working_days_words(r["submitted_at"], now),
                "paused": paused,
                "clocks": PAUSED if paused else mark_safe(badges),  # noqa: S308 - badge_html escapes
            }
        )
    return shown


# One row of the queue (``rows.draw`` fills the holes, escaped).
ROW = (
    '<tr data-testid="triage-row"><td><a href="{url}">{reference}</a></td><td>{who}</td>'
    '<td>{team}</td><td>{category}</td><td>{status}</td><td data-testid="age">{age}</td>'
    "<td>{clocks}</td></tr>\n"
)


def _forms(data=None, action: str | None = None) -> dict:
    """The three decision forms; only the one that was posted is bound."""
    providers = all_providers()
    accept_initial = {}
    if len(providers) == 1:
        accept_initial["provider"] = providers[0].pk
    return {
        "accept_form": AcceptForm(
            data if action == "accept" else None,
            prefix="accept",
            providers=providers,
            initial=accept_initial,
        ),
        "decline_form": DeclineForm(data if action == "decline" else None, prefix="decline"),
        "question_form": MoreInformationForm(
            data if action == "more_info" else None, prefix="more_info"
        ),
    }


def _decide(request: HttpRequest, referral, action: str, form) -> str:
    """Call the service for ``action``; returns the message for the person."""
    version = posted_version(request)
    data = form.cleaned_data
    if action == "accept":
        services.accept_referral(
            referral_id=referral.pk,
            by=request.user,
            provider=data["provider"],
            note=data["note"].strip(),
            expected_version=version,
        )
        return (
            f"Accepted and sent to {data['provider']}. Their coordinator and the line "
            "manager have been told."
        )
    if action == "decline":
        services.decline_referral(
            referral_id=referral.pk,
            by=request.user,
            reason=data["reason"],
            signposting=data["signposting"],
            expected_version=version,
        )
        return "Declined. The line manager has been told, with where support can be found instead."
    services.request_more_information(
        referral_id=referral.pk,
        by=request.user,
        question=data["question"],
        expected_version=version,
    )
    return (
        "Your question has been sent to the line manager. The triage clock is paused until "
        "they answer."
    )


@login_required
def triage_decision(request: HttpRequest, referral_id: int) -> HttpResponse:
    """One referral, as triage sees it, with the three decisions."""
    referral = get_referral_for_user(request, referral_id)
    if not perms.can_triage(referral, request.user):
        raise PermissionDenied
    action = request.POST.get("action") if request.method == "POST" else None
    if action not in (None, "accept", "decline", "more_info"):
        action = None
    forms = _forms(request.POST if action else None, action)

    def page(ref, **extra):
        return {
            **detail_context(ref, request.user),
            **forms,
            "may_decide": has_transition_perm(ref.accept, request.user),
            "kept_forms": list(forms.values()),
            **extra,
        }

    if action:
        form = forms[
            {"accept": "accept_form", "decline": "decline_form", "more_info": "question_form"}[
                action
            ]
        ]
        if form.is_valid():
            try:
                message = _decide(request, referral, action, form)
            except (services.ReferralChanged, TransitionNotAllowed):
                latest = get_referral_for_user(request, referral_id, audit=False)
                return conflict(request, "referrals/triage_decision.html", page(latest))
            except (ValidationError, services.RuleRefused) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect("referrals:triage")
        return render(request, "referrals/triage_decision.html", page(referral), status=400)
    return render(request, "referrals/triage_decision.html", page(referral))


urlpatterns = [
    path("triage/", triage_queue, name="triage"),
    path("triage/<int:referral_id>/", triage_decision, name="triage_decide"),
]
