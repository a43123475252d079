"""Line manager's side: Appendix 1 referral, group referral, "My referrals" and the
answer to a request for more information. The referral page every role shares is
``referrals/views/detail.py``."""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe
from django_fsm import TransitionNotAllowed

from accounts.audit import record_access, record_list_view
from accounts.backends import unwrapped
from accounts.models import AuditEvent
from referrals import permissions as perms
from referrals import services
from referrals.forms import AnswerForm, GroupReferralForm, ReferralForm, add_service_errors
from referrals.kept import take_kept_post
from referrals.models import Referral
from referrals.paging import Listing, paginate
from referrals.rows import ReferralRow, draw, timeline_html, url_for_each, who
from referrals.selectors import (
    get_referral_for_user,
    page_of,
    parse_transitions,
    referrals_visible_to,
    transitions_json,
)
from referrals.views.detail import (
    STATE_WORDS,
    conflict,
    may_edit,
    may_edit_row,
    open_question,
    posted_version,
    timeline_from,
)

# Sent as a hidden field with a new referral: a second post of the same form (a double
# click, a browser retry) finds the first one's referral instead of making another.
FORM_TOKEN = re.compile(r"^[0-9a-f]{32}$")
FORM_AUDIT_PREFIX = "created from form "


# --- "My referrals" ---------------------------------------------------------------------


@login_required
@require_safe
def my_referrals(request: HttpRequest) -> HttpResponse:
    """Referrals this person made or that name them as line manager, newest first, 50 to
    a page."""
    user = request.user
    page = paginate(request, MINE.for_person(user))
    items = _items(page.rows, unwrapped(user))
    record_list_view(
        request,
        object_type="referral",
        ids=[i["referral"].pk for i in items],
        detail="my referrals",
    )
    return render(
        request,
        "referrals/my_referrals.html",
        {
            "items": items,
            "cards": draw(CARD, [_card_values(item) for item in items]),
            "page": page,
            "can_make_referral": perms.can_make_referral(user),
            "can_make_group_referral": perms.can_make_group_referral(user),
        },
    )


SHOWN = ("staff_name", "incident__team__name", "incident__occurred_on", "group__number_of_staff")


def _mine(user):
    return (
        referrals_visible_to(user)
        .filter(Q(created_by=user) | Q(line_manager=user))
        .order_by("-created_at", "-pk")
    )


def _mine_rows(user, ids):
    return (
        page_of(user, ids)
        .annotate(timeline_json=transitions_json())
        .values(*ReferralRow.FIELDS, *SHOWN, "timeline_json")
    )


# "My referrals" for one person, its SQL written once (``referrals.paging.Listing``).
MINE = Listing(_mine, _mine_rows)


def _items(rows, user) -> list[dict]:
    """What each referral on the page shows, worked out once per row
    (``referrals.rows``), its timeline from the JSON list read with it."""
    detail = url_for_each("referrals:detail")
    edit = url_for_each("referrals:edit")
    answer = url_for_each("referrals:answer")
    items = []
    for values in rows:
        referral = ReferralRow(values)
        pk = referral.pk
        occurred = values["incident__occurred_on"]
        items.append(
            {
                "referral": referral,
                "url": detail(pk),
                "edit_url": edit(pk),
                "answer_url": answer(pk),
                "reference": Referral.reference_for(pk),
                "who": who(values, group="group of", unnamed="name not given yet"),
                "status": STATE_WORDS[referral.state],
                "team": values["incident__team__name"],
                "occurred_on": f"{occurred.day} {occurred:%B %Y}" if occurred else "",
                "timeline": timeline_from(
                    parse_transitions(values["timeline_json"]),
                    detailed=perms.can_see_session_activity(referral, user),
                ),
                "editable": may_edit_row(referral, user),
            }
        )
    return items


def _card_values(item: dict) -> dict:
    """The holes of one ``CARD``."""
    state = item["referral"].state
    return {
        "pk": item["referral"].pk,
        "url": item["url"],
        "reference": item["reference"],
        "who": item["who"],
        "status": item["status"],
        "team": item["team"],
        "occurred_on": item["occurred_on"],
        "actions": _actions(item, state) if item["editable"] else "",
        "ended": format_html(ENDED, url=item["url"]) if state == Referral.State.CLOSED else "",
        "timeline": timeline_html(item["timeline"]),
    }


def _actions(item: dict, state: str) -> SafeString:
    edit = EDIT_DRAFT if state == Referral.State.DRAFT else EDIT_SENT
    answer = ANSWER if state == Referral.State.MORE_INFO else ""
    return format_html(
        ACTIONS,
        edit=format_html(edit, url=item["edit_url"]),
        answer=format_html(answer, url=item["answer_url"]) if answer else "",
    )


