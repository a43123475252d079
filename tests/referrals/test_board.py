"""The PSW/SMPE's oversight board (issue 13): every open referral, most urgent first,
filtered in the URL, 50 to a page, with an audited, formula-safe CSV export; and the
Monday digest links to it with the matching filter."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from referrals import chasing, services
from referrals.models import OutboundEmail, Referral
from tests.factories import TeamFactory, TherapistFactory, referral_data

LONDON = ZoneInfo("Europe/London")
BOARD = "referrals:board"
S = Referral.State
MONDAY = datetime(2026, 3, 9, 11, tzinfo=LONDON)


@pytest.fixture
def board(flow):
    """Referrals in different states and ages, read on Monday 9 March 2026."""
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=LONDON), tick=False):
        late = flow.referral(S.SUBMITTED, staff_name="Late Person")  # triage past its limit
    with time_machine.travel(datetime(2026, 3, 6, 10, tzinfo=LONDON), tick=False):
        active = flow.referral(S.ACTIVE, sessions=2)
    with time_machine.travel(datetime(2026, 3, 9, 10, tzinfo=LONDON), tick=False):
        fresh = flow.referral(S.SUBMITTED, staff_name="Fresh Person")  # within time
        closed = flow.referral(S.DECLINED)
        draft = flow.referral(S.DRAFT)
    return {"late": late, "active": active, "fresh": fresh, "closed": closed, "draft": draft}


def shown(client, **query) -> list[int]:
    with time_machine.travel(MONDAY, tick=False):
        response = client.get(reverse(BOARD), query)
    assert response.status_code == 200
    return [row.pk for row in response.context["rows"]]


def test_every_open_referral_most_urgent_first(client, flow, board):
    client.force_login(flow.psw)
    with time_machine.travel(MONDAY, tick=False):
        response = client.get(reverse(BOARD))
    order = [row.pk for row in response.context["rows"]]
    assert set(order) == {board["late"].pk, board["active"].pk, board["fresh"].pk}
    assert order[0] == board["late"].pk  # past its limit comes first
    html = response.content.decode()
    assert "past the limit" in html
    assert "Showing 1 to 3 of 3" in html
    # sessions used out of the allowance, for a case in support
    active_row = next(r for r in response.context["rows"] if r.pk == board["active"].pk)
    assert (active_row.sessions_used, active_row.sessions_allowed) == (2, 3)
    assert {c.clock for c in active_row.clocks} == {"manager_contact"}


def test_filters_travel_in_the_url(client, flow, board, provider):
    other_team = TeamFactory(name="Fostering")
    with time_machine.travel(datetime(2026, 3, 9, 10, tzinfo=LONDON), tick=False):
        other = services.save_referral_draft(
            by=flow.manager, data=referral_data(other_team, staff_name="Team Person")
        )
        services.submit_referral(referral_id=other.pk, by=flow.manager)
    client.force_login(flow.psw)
    assert shown(client, state="active") == [board["active"].pk]
    assert shown(client, team=other_team.pk) == [other.pk]
    assert shown(client, provider=provider.pk) == [board["active"].pk]
    assert shown(client, therapist=flow.therapist.pk) == [board["active"].pk]
    assert shown(client, clock_status="past") == [board["late"].pk]
    assert set(shown(client, clock_status="ok")) >= {board["fresh"].pk, other.pk}
    assert board["late"].pk not in shown(client, clock_status="ok")
    assert shown(client, kind="group") == []
    # An unknown value is left out, the other filters still apply.
    assert shown(client, state="active", therapist=999999) == [board["active"].pk]


def test_fifty_to_a_page_with_the_filter_kept(client, flow):
    with time_machine.travel(datetime(2026, 3, 9, 10, tzinfo=LONDON), tick=False):
        for _ in range(52):
            flow.referral(S.SUBMITTED)
    client.force_login(flow.psw)
    with time_machine.travel(MONDAY, tick=False):
        first = client.get(reverse(BOARD), {"state": "submitted"})
        second = client.get(reverse(BOARD), {"state": "submitted", "page": 2})
    assert len(first.context["rows"]) == 50
    assert "Showing 1 to 50 of 52" in first.content.decode()
    assert "?state=submitted&amp;page=2" in first.content.decode()
    assert len(second.context["rows"]) == 2
    assert "Showing 51 to 52 of 52" in second.content.decode()


def test_csv_export_is_every_filtered_row_audited_and_formula_safe(client, flow, board):
    risky = TeamFactory(name="=HYPERLINK(1)")
    with time_machine.travel(datetime(2026, 3, 9, 10, tzinfo=LONDON), tick=False):
        data = referral_data(risky, staff_name="Risky Person")
        made = services.save_referral_draft(by=flow.manager, data=data)
        services.submit_referral(referral_id=made.pk, by=flow.manager)
    client.force_login(flow.psw)
    with time_machine.travel(MONDAY, tick=False):
        page = client.get(reverse(BOARD), {"state": "submitted"})
        assert f"{reverse('referrals:board_csv')}?state=submitted" in page.content.decode()
        response = client.get(reverse("referrals:board_csv"), {"state": "submitted"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Referral"
    references = [r[0] for r in rows[1:]]
    assert references[0] == board["late"].reference  # most urgent first
    assert set(references) == {board["late"].reference, board["fresh"].reference, made.reference}
    team_cells = {r[3] for r in rows[1:]}
    assert "'=HYPERLINK(1)" in team_cells
    assert not any(cell.startswith("=") for r in rows for cell in r)
    assert "Risky Person" not in response.content.decode()  # no names of staff
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.user, event.object_type) == (flow.psw, "referral")
    assert event.path == reverse("referrals:board_csv")
    assert "3 rows" in event.detail and "state=submitted" in event.detail
    # Issue 14 point 5: the export names every referral it held, not only how many.
    exported = {board["late"].pk, board["fresh"].pk, made.pk}
    assert set(event.object_ids.split(",")) == {str(pk) for pk in exported}


@pytest.mark.parametrize("persona", ["manager", "coordinator", "service_lead", "staff_member"])
def test_only_the_psw_and_smpe_see_the_board(client, request, persona, smpe):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(BOARD)).status_code == 403
    assert client.get(reverse("referrals:board_csv")).status_code == 403
    assert not AuditEvent.objects.filter(path__startswith=reverse(BOARD)).exists()
    client.force_login(smpe)
    assert client.get(reverse(BOARD)).status_code == 200


def test_board_is_in_the_psw_navigation(client, flow):
    client.force_login(flow.psw)
    assert reverse(BOARD) in client.get(reverse("referrals:triage")).content.decode()
    client.force_login(flow.manager)
    assert reverse(BOARD) not in client.get(reverse("referrals:mine")).content.decode()


def test_monday_digest_links_to_the_board_with_the_matching_filter(client, flow, smpe, board):
    with time_machine.travel(MONDAY, tick=False):
        assert chasing.send_weekly_digest(now=MONDAY) >= 1
    to_psw = OutboundEmail.objects.get(dedupe_key__startswith="digest:", user=flow.psw)
    link = f"{reverse(BOARD)}?clock_status=due"
    assert link in to_psw.body_text
    client.force_login(flow.psw)
    # The link shows what the e-mail says is there: each referral it lists.
    listed = shown(client, clock_status="due")
    assert board["late"].pk in listed
    assert board["late"].reference in to_psw.body_text
    assert board["fresh"].pk not in listed
    assert board["fresh"].reference not in to_psw.body_text


def test_a_therapist_of_another_provider_is_offered_with_their_provider(client, flow):
    TherapistFactory(user__first_name="Ola", user__last_name="Other")
    client.force_login(flow.psw)
    response = client.get(reverse(BOARD))
    choices = dict(response.context["form"].fields["therapist"].choices)
    assert any(label.startswith("Ola Other (") for label in choices.values())


def test_the_whole_board_counts_its_referrals_apart_and_pages_them(
    client, flow, django_assert_max_num_queries
):
    """The unfiltered board's total is a count of its own in the page's statement
    (``Listing(count_apart=True)``), not a window over every open referral; it is the
    same total, page by page."""
    with time_machine.travel(datetime(2026, 3, 9, 10, tzinfo=LONDON), tick=False):
        for _ in range(51):
            flow.referral(S.SUBMITTED)
        flow.referral(S.DECLINED)
        flow.referral(S.DRAFT)
    client.force_login(flow.psw)
    with time_machine.travel(MONDAY, tick=False):
        with django_assert_max_num_queries(20) as captured:
            first = client.get(reverse(BOARD))
        # Read before the next request: each request empties the log.
        ids_read = [q["sql"] for q in captured.captured_queries if "_page_total" in q["sql"]]
        second = client.get(reverse(BOARD), {"page": 2})
        past = client.get(reverse(BOARD), {"page": 9})
    assert len(ids_read) == 1
    assert "OVER" not in ids_read[0] and "COUNT(*)" in ids_read[0]
    assert "Showing 1 to 50 of 51" in first.content.decode()
    assert len(first.context["rows"]) == 50
    assert "Showing 51 to 51 of 51" in second.content.decode()
    assert len(second.context["rows"]) == 1
    # Past the last page: the last page.
    assert "Showing 51 to 51 of 51" in past.content.decode()
    assert {r.pk for r in first.context["rows"]}.isdisjoint(r.pk for r in second.context["rows"])
