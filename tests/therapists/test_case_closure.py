"""Ending support (docs/service.md step 11): exit pathway and general comments, a preview of
exactly what the line manager and staff member receive, warnings, then closing."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse

from referrals import services
from referrals.models import ClosureSummary, ExitPathway, Referral, Review
from referrals.summaries import summary_text

pytestmark = pytest.mark.django_db


def save_draft(client, referral, *, comments="Support came to a natural end.", codes=None):
    referral.refresh_from_db()
    pathways = ExitPathway.objects.filter(code__in=codes or ["no_further_support"])
    return client.post(
        reverse("therapists:closure", args=[referral.pk]),
        {
            "version": referral.version,
            "comments": comments,
            "exit_pathways": [p.pk for p in pathways],
        },
    )


def confirm(client, referral, version=None):
    referral.refresh_from_db()
    return client.post(
        reverse("therapists:closure_confirm", args=[referral.pk]),
        {"version": referral.version if version is None else version},
    )


def test_saving_the_summary_leads_to_a_preview_of_the_exact_text(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=2)
    client.force_login(flow.therapist.user)

    response = save_draft(client, referral, codes=["no_further_support", "gp"])

    assert response.status_code == 302
    assert response["Location"] == reverse("therapists:closure_preview", args=[referral.pk])
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    referral.refresh_from_db()
    expected = summary_text(referral)
    assert html.escape(expected) in preview.text
    assert "Support through their own GP has been suggested." in expected
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACTIVE  # nothing sent yet


def test_confirming_sends_exactly_the_previewed_text_and_closes(
    client, flow, django_capture_on_commit_callbacks
):
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)
    save_draft(client, referral, comments="Good progress was made; the ending was planned.")
    previewed = html.unescape(
        client.get(reverse("therapists:closure_preview", args=[referral.pk])).text
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, referral)

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.CLOSED
    sent = ClosureSummary.objects.get(referral=referral)
    assert sent.sent_at is not None
    assert sent.text and sent.text in previewed
    assert referral.transitions.filter(event="closed", by=flow.therapist.user).exists()


def test_the_preview_warns_about_the_staff_members_name_and_contact_details(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    save_draft(
        client,
        referral,
        comments=f"Robin did well. Call {referral.staff_phone} or {referral.staff_email}.",
    )

    text = html.unescape(client.get(reverse("therapists:closure_preview", args=[referral.pk])).text)

    assert "mention the staff member's name" in text
    assert "e-mail address" in text
    assert "telephone number" in text


def test_the_preview_warns_about_the_incidents_details(client, flow):
    referral = flow.referral(
        state=Referral.State.ACTIVE,
        event_details="A frightening confrontation during a placement visit in Leicester",
    )
    client.force_login(flow.therapist.user)
    save_draft(client, referral, comments="We talked about the confrontation during the placement.")

    text = html.unescape(client.get(reverse("therapists:closure_preview", args=[referral.pk])).text)

    assert "repeat words from the description of the incident" in text


def test_missing_pathway_and_comments_are_shown_next_to_the_fields(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    referral.refresh_from_db()

    response = client.post(
        reverse("therapists:closure", args=[referral.pk]),
        {"version": referral.version, "comments": "", "exit_pathways": []},
    )

    assert response.status_code == 200
    assert "Please choose at least one exit pathway." in response.text
    assert "Please write a few general comments for the line manager." in response.text
    assert not ClosureSummary.objects.filter(referral=referral).exists()


def test_the_draft_is_kept_when_the_therapist_goes_back_to_change_it(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    save_draft(client, referral, comments="A first go at the comments.")

    page = client.get(reverse("therapists:case", args=[referral.pk])).text

    assert "A first go at the comments." in page


def test_the_preview_without_a_draft_goes_back_to_the_form(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)

    response = client.get(reverse("therapists:closure_preview", args=[referral.pk]))

    assert response.status_code == 302
    assert confirm(client, referral).status_code == 302
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACTIVE


def test_a_stale_confirmation_is_a_conflict(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    save_draft(client, referral)
    referral.refresh_from_db()
    stale = referral.version
    flow.session(referral)

    response = confirm(client, referral, version=stale)

    assert response.status_code == 409
    assert "just updated by someone else" in response.text
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACTIVE


def test_support_cannot_end_while_an_extension_waits_for_a_decision(client, flow):
    referral = flow.referral(state=Referral.State.EXTENSION_REQUESTED)
    client.force_login(flow.therapist.user)

    response = save_draft(client, referral)

    assert response.status_code == 200
    assert "Support can be ended once it is decided." in response.text
    assert not ClosureSummary.objects.filter(referral=referral).exists()


def test_a_drafted_summary_cannot_be_sent_while_an_extension_waits(client, flow):
    """The refusal is the service's own: the draft was saved while active, then a
    request for more sessions went in; confirming is refused kindly, not as a conflict."""
    referral = flow.referral(state=Referral.State.ACTIVE, sessions=3)
    client.force_login(flow.therapist.user)
    assert save_draft(client, referral).status_code == 302
    services.record_review(
        referral_id=referral.pk,
        by=flow.therapist.user,
        outcome=Review.Outcome.EXTEND,
        reason="Inquest",
    )

    response = confirm(client, referral)

    assert response.status_code == 200
    assert "Support can be ended once it is decided." in response.text
    referral.refresh_from_db()
    assert referral.state == Referral.State.EXTENSION_REQUESTED
    assert not referral.transitions.filter(event="closed").exists()


def test_support_cannot_end_before_the_first_meeting(client, flow):
    referral = flow.referral(state=Referral.State.ALLOCATED)
    client.force_login(flow.therapist.user)

    response = save_draft(client, referral)

    assert response.status_code == 200
    assert "once the first meeting or a group session is recorded" in response.text
    assert not ClosureSummary.objects.filter(referral=referral).exists()


def test_the_line_manager_cannot_close_the_case(client, flow):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    save_draft(client, referral)
    client.force_login(flow.manager)

    assert confirm(client, referral).status_code == 403
    assert client.get(reverse("therapists:closure_preview", args=[referral.pk])).status_code == 403
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACTIVE


def test_another_therapist_cannot_see_the_preview(client, flow, other_therapist):
    referral = flow.referral(state=Referral.State.ACTIVE)
    client.force_login(flow.therapist.user)
    save_draft(client, referral)
    client.force_login(other_therapist.user)

    assert client.get(reverse("therapists:closure_preview", args=[referral.pk])).status_code == 404


def test_a_closed_case_shows_the_summary_that_was_sent(
    client, flow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = flow.referral(state=Referral.State.CLOSED)
    client.force_login(flow.therapist.user)

    response = client.get(reverse("therapists:closure_preview", args=[referral.pk]))

    assert response.status_code == 200
    assert "The summary that was sent" in response.text
    assert "Send the summary" not in response.text
    assert timedelta(0) <= referral.closed_at - referral.closure_summary.written_at
