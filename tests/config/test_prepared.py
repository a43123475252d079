"""``config.prepared.Prepared``: SQL written once by the ORM, run again with each call's
values, with the ORM's answers (docs/performance.md, "Statements written once")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Value
from django.db.models.functions import Upper
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import user_with_roles
from accounts.models import User
from accounts.roles import Role
from config.prepared import Prepared
from referrals.context_processors import _facts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_call_runs_the_same_sql_with_its_own_values():
    ann = UserFactory(username="ann", first_name="Ann")
    bob = UserFactory(username="bob", first_name="Bob")
    by_name = Prepared(
        lambda name, pk: (
            User.objects.filter(username=name)
            .exclude(pk=pk)
            .values_list("first_name", "date_joined", "is_active")
        ),
        kinds=(str, int),
    )
    with CaptureQueriesContext(connection) as first:
        assert by_name("ann", 0) == [(ann.first_name, ann.date_joined, True)]
    with CaptureQueriesContext(connection) as second:
        assert by_name("bob", 0) == [(bob.first_name, bob.date_joined, True)]
    assert by_name("bob", bob.pk) == []
    # One statement each, the same SQL; the values are parameters, not pasted in.
    assert len(first) == len(second) == 1
    assert first[0]["sql"].replace("ann", "bob") == second[0]["sql"]


def test_results_are_converted_as_the_orm_converts_them():
    """Booleans from EXISTS and timezone-aware datetimes, on SQLite as on PostgreSQL."""
    user = UserFactory()
    has_groups = Prepared(
        lambda pk: User.objects.filter(pk=pk).values_list(
            Exists(User.groups.through.objects.filter(user=OuterRef("pk"))), "date_joined"
        )
    )
    expected = list(
        User.objects.filter(pk=user.pk).values_list(
            Exists(User.groups.through.objects.filter(user=OuterRef("pk"))), "date_joined"
        )
    )
    assert has_groups(user.pk) == expected
    assert expected[0][0] is False and expected[0][1].tzinfo is not None


def test_a_build_that_does_not_carry_every_argument_is_refused():
    ignores_its_argument = Prepared(lambda pk: User.objects.values_list("pk"))
    with pytest.raises(ValueError, match="not every argument"):
        ignores_its_argument(1)


def test_an_aggregate_reads_as_the_orm_reads_it():
    person = UserFactory(roles=[Role.PSW, Role.LINE_MANAGER])
    UserFactory(roles=[Role.THERAPIST])
    grouped = Prepared(
        lambda pk: User.objects.filter(pk=pk).annotate(n=Count("groups")).values_list("pk", "n")
    )
    assert grouped(person.pk) == [(person.pk, 2)]
    assert grouped(person.pk + 1000) == []


def test_the_signed_in_person_and_page_facts_match_the_orm():
    person = UserFactory(roles=[Role.PSW, Role.LINE_MANAGER])
    loaded = user_with_roles(person.pk)
    assert loaded == person
    assert loaded.roles == {Role.PSW, Role.LINE_MANAGER}
    assert [getattr(loaded, f.attname) for f in User._meta.concrete_fields] == [
        getattr(person, f.attname) for f in User._meta.concrete_fields
    ]
    assert user_with_roles(person.pk + 1000) is None
    assert user_with_roles("not a number") is None
    assert _facts(loaded) == (False, 0)


def test_a_queryset_of_models_gives_the_orm_s_instances_with_their_joins(flow):
    """Models are built as ``ModelIterable`` builds them: the fields, the rows
    ``select_related`` joined (a missing one is None), and the annotations."""
    from referrals.models import Referral
    from referrals.selectors import counted_sessions

    active = flow.referral(Referral.State.ACTIVE)
    sent = flow.referral(Referral.State.SUBMITTED)

    def build(pk):
        return (
            Referral.objects.filter(pk=pk)
            .select_related("incident__team", "provider", "therapist__user")
            .annotate(held=counted_sessions())
        )

    read = Prepared(build)
    for referral in (active, sent):
        [mine] = read(referral.pk)
        [orm] = build(referral.pk)
        assert type(mine) is Referral and mine.pk == orm.pk
        assert mine._state.adding is False and mine._state.db == "default"
        assert [getattr(mine, f.attname) for f in Referral._meta.concrete_fields] == [
            getattr(orm, f.attname) for f in Referral._meta.concrete_fields
        ]
        assert mine.held == orm.held
        with CaptureQueriesContext(connection) as joined:
            assert mine.incident.team == orm.incident.team
            assert mine.provider == orm.provider
            assert mine.therapist == orm.therapist
            if mine.therapist is not None:
                assert mine.therapist.user == orm.therapist.user
        assert len(joined) == 0
    assert sent.therapist_id is None and read(sent.pk)[0].therapist is None
    assert read(0) == []


def test_a_prefetch_a_related_manager_or_flat_rows_are_refused(flow):
    from referrals.models import Referral, TransitionLog

    referral = flow.referral()
    refusals = [
        lambda pk: Referral.objects.filter(pk=pk).prefetch_related("transitions"),
        lambda pk: Referral.objects.get(pk=referral.pk).transitions.filter(pk=pk),
        lambda pk: TransitionLog.objects.filter(referral_id=pk).values_list("pk", flat=True),
    ]
    for build in refusals:
        with pytest.raises(ValueError, match="not kept"):
            Prepared(build)(referral.pk)


def test_a_list_of_ids_is_one_parameter_on_postgresql_and_reads_as_pk_in():
    """``AnyOf``: the page's ids as one array parameter on PostgreSQL (``IN`` with one
    placeholder each elsewhere), the same rows as ``pk__in`` whatever the length."""
    from django.db.models import F

    from config.prepared import IDS, AnyOf

    users = UserFactory.create_batch(4)
    wanted = [users[2].pk, users[0].pk, users[3].pk]
    by_ids = Prepared(
        lambda ids: User.objects.filter(AnyOf(F("pk"), ids)).values_list("pk"), kinds=(IDS,)
    )
    for ids in (wanted[:1], wanted, [*wanted, 10**9]):
        with CaptureQueriesContext(connection) as captured:
            found = by_ids(ids)
        assert sorted(found) == sorted(User.objects.filter(pk__in=ids).values_list("pk"))
        if connection.vendor == "postgresql":
            assert "= ANY(" in captured[0]["sql"]
    assert sorted(User.objects.filter(AnyOf(F("pk"), wanted)).values_list("pk", flat=True)) == (
        sorted(wanted)
    )
    assert list(User.objects.filter(AnyOf(F("pk"), []))) == []


def test_a_list_page_s_rows_statement_is_short_enough_for_psycopg_to_keep(flow, requires_postgres):
    """psycopg parses a statement again at every call when it has more than 50
    parameters or 4,096 characters. A page of 50 ids had 63 parameters."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    from referrals.models import Referral
    from therapists.views.allocation import QUEUE

    coordinator = flow.coordinator
    now = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        accepted = flow.referral(Referral.State.ACCEPTED)
        rows = QUEUE.for_person(coordinator, now).rows([accepted.pk, *range(10**9, 10**9 + 49)])
    assert [row["pk"] for row in rows] == [accepted.pk]
    assert "= ANY(" in captured[-1]["sql"]
    statements = [
        compiled[0] for key, compiled in QUEUE._rows._compiled.items() if key[1] == "postgresql"
    ]
    assert statements
    for sql in statements:
        assert len(sql) <= MAX_CACHED_STATEMENT_LENGTH
        assert sql.count("%s") <= MAX_CACHED_STATEMENT_PARAMS


