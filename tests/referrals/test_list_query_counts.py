"""The first page of each working list costs at most 8 queries, the same at a small and
a larger volume (docs/performance.md). Timings live in ``make bench``, never here.

Inside the test's transaction, the session saved at the end of each request adds a
SAVEPOINT and a RELEASE that a deployment does not send: the limit allows for those
two, and the page's own statements are checked against 8 without them."""

from django.urls import reverse

from referrals.models import Referral

S = Referral.State

PAGES = {
    # page: (who looks, its URL name)
    "triage queue": ("psw", "referrals:triage"),
    "oversight board": ("psw", "referrals:board"),
    "allocation": ("coordinator", "therapists:allocation_queue"),
    "my cases": ("therapist_user", "therapists:my_cases"),
    "my referrals": ("manager", "referrals:mine"),
}
MAX_QUERIES = 8
TEST_TRANSACTION = 2  # SAVEPOINT and RELEASE around the session save
READ_AUDIT = 1  # the one audit row that lists the ids the page showed (an INSERT, not a read)


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


def _queries(client, django_assert_max_num_queries, user, url_name) -> int:
    client.force_login(user)
    client.get(reverse(url_name))  # the session's first read is not the page's cost
    with django_assert_max_num_queries(MAX_QUERIES + READ_AUDIT + TEST_TRANSACTION) as captured:
        response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "Showing 1 to" in response.content.decode()
    own = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert len(own) <= MAX_QUERIES + READ_AUDIT, own
    return len(own)


def test_first_pages_cost_the_same_few_queries_at_two_volumes(
    client, flow, django_assert_max_num_queries
):
    people = _people(flow)
    flow.therapist.capacity = 60  # room for every case allocated below
    flow.therapist.save()
    _add(flow, 2)
    small = {
        page: _queries(client, django_assert_max_num_queries, people[who], name)
        for page, (who, name) in PAGES.items()
    }
    _add(flow, 53)  # past one page of 50 on every list
    large = {
        page: _queries(client, django_assert_max_num_queries, people[who], name)
        for page, (who, name) in PAGES.items()
    }
    assert large == small
    client.force_login(flow.psw)
    response = client.get(reverse("referrals:board"))
    assert len(response.context["rows"]) == 50
    assert response.context["page"].total == Referral.objects.open().exclude(state=S.DRAFT).count()
