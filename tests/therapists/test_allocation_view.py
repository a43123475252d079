"""The provider coordinator's queue and allocation page (docs/service.md step 5)."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from referrals import services
from referrals.chasing import recompute_all
from referrals.models import Allocation, Referral
from tests.factories import TherapistFactory, UserFactory
from therapists import services as pool_services
from therapists.models import Therapist, TherapistLeave

QUEUE = "therapists:allocation_queue"


def allocate_url(referral) -> str:
    return reverse("therapists:allocate", args=[referral.pk])


def pool_therapist(provider, name: str, *, leave: tuple[int, int] | None = None, **kwargs):
    """A therapist of ``provider``; ``leave`` is (first, last) day as days from today."""
    therapist = TherapistFactory(
        user=UserFactory(first_name=name, roles=[Role.THERAPIST]), provider=provider, **kwargs
    )
    if leave is not None:
        today = timezone.localdate()
        TherapistLeave.objects.create(
            therapist=therapist,
            starts_on=today + timedelta(days=leave[0]),
            ends_on=today + timedelta(days=leave[1]),
        )
    return therapist


class Page(HTMLParser):
    """The therapist list's options (label, chosen-able) and the text inside each
    element with an id, to show what sits next to a field."""

    def __init__(self, html: str):
        super().__init__()
        self.options: dict[str, tuple[str, bool]] = {}
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self._option: tuple[str, bool] | None = None
        self._in_therapist = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._in_therapist = attrs.get("name") == "therapist"
        if tag == "option" and self._in_therapist and attrs.get("value"):
            self._option = (attrs["value"], "disabled" not in attrs)
            self.options[attrs["value"]] = ("", "disabled" not in attrs)
        if tag not in {"input", "br", "img", "meta", "link", "hr"}:
            self._open.append((tag, attrs.get("id")))
            if attrs.get("id"):
                self.text.setdefault(attrs["id"], "")

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        if tag == "select":
            self._in_therapist = False
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._option is not None:
            value, enabled = self._option
            self.options[value] = (self.options[value][0] + data, enabled)
        for _, element_id in self._open:
            if element_id:
                self.text[element_id] += data

    def offered(self) -> set[int]:
        return {int(value) for value, (_, enabled) in self.options.items() if enabled}

    def label(self, therapist) -> str:
        return self.options[str(therapist.pk)][0]


def fill(flow, therapist, count: int) -> None:
    """Give ``therapist`` ``count`` open cases."""
    for _ in range(count):
        referral = flow.referral(state="accepted")
        services.allocate_referral(
            referral_id=referral.pk, therapist=therapist, by=flow.coordinator
        )


# --- the queue ------------------------------------------------------------------------


def test_queue_shows_accepted_referrals_of_this_provider_longest_waiting_first(
    client, flow, coordinator, other_coordinator
):
    first = flow.referral(state="accepted", staff_name="First Waiting")
    second = flow.referral(state="accepted", staff_name="Second Waiting")
    flow.referral(state="allocated", staff_name="Already Allocated")
    flow.referral(state="submitted", staff_name="Not Yet Triaged")
    client.force_login(coordinator)

    response = client.get(reverse(QUEUE))

    html = response.content.decode()
    assert response.status_code == 200
    assert [row["pk"] for row in response.context["rows"]] == [first.pk, second.pk]
    assert "Already Allocated" not in html
    assert "Not Yet Triaged" not in html
    assert "Test event details" not in html
    assert "Therapist allocated" in html, "the allocation clock is shown"

    client.force_login(other_coordinator)
    assert client.get(reverse(QUEUE)).context["rows"] == []


@pytest.mark.parametrize("persona", ["psw", "manager", "outsider"])
def test_only_coordinators_have_the_queue(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse(QUEUE)).status_code == 403


def test_queue_uses_a_constant_number_of_queries(
    client, flow, coordinator, django_assert_max_num_queries
):
    client.force_login(coordinator)
    for _ in range(5):
        flow.referral(state="accepted")
    with django_assert_max_num_queries(30) as five:
        client.get(reverse(QUEUE))
    # 200 more, in bulk: the services take too long for this many on PostgreSQL.
    model = Referral.objects.filter(state=Referral.State.ACCEPTED).first()
    Referral.objects.bulk_create(
        Referral(
            state=Referral.State.ACCEPTED,
            incident=model.incident,
            created_by=model.created_by,
            line_manager=model.line_manager,
            staff_name=f"Staff member {n}",
            provider=model.provider,
            first_submitted_at=model.submitted_at,
            submitted_at=model.submitted_at,
            decided_at=model.decided_at,
        )
        for n in range(200)
    )

    # Their clocks' deadlines, as the migration and `recompute_deadlines` store them.
    recompute_all()
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(reverse(QUEUE))

    # 50 to a page, the most urgent first, the total shown.
    assert len(response.context["rows"]) == 50
    assert response.context["page"].total == 205
    assert all(row["badges"] for row in response.context["rows"])


# --- the allocation page ---------------------------------------------------------------


def test_page_lists_the_pool_and_lets_only_those_free_today_be_chosen(
    client, flow, coordinator, therapist, provider
):
    referral = flow.referral(state="accepted")
    on_leave = pool_therapist(provider, "Leona", leave=(-3, 0))  # today is the last day
    away = pool_therapist(provider, "Umar", leave=(0, 3))  # today is the first day
    back = pool_therapist(provider, "Bea", leave=(-5, -1))  # back today
    soon = pool_therapist(provider, "Sol", leave=(1, 4))  # still here today
    gone = pool_therapist(provider, "Gil", is_active=False)
    full = pool_therapist(provider, "Fay", capacity=1)
    fill(flow, full, 1)
    # Tess already holds one case.
    flow.referral(state="allocated")
    client.force_login(coordinator)

    response = client.get(allocate_url(referral))

    html = response.content.decode()
    page = Page(html)
    assert response.status_code == 200
    assert page.offered() == {therapist.pk, back.pk, soon.pk}
    # On leave or full: in the list with the reason, but not to be chosen.
    assert set(page.options) == {str(t.pk) for t in (therapist, back, soon, on_leave, away, full)}
    assert page.label(full) == "Fay Example (1 open case, no places left)"
    assert page.label(away).startswith("Umar Example (on leave until")
    assert page.label(therapist) == "Tess Example (1 open case, 5 of 6 places left)"
    tess = next(t for t in response.context["pool"] if t.pk == therapist.pk)
    assert (tess.open_cases, tess.places_left) == (1, therapist.capacity - 1)
    today = timezone.localdate()
    assert f"On leave from {today - timedelta(days=3):%-d %b %Y} to {today:%-d %b %Y}" in html
    assert f"Leave from {today + timedelta(days=1):%-d %b %Y}" in html
    assert "No places left" in html
    assert gone.pk not in {t.pk for t in response.context["pool"]}
    # Only what a therapist needs to make contact.
    assert "Robin Testperson" in html
    assert "07700 900123" in html
    assert "robin@example.org" in html
    assert "Test event details" not in html
    assert "Brief details of the critical event" not in html


def test_allocate_tells_the_therapist(
    client, flow, coordinator, therapist, django_capture_on_commit_callbacks
):
    referral = flow.referral(state="accepted")
    client.force_login(coordinator)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            allocate_url(referral), {"therapist": therapist.pk, "version": referral.version}
        )

    referral.refresh_from_db()
    assert response.status_code == 302
    assert referral.state == Referral.State.ALLOCATED
    assert referral.therapist == therapist
    assert Allocation.objects.get(referral=referral).allocated_by == coordinator
    assert therapist.user.email in [m.to[0] for m in mail.outbox]


def test_a_therapist_on_leave_cannot_be_chosen(client, flow, coordinator, provider):
    referral = flow.referral(state="accepted")
    on_leave = pool_therapist(provider, "Leona", leave=(0, 2))
    client.force_login(coordinator)

    response = client.post(
        allocate_url(referral), {"therapist": on_leave.pk, "version": referral.version}
    )

    assert response.status_code == 400
    today = timezone.localdate()
    message = (
        f"This therapist is on leave from {today:%-d %B %Y} to "
        f"{today + timedelta(days=2):%-d %B %Y}. Please choose someone else."
    )
    assert response.context["form"].errors["therapist"] == [message]
    assert message in Page(response.content.decode()).text["div_id_therapist"]
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED


def test_the_service_refuses_a_therapist_on_leave_today_with_the_dates(flow, coordinator, provider):
    """The service asks the same rule as the page (``allocation_refusal``), so a stale
    page cannot allocate someone whose leave starts today."""
    referral = flow.referral(state="accepted")
    on_leave = pool_therapist(provider, "Leona", leave=(0, 2))
    today = timezone.localdate()

    with pytest.raises(services.RuleRefused) as refused:
        services.allocate_referral(referral_id=referral.pk, therapist=on_leave, by=coordinator)

    assert refused.value.field == "therapist"
    assert f"on leave from {today:%-d %B %Y} to {today + timedelta(days=2):%-d %B %Y}" in (
        refused.value.message
    )
    tomorrow_back = pool_therapist(provider, "Bea", leave=(-2, -1))
    services.allocate_referral(referral_id=referral.pk, therapist=tomorrow_back, by=coordinator)
    referral.refresh_from_db()
    assert referral.therapist == tomorrow_back


# --- capacity: the most open cases at once ----------------------------------------------

FULL = (
    "This therapist has no places left: they hold 2 open cases and can take 2 at once. "
    "Please choose someone else, or give them a higher capacity on the Therapists page first."
)


def test_the_service_refuses_a_therapist_with_no_places_left(flow, coordinator, provider):
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 2)
    referral = flow.referral(state="accepted")

    with pytest.raises(services.RuleRefused) as refused:
        services.allocate_referral(referral_id=referral.pk, therapist=fay, by=coordinator)

    assert (refused.value.field, refused.value.message) == ("therapist", FULL)
    referral.refresh_from_db()
    assert (referral.state, referral.therapist) == (Referral.State.ACCEPTED, None)
    assert not Allocation.objects.filter(referral=referral).exists()


def test_the_service_counts_again_and_does_not_trust_the_count_it_is_given(
    flow, coordinator, provider
):
    """A page loaded before the last place went still counts one free: the service reads
    the therapist again and counts their cases itself."""
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 1)
    stale = Therapist.objects.with_open_cases().get(pk=fay.pk)
    assert stale.places_left == 1
    fill(flow, fay, 1)  # someone else took the last place since
    referral = flow.referral(state="accepted")

    with pytest.raises(services.RuleRefused, match="no places left"):
        services.allocate_referral(referral_id=referral.pk, therapist=stale, by=coordinator)


def test_reallocating_to_a_full_therapist_is_refused_and_a_place_freed_lets_it_through(
    flow, coordinator, provider
):
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 2)
    case = flow.referral(state="allocated")  # with Tess

    with pytest.raises(services.RuleRefused) as refused:
        services.reallocate_referral(
            referral_id=case.pk, therapist=fay, by=coordinator, reason="Tess is on leave"
        )
    assert (refused.value.field, refused.value.message) == ("therapist", FULL)

    # A case of hers that ends frees its place.
    services.withdraw_referral(
        referral_id=Referral.objects.filter(therapist=fay).first().pk, by=flow.psw
    )
    services.reallocate_referral(
        referral_id=case.pk, therapist=fay, by=coordinator, reason="Tess is on leave"
    )
    assert flow.refresh(case).therapist == fay


def test_a_higher_capacity_makes_a_place(flow, coordinator, provider):
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 2)
    referral = flow.referral(state="accepted")
    pool_services.update_therapist(by=coordinator, therapist_id=fay.pk, capacity=3, is_active=True)

    services.allocate_referral(referral_id=referral.pk, therapist=fay, by=coordinator)

    assert flow.refresh(referral).therapist == fay


def test_the_pool_page_and_the_allocation_page_count_the_same_open_cases(
    client, flow, coordinator, provider
):
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 2)
    flow.close(flow.referral(state="active"))  # closed: not an open case of Tess
    referral = flow.referral(state="accepted")
    client.force_login(coordinator)

    pool = client.get(reverse("therapists:pool"))
    allocation = client.get(allocate_url(referral))

    pool_row = next(t for t in pool.context["page"].rows if t.pk == fay.pk)
    allocation_row = next(t for t in allocation.context["pool"] if t.pk == fay.pk)
    assert (pool_row.open_cases, pool_row.places_left) == (2, 0)
    assert (allocation_row.open_cases, allocation_row.places_left) == (2, 0)
    assert "No places left (capacity 2)" in pool.content.decode()
    tess = next(t for t in pool.context["page"].rows if t.pk == flow.therapist.pk)
    assert tess.open_cases == 0


def test_a_full_therapist_chosen_on_a_stale_page_is_refused_next_to_the_field_keeping_the_reason(
    client, flow, coordinator, provider
):
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 2)
    case = flow.referral(state="allocated")
    client.force_login(coordinator)

    response = client.post(
        allocate_url(case),
        {"therapist": fay.pk, "version": case.version, "reason": "Tess is going on leave"},
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["therapist"] == [FULL]
    page = Page(response.content.decode())
    assert FULL in page.text["div_id_therapist"]
    assert "Tess is going on leave" in page.text["div_id_reason"]
    assert flow.refresh(case).therapist == flow.therapist


def test_a_place_taken_between_the_form_and_the_service_is_refused_next_to_the_field(
    client, flow, coordinator, provider, monkeypatch
):
    """The form found a place; the service, under its lock, finds it gone (another
    coordinator took it in between): the same message sits next to the field."""
    fay = pool_therapist(provider, "Fay", capacity=2)
    fill(flow, fay, 1)
    case = flow.referral(state="allocated")
    client.force_login(coordinator)
    real = services.reallocate_referral

    def someone_else_first(**kwargs):
        fill(flow, fay, 1)
        return real(**kwargs)

    monkeypatch.setattr(services, "reallocate_referral", someone_else_first)
    response = client.post(
        allocate_url(case),
        {"therapist": fay.pk, "version": case.version, "reason": "Tess is going on leave"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["therapist"] == [FULL]
    assert "Tess is going on leave" in Page(response.content.decode()).text["div_id_reason"]
    assert flow.refresh(case).therapist == flow.therapist


def test_reallocate_needs_a_reason_and_ends_the_old_allocation(
    client, flow, coordinator, therapist, other_therapist
):
    referral = flow.referral(state="allocated")
    client.force_login(coordinator)

    page = client.get(allocate_url(referral))
    missing = client.post(
        allocate_url(referral), {"therapist": other_therapist.pk, "version": referral.version}
    )
    done = client.post(
        allocate_url(referral),
        {
            "therapist": other_therapist.pk,
            "version": referral.version,
            "reason": "Tess is going on leave",
        },
    )

    assert therapist not in set(page.context["form"].fields["therapist"].queryset)
    assert missing.status_code == 400
    assert "Please give the reason for reallocating." in missing.content.decode()
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.therapist == other_therapist
    assert Allocation.objects.filter(referral=referral, ended_at__isnull=True).get().therapist == (
        other_therapist
    )
    assert Allocation.objects.filter(referral=referral).count() == 2


def test_two_coordinators_at_once_the_second_gets_a_conflict(
    client, flow, coordinator, therapist, other_therapist, provider
):
    second = UserFactory(username="cora", roles=[Role.COORDINATOR])
    provider.coordinators.add(second)
    referral = flow.referral(state="accepted")
    loaded = referral.version
    services.allocate_referral(
        referral_id=referral.pk, therapist=therapist, by=second, expected_version=loaded
    )
    client.force_login(coordinator)

    response = client.post(
        allocate_url(referral),
        {"therapist": other_therapist.pk, "version": loaded, "reason": "I chose Omar"},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "just updated by someone else" in html
    assert "I chose Omar" in html
    referral.refresh_from_db()
    assert referral.therapist == therapist


def test_another_providers_coordinator_gets_not_found(client, flow, other_coordinator, therapist):
    referral = flow.referral(state="accepted")
    client.force_login(other_coordinator)

    assert client.get(allocate_url(referral)).status_code == 404
    response = client.post(
        allocate_url(referral), {"therapist": therapist.pk, "version": referral.version}
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED


def test_triage_cannot_allocate(client, flow, psw, therapist):
    referral = flow.referral(state="accepted")
    client.force_login(psw)

    response = client.post(
        allocate_url(referral), {"therapist": therapist.pk, "version": referral.version}
    )

    assert response.status_code == 403
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED


def test_allocation_page_uses_a_constant_number_of_queries(
    client, flow, coordinator, provider, django_assert_max_num_queries
):
    referral = flow.referral(state="accepted")
    client.force_login(coordinator)
    pool_therapist(provider, "Ada")
    with django_assert_max_num_queries(40) as few:
        client.get(allocate_url(referral))
    for name in ("Bo", "Cy", "Di", "Ed", "Flo", "Gus"):
        pool_therapist(provider, name)
    for _ in range(5):
        flow.referral(state="allocated")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(allocate_url(referral))

    assert len(response.context["pool"]) == 8