# One card of the list (``rows.draw`` fills the holes, escaped).
CARD = """<section class="card mb-3" aria-labelledby="ref-{pk}" data-testid="my-referral">
  <div class="card-body">
    <div class="d-flex flex-wrap justify-content-between gap-2">
      <h2 class="h5 card-title mb-1" id="ref-{pk}"><a href="{url}">{reference}</a>: {who}</h2>
      <span class="badge text-bg-light border fs-6" data-testid="status">{status}</span>
    </div>
    <p class="text-muted small mb-2">{team} · incident on {occurred_on}</p>
    {actions}{ended}<details>
      <summary>What has happened so far</summary>
      {timeline}</details>
  </div>
</section>
"""
ACTIONS = '<p class="mb-2">{edit}{answer}</p>\n'
EDIT_DRAFT = '<a href="{url}">Carry on with this draft</a>'
EDIT_SENT = '<a href="{url}">Change the referral</a>'
ANSWER = ' · <a href="{url}">Answer the question</a>'
ENDED = (
    '<p class="mb-2" data-testid="support-ended">Support has ended. '
    '<a href="{url}#ended-heading">Read the therapist\'s summary</a></p>\n'
)


# --- Appendix 1: new, edit, send -------------------------------------------------------


def _form_token(request: HttpRequest) -> str | None:
    token = request.POST.get("form_token", "")
    return token if FORM_TOKEN.match(token) else None


def _already_made(request: HttpRequest, token: str) -> int | None:
    """The referral this form already made, if it was posted before. Holds a lock on
    the user's row to the end of the transaction, so two posts of the same form at the
    same moment are taken one after the other."""
    User = get_user_model()
    list(User.objects.select_for_update().filter(pk=request.user.pk).values_list("pk"))
    made = (
        AuditEvent.objects.filter(
            user=request.user, object_type="referral", detail=f"{FORM_AUDIT_PREFIX}{token}"
        )
        .values_list("object_id", flat=True)
        .first()
    )
    return int(made) if made else None


def _posted_token(request: HttpRequest, form) -> str | None:
    """The form's token, or None with a note on the form asking to press again."""
    posted = _form_token(request)
    if posted is None:
        form.is_valid()
        form.add_error(
            None,
            "This form had been open for a while. Your answers are below: please check "
            "them and press the button again.",
        )
    return posted


def _remember_token(request: HttpRequest, referral: Referral, token: str) -> None:
    record_access(
        request,
        action=AuditEvent.Action.CHANGE,
        object_type="referral",
        object_id=referral.pk,
        detail=f"{FORM_AUDIT_PREFIX}{token}",
    )


def _sent_message(request: HttpRequest) -> None:
    messages.success(
        request,
        "Thank you. Your referral has been sent to the Principal Social Worker and the "
        "Service Manager for Practice Excellence, who will look at it within a working day. "
        "You will hear from us here and by e-mail.",
    )


def _draft_message(request: HttpRequest) -> None:
    messages.success(
        request,
        "Saved as a draft. Nothing has been sent yet: come back to it from “My referrals” "
        "whenever you are ready.",
    )


def _has_eligibility_error(form) -> bool:
    return "incident_date" in form.errors


@login_required
def referral_create(request: HttpRequest) -> HttpResponse:
    """A new Appendix 1 referral, saved as a draft or sent straight away."""
    perms.require(request.user, perms.can_make_referral)
    user = request.user
    token = uuid.uuid4().hex
    if request.method == "POST":
        form = ReferralForm(request.POST, sending=request.POST.get("action") == "submit")
        posted = _posted_token(request, form)
        token = posted or token
        if posted and form.is_valid():
            sending = request.POST.get("action") == "submit"
            try:
                with transaction.atomic():
                    made = _already_made(request, posted)
                    if made is not None:
                        messages.info(request, "This referral was already saved. Here it is.")
                        return redirect("referrals:detail", referral_id=made)
                    referral = services.save_referral_draft(by=user, data=form.service_data())
                    if sending:
                        referral = services.submit_referral(
                            referral_id=referral.pk, by=user, expected_version=referral.version
                        )
                    _remember_token(request, referral, posted)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _sent_message(request) if sending else _draft_message(request)
                return redirect("referrals:detail", referral_id=referral.pk)
    elif (kept := take_kept_post(request)) is not None:
        form = ReferralForm(kept)
    else:
        form = ReferralForm(
            initial={
                "line_manager_name": user.get_full_name(),
                "line_manager_phone": user.phone,
                "line_manager_email": user.email,
            }
        )
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "referral": None,
            "form_token": token,
            "can_send": True,
            "show_alternatives": _has_eligibility_error(form),
        },
        status=400 if form.errors else 200,
    )


