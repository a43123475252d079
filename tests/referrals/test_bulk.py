"""``referrals.bulk.insert_rows``: many rows in one statement, saying which went in (the
sweep's claims, outbox rows and in-app notices). Runs on SQLite and on PostgreSQL,
whose paths differ (``VALUES`` there, one array per column here)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals.bulk import insert_rows
from referrals.models import ChaseRecord, Notification, OutboundEmail

MOMENT = datetime(2026, 3, 4, 10, tzinfo=UTC)


def _claims(referral, *levels):
    return [
        {
            "referral_id": referral.pk,
            "clock": "triage",
            "level": n,
            "window": "w",
            "created_at": MOMENT,
        }
        for n in levels
    ]


def _inserts(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]


@pytest.mark.django_db
def test_rows_go_in_with_one_statement_and_their_defaults(flow):
    referral = flow.referral()
    rows = [
        {
            "dedupe_key": f"bulk:{n}",
            "to": f"person{n}@example.org",
            "user_id": flow.psw.pk if n % 2 else None,
            "referral_id": referral.pk,
            "subject": f"Subject {n}",
            "body_text": "Text",
            "body_html": "<p>Text</p>",
            "not_before": MOMENT,
        }
        for n in range(30)
    ]
    with CaptureQueriesContext(connection) as captured:
        inserted = insert_rows(OutboundEmail, rows, returning=("dedupe_key", "id"))

    assert len(_inserts(captured)) == 1
    assert sorted(key for key, _ in inserted) == sorted(r["dedupe_key"] for r in rows)
    stored = OutboundEmail.objects.get(pk=dict(inserted)["bulk:7"])
    assert (stored.to, stored.user, stored.referral, stored.subject) == (
        "person7@example.org",
        flow.psw,
        referral,
        "Subject 7",
    )
    assert (stored.status, stored.attempts, stored.not_before) == ("pending", 0, MOMENT)
    assert OutboundEmail.objects.get(dedupe_key="bulk:8").user is None


@pytest.mark.django_db
def test_rows_that_break_a_unique_key_are_left_out_and_not_returned(flow):
    referral = flow.referral()
    insert_rows(ChaseRecord, _claims(referral, 2))

    inserted = insert_rows(
        ChaseRecord,
        _claims(referral, 1, 2, 3),
        returning=("referral", "clock", "level", "window"),
        skip_conflicts=True,
    )

    assert sorted(inserted) == [(referral.pk, "triage", 1, "w"), (referral.pk, "triage", 3, "w")]
    assert sorted(
        ChaseRecord.objects.filter(referral=referral).values_list("level", flat=True)
    ) == [
        1,
        2,
        3,
    ]


@pytest.mark.django_db
def test_identical_rows_and_a_single_row_go_in_as_many_as_given(flow):
    referral = flow.referral()
    same = {"user_id": flow.psw.pk, "referral_id": referral.pk, "subject": "Same", "url": "/x/"}
    before = Notification.objects.count()

    insert_rows(Notification, [same, same, same])
    insert_rows(Notification, [{**same, "subject": "Alone"}])

    assert Notification.objects.count() == before + 4
    assert Notification.objects.filter(subject="Same", read_at__isnull=True).count() == 3


@pytest.mark.django_db
def test_a_column_the_model_does_not_have_is_refused(flow):
    with pytest.raises(ValueError, match="no column colour"):
        insert_rows(Notification, [{"user_id": flow.psw.pk, "colour": "blue"}])
    assert insert_rows(Notification, []) == []


AWKWARD_TEXT = [
    'An "array" {literal}, with a comma',
    "back\\slash and a 'quote'",
    "NULL",
    "",
    "line one\nline two\ttab",
    "émoji 🌧️ and ünïcode",
    "<p>Hello &amp; welcome</p>" * 200,
]


@pytest.mark.django_db
def test_awkward_values_go_in_as_they_are(flow):
    """Text an array literal would have to quote (braces, quotes, backslashes, commas,
    the word NULL, newlines, long HTML), NULL itself, and moments: read back the same."""
    referral = flow.referral()
    rows = [
        {
            "dedupe_key": f"awkward:{n}",
            "to": f"p{n}@example.org",
            "user_id": None if n % 2 else flow.psw.pk,
            "referral_id": referral.pk if n % 3 else None,
            "subject": text[:200],
            "body_text": text,
            "body_html": text,
            "not_before": MOMENT.replace(minute=n),
        }
        for n, text in enumerate(AWKWARD_TEXT)
    ]
    found = insert_rows(OutboundEmail, rows, returning=("dedupe_key", "id"))
    assert [key for key, _id in found] == [row["dedupe_key"] for row in rows]
    for row in rows:
        stored = OutboundEmail.objects.get(dedupe_key=row["dedupe_key"])
        text = AWKWARD_TEXT[int(row["dedupe_key"].split(":")[1])]
        assert stored.body_text == stored.body_html == text
        assert stored.user_id == row["user_id"]
        assert stored.referral_id == row["referral_id"]
        assert stored.not_before == row["not_before"]


@pytest.mark.django_db
def test_on_postgresql_the_values_are_sent_apart_from_the_statement(flow, requires_postgres):
    """The arrays go to PostgreSQL as parameters in binary (server-side binding), not
    quoted into the SQL text; the statement is still Django's, counted and logged."""
    import psycopg

    seen = []

    def spy(execute, sql, params, many, context):
        seen.append((sql, type(context["cursor"].cursor)))
        return execute(sql, params, many, context)

    referral = flow.referral()
    with connection.execute_wrapper(spy), CaptureQueriesContext(connection) as captured:
        insert_rows(
            Notification,
            [
                {
                    "user_id": flow.psw.pk,
                    "referral_id": referral.pk,
                    "subject": f"N{n}",
                    "url": "/x/",
                }
                for n in range(3)
            ],
        )
    (sql, cursor_class), *_ = [s for s in seen if s[0].startswith("INSERT")]
    assert "%b::" in sql and "unnest(" in sql
    assert issubclass(cursor_class, psycopg.Cursor)
    assert not issubclass(cursor_class, psycopg.ClientCursor)
    assert len(_inserts(captured)) == 1
    # The connection's other cursors still bind on the client, as Django's do.
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)