def test_values_rows_name_their_columns_in_the_order_values_named_them():
    # An annotation named before a field in values(): Django 5.2 puts it first in the
    # SELECT, and a row must still say which column is which (as ValuesIterable does).
    UserFactory(username="ann", first_name="Ann")
    UserFactory(username="bob", first_name="Bob")

    def build(name):
        return (
            User.objects.filter(username__gt=name)
            .annotate(shouted=Upper("first_name"), n=Value(7))
            .values("shouted", "username", "n")
            .order_by("username")
        )

    kept = Prepared(build, kinds=(str,))
    assert kept("a") == list(build("a"))
    assert kept("a") == [
        {"shouted": "ANN", "username": "ann", "n": 7},
        {"shouted": "BOB", "username": "bob", "n": 7},
    ]


def test_a_statement_without_values_is_written_once_per_shape():
    UserFactory(username="ann", first_name="Ann")
    written = []

    def build(names):
        written.append(names)
        return User.objects.filter(username__in=names).values_list("first_name")

    kept = Prepared(build, kinds=())
    assert kept(shape=(("ann", "bob"),)) == [("Ann",)]
    assert kept(shape=(("ann", "bob"),)) == [("Ann",)]
    UserFactory(username="bob", first_name="Bob")
    # The SQL is kept, not the answer: the new row is read.
    assert sorted(kept(shape=(("ann", "bob"),))) == [("Ann",), ("Bob",)]
    assert kept(shape=(("bob",),)) == [("Bob",)]
    # Two builds a shape, to compare (see Prepared): written for each shape once.
    assert written == [("ann", "bob"), ("ann", "bob"), ("bob",), ("bob",)]