@login_required
def referral_edit(request: HttpRequest, referral_id: int) -> HttpResponse:
    """Change a draft (and send it), or change a referral sent back for more
    information while it is with the line manager."""
    referral = get_referral_for_user(request, referral_id)
    user = request.user
    if not may_edit(referral, user):
        if referral.state not in (Referral.State.DRAFT, Referral.State.MORE_INFO) and (
            perms.can_edit_draft(referral, user)
            or perms.can_answer_information_request(referral, user)
        ):
            messages.info(request, "This referral has moved on, so it can no longer be changed.")
            return redirect("referrals:detail", referral_id=referral.pk)
        raise PermissionDenied
    is_draft = referral.state == Referral.State.DRAFT
    status = 200
    if request.method == "POST":
        sending = is_draft and request.POST.get("action") == "submit"
        form = ReferralForm(
            request.POST, sending=sending, first_submitted_at=referral.first_submitted_at
        )
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = services.save_referral_draft(
                        by=user,
                        data=form.service_data(),
                        referral_id=referral.pk,
                        expected_version=posted_version(request),
                    )
                    if sending:
                        services.submit_referral(
                            referral_id=saved.pk, by=user, expected_version=saved.version
                        )
            except (services.ReferralChanged, TransitionNotAllowed):
                referral = get_referral_for_user(request, referral_id, audit=False)
                return conflict(
                    request,
                    "referrals/referral_form.html",
                    {"form": form, "referral": referral, "can_send": is_draft},
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if sending:
                    _sent_message(request)
                elif is_draft:
                    _draft_message(request)
                else:
                    messages.success(
                        request,
                        "Your changes are saved. When you are ready, answer the question on "
                        "this page to send the referral back for triage.",
                    )
                return redirect("referrals:detail", referral_id=referral.pk)
        status = 400
    elif (kept := take_kept_post(request)) is not None:
        form = ReferralForm(kept)
    else:
        form = ReferralForm(initial=ReferralForm.initial_for(referral))
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "referral": referral,
            "can_send": is_draft,
            "show_alternatives": _has_eligibility_error(form),
        },
        status=status,
    )


# --- group referral ------------------------------------------------------------------


@login_required
def group_referral_create(request: HttpRequest) -> HttpResponse:
    """docs/service.md step 10: a line manager, service manager or Head of Service refers a
    group, after the staff concerned were consulted and wish to take part."""
    perms.require(request.user, perms.can_make_group_referral)
    token = uuid.uuid4().hex
    if request.method == "POST":
        form = GroupReferralForm(request.POST)
        posted = _posted_token(request, form)
        token = posted or token
        if posted and form.is_valid():
            try:
                with transaction.atomic():
                    made = _already_made(request, posted)
                    if made is not None:
                        messages.info(request, "This referral was already sent. Here it is.")
                        return redirect("referrals:detail", referral_id=made)
                    referral = services.create_group_referral(
                        by=request.user, data=form.service_data()
                    )
                    _remember_token(request, referral, posted)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _sent_message(request)
                return redirect("referrals:detail", referral_id=referral.pk)
    else:
        form = GroupReferralForm()
    return render(
        request,
        "referrals/group_referral_form.html",
        {
            "form": form,
            "form_token": token,
            "show_alternatives": _has_eligibility_error(form),
        },
        status=400 if form.errors else 200,
    )


# --- answering a request for more information -----------------------------------------


@login_required
def answer_question(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The line manager answers triage's question; the referral goes back for triage."""
    referral = get_referral_for_user(request, referral_id)
    if not perms.can_answer_information_request(referral, request.user):
        raise PermissionDenied
    question = open_question(referral)
    if question is None or referral.state != Referral.State.MORE_INFO:
        messages.info(request, "There is no question waiting for an answer on this referral.")
        return redirect("referrals:detail", referral_id=referral.pk)
    context = {"referral": referral, "question": question}
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.answer_information_request(
                    referral_id=referral.pk,
                    by=request.user,
                    answer=form.cleaned_data["answer"],
                    expected_version=posted_version(request),
                )
            except (services.ReferralChanged, TransitionNotAllowed):
                referral = get_referral_for_user(request, referral_id, audit=False)
                return conflict(
                    request,
                    "referrals/answer_question.html",
                    {**context, "referral": referral, "form": form},
                )
            except (ValidationError, services.RuleRefused) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    "Thank you. Your answer is sent. The referral is back with the Principal "
                    "Social Worker and the Service Manager for Practice Excellence. They will "
                    "look at it again soon.",
                )
                return redirect("referrals:detail", referral_id=referral.pk)
        return render(
            request, "referrals/answer_question.html", {**context, "form": form}, status=400
        )
    return render(request, "referrals/answer_question.html", {**context, "form": AnswerForm()})


urlpatterns = [
    path("mine/", my_referrals, name="mine"),
    path("new/", referral_create, name="create"),
    path("new-group/", group_referral_create, name="create_group"),
    path("<int:referral_id>/edit/", referral_edit, name="edit"),
    path("<int:referral_id>/answer/", answer_question, name="answer"),
]
