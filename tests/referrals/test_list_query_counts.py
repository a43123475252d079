"""The first page of each working list, and the referral page, cost the same few
queries at a small and a larger volume (docs/performance.md). Timings live in
``make bench``, never here.

Each count is every statement the page sends, reads and writes alike: the session and
the signed-in person (with their roles, one query), the page's own reads, the one
read-audit row a page that shows referrals writes, and the session's save. Inside the
test's transaction, the audit row and the session's save each add a SAVEPOINT and a
RELEASE where a deployment sends one BEGIN and one COMMIT for both: they are left out
of the count."""

from django.urls import reverse

from referrals.models import Referral

S = Referral.State

# page: (who looks, its URL name, statements). Each list reads its page's ids and
# total, then only those rows; the chrome (unread notices, own support) is one query.
PAGES = {
    # session, person, teams for the filter, ids, rows, chrome, audit row, session save
    "triage queue": ("psw", "referrals:triage", 8),
    # session, person, filter lists (one UNION), ids, rows, chrome, audit row, session save
    "oversight board": ("psw", "referrals:board", 8),
    # session, person, ids, rows, chrome, audit row, session save
    "allocation": ("coordinator", "therapists:allocation_queue", 7),
    "my cases": ("therapist_user", "therapists:my_cases", 7),
    # rows carry their timelines
    "my referrals": ("manager", "referrals:mine", 7),
}
# session, person, the referral (with its sessions counted), questions, reviews (its
# clocks), timeline, chrome, audit row, session save
DETAIL = 9
TEST_TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT")
SAVEPOINTS = 4  # at most two savepoints, each with its release


def _add(flow, each: int) -> None:
    for _ in range(each):
        flow.referral(S.SUBMITTED)
        flow.referral(S.ACCEPTED)
        flow.referral(S.ACTIVE, sessions=2)
    flow.referral(S.MORE_INFO)


def _people(flow) -> dict:
    return {
        "psw": flow.psw,
        "coordinator": flow.coordinator,
        "therapist_user": flow.therapist.user,
        "manager": flow.manager,
    }


def _statements(client, django_assert_max_num_queries, user, url, most: int) -> list[str]:
    client.force_login(user)
    client.get(url)  # the session's first read is not the page's cost
    with django_assert_max_num_queries(most + SAVEPOINTS) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [
        q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TEST_TRANSACTION)
    ]


def _counts(client, django_assert_max_num_queries, flow) -> dict:
    people = _people(flow)
    counts = {}
    for page, (who, name, most) in PAGES.items():
        own = _statements(client, django_assert_max_num_queries, people[who], reverse(name), most)
        assert len(own) == most, (page, own)
        counts[page] = len(own)
    active = Referral.objects.filter(state=S.ACTIVE).order_by("pk").first()
    url = reverse("referrals:detail", args=[active.pk])
    own = _statements(client, django_assert_max_num_queries, flow.psw, url, DETAIL)
    assert len(own) == DETAIL, own
    counts["referral page"] = len(own)
    return counts


def test_pages_cost_the_same_few_queries_at_two_volumes(
    client, flow, django_assert_max_num_queries
):
    flow.therapist.capacity = 60  # room for every case allocated below
    flow.therapist.save()
    _add(flow, 2)
    small = _counts(client, django_assert_max_num_queries, flow)
    _add(flow, 53)  # past one page of 50 on every list
    large = _counts(client, django_assert_max_num_queries, flow)
    assert large == small
    assert max(small.values()) <= 9
    client.force_login(flow.psw)
    response = client.get(reverse("referrals:board"))
    assert len(response.context["rows"]) == 50
    assert response.context["page"].total == Referral.objects.open().exclude(state=S.DRAFT).count()
    assert "Showing 1 to 50 of" in response.content.decode()
