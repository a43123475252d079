"""Reads. ``referrals_visible_to`` is the only way a view fetches referrals."""

from __future__ import annotations

import json
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    Expression,
    F,
    Field,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, JSONArray
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.audit import record_access
from accounts.models import AuditEvent
from config.prepared import AnyOf, Prepared
from referrals.models import (
    ClockDeadline,
    ClosureSummary,
    ExtensionRequest,
    InformationRequest,
    KeyDate,
    Referral,
    Team,
    TherapySession,
    TransitionLog,
)
from referrals.models.deadlines import due_expression, parse_moment, running, status_filter
from referrals.permissions import is_active_account


def referrals_visible_to(user):
    return Referral.objects.visible_to(user)


def own_support(staff) -> QuerySet[Referral]:
    """The referrals about ``staff`` (a user, or ``OuterRef`` to one) past draft: those a
    person sees as their own support. ``Referral.objects.visible_to`` always lets a
    person see these, whatever their roles, so no role test is needed."""
    return Referral.objects.filter(staff_user=staff).exclude(state=Referral.State.DRAFT)


def page_of(user, ids) -> QuerySet[Referral]:
    """The referrals ``ids`` (a list page's page, already chosen from what ``user`` may
    see), read again through ``referrals_visible_to``, in no order (the page puts them
    back in its own: ``paging``). The ids are one parameter (``AnyOf``)."""
    return referrals_visible_to(user).filter(AnyOf(F("pk"), ids)).order_by()


def _board_filter_union():
    provider_model = Referral._meta.get_field("provider").related_model
    therapist_model = Referral._meta.get_field("therapist").related_model
    text = CharField()

    def shaped(qs, kind, label, extra):
        return (
            qs.order_by()
            .annotate(list_kind=Value(kind, output_field=text), label=label, extra=extra)
            .values_list("list_kind", "pk", "label", "extra")
        )

    name = Concat("user__first_name", Value(" "), "user__last_name", output_field=text)
    return shaped(provider_model.objects.all(), "provider", F("name"), Value("", text)).union(
        shaped(therapist_model.objects.all(), "therapist", name, F("provider__name")),
        shaped(Team.objects.all(), "team", F("name"), Value("", text)),
        all=True,
    )


# The board asks it on every page: its SQL is written once (config/prepared.py).
_board_filter_read = Prepared(_board_filter_union)


def board_filter_choices() -> dict[str, list[tuple[int, str]]]:
    """The providers, therapists (with their provider) and teams for the board's filters,
    in one UNION query. The provider and therapist models belong to the ``therapists``
    app, above this one, so they are read from ``Referral``'s fields (like ``providers``)."""
    found: dict[str, list[tuple[int, str]]] = {"provider": [], "therapist": [], "team": []}
    rows = _board_filter_read()
    for kind, pk, label, extra in sorted(rows, key=lambda r: (r[0], r[3], r[2], r[1])):
        found[kind].append((pk, f"{label.strip()} ({extra})" if extra else label))
    return found


def providers() -> QuerySet:
    """The providers a referral may be sent to. ``referrals`` knows a provider only as
    the target of ``Referral.provider``: the ``therapists`` app, which owns the model,
    sits above ``referrals`` (docs/architecture.md), so the model is read from the field."""
    return Referral._meta.get_field("provider").related_model.objects.all()


def extension_requests_visible_to(user) -> QuerySet[ExtensionRequest]:
    """Extension requests on referrals ``user`` may see (``referrals_visible_to``): the
    PSW and SMPE "approve extensions and exceptional sessions"."""
    return ExtensionRequest.objects.filter(referral__in=referrals_visible_to(user))


def closure_summary_for(referral: Referral) -> ClosureSummary | None:
    """The closure summary of a referral already fetched with ``get_referral_for_user``,
    or None while the therapist has not written one."""
    return ClosureSummary.objects.filter(referral=referral).first()


def transitions_prefetch() -> Prefetch:
    """A referral's transitions in order, for a queryset built on ``referrals_visible_to``
    ("every transition records who did it and when")."""
    return Prefetch(
        "transitions", queryset=TransitionLog.objects.select_related("by").order_by("at", "pk")
    )


def stand_in(user_id: int, roles) -> AbstractBaseUser:
    """An active account with this id and these roles, and nothing else: what
    ``Referral.objects.visible_to`` reads of a person. A read written once
    (``config.prepared``) is built for a stand-in, with the person's id as its value and
    their roles as its shape, so it applies the same rule."""
    user = get_user_model()(pk=user_id, is_active=True)
    user._cirs_roles = frozenset(roles)
    return user


# What every page of one referral shows of its incident, team, provider and therapist.
REFERRAL_PAGE_RELATED = ("incident", "incident__team", "provider", "therapist__user")


def _one_visible(referral_id, user_id, roles, count_sessions):
    found = referrals_visible_to(stand_in(user_id, roles)).select_related(*REFERRAL_PAGE_RELATED)
    if count_sessions:
        found = found.annotate(sessions_counted=counted_sessions())
    return found.filter(pk=referral_id)


# Every page of a referral reads it: its SQL is written once per roles (config/prepared.py).
_visible_read = Prepared(_one_visible, kinds=(int, int))


def _an_id(referral_id: int) -> bool:
    """Whether the number could be a referral's id at all (the ORM finds nothing for one
    past the column's range, where the database would refuse the statement)."""
    _low, high = connection.ops.integer_field_range(Referral._meta.pk.get_internal_type())
    return referral_id > 0 and (high is None or referral_id <= high)


def get_referral_for_user(
    request: HttpRequest, referral_id: int, *, count_sessions: bool = False, audit: bool = True
) -> Referral:
    """Fetch one referral the user may see (``referrals_visible_to``), with its incident,
    team, provider and therapist, and record the read. Someone else's referral is a 404
    (never a 403, which would say it exists), and is audited as a refused access.
    ``count_sessions``: the sessions held, as ``sessions_counted``, in the same query."""
    user = request.user
    found = []
    if is_active_account(user) and _an_id(referral_id):
        shape = (frozenset(user.roles), count_sessions)
        found = _visible_read(referral_id, user.pk, shape=shape)
    if not found:
        record_access(
            request, action=AuditEvent.Action.DENIED, object_type="referral", object_id=referral_id
        )
        raise Http404("No referral here")
    referral = found[0]
    if audit:
        record_access(
            request, action=AuditEvent.Action.VIEW, object_type="referral", object_id=referral.pk
        )
    return referral


# The referral page's questions and its timeline, written once (config/prepared.py).
questions_of = Prepared(
    lambda referral_id: InformationRequest.objects.filter(referral_id=referral_id).select_related(
        "asked_by", "answered_by"
    )
)
transitions_of = Prepared(
    lambda referral_id: (
        TransitionLog.objects.filter(referral_id=referral_id)
        .select_related("by")
        .order_by("at", "pk")
    )
)


class JSONList(Aggregate):
    """The rows' values as one JSON list, handed over as text (PostgreSQL
    ``JSON_AGG(...)::text``, SQLite ``JSON_GROUP_ARRAY``) and read back with
    ``json.loads`` (``parse_transitions``). As text, not as ``json``: psycopg's
    decoding of a ``json`` value through Django's loader cost about 6 µs a row of a
    list page, twice what ``json.loads`` of the text does (docs/performance.md)."""

    function = "JSON_AGG"
    output_field = Field()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return f"{sql}::text", params

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def next_due_from_rows(now: datetime) -> Subquery:
    """The soonest next deadline among a referral's running clocks (the target until it
    passes, then the limit), read from its stored rows: a subquery per referral."""
    return Subquery(
        ClockDeadline.objects.filter(running(timezone.localdate(now)), referral=OuterRef("pk"))
        .order_by()
        .values("referral")
        .annotate(soonest=Min(due_expression(now)))
        .values("soonest")
    )


class _FromRows(Expression):
    """A subquery over a referral's stored clock rows, written once as SQL: building and
    compiling the same subquery through the ORM costs one to two milliseconds of every
    list page. ``sql`` names the referral's id ``{pk}`` (compiled from ``F("pk")``, so
    it follows the query's own name for the table) and the rows' table and columns by
    their names below; ``params`` are moments and days, adapted for the database."""

    def __init__(self, sql: str, params: tuple, output_field):
        super().__init__(output_field=output_field)
        self.sql, self.params, self.pk = sql, params, F("pk")

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        pk_sql, pk_params = compiler.compile(self.pk)
        ops = connection.ops
        params = [
            ops.adapt_datetimefield_value(p)
            if isinstance(p, datetime)
            else ops.adapt_datefield_value(p)
            if isinstance(p, date)
            else p
            for p in self.params
        ]
        names = {
            "pk": pk_sql,
            "rows": ops.quote_name(ClockDeadline._meta.db_table),
            **{f.name: ops.quote_name(f.column) for f in ClockDeadline._meta.concrete_fields},
        }
        return f"({self.sql.format(**names)})", (*params, *pk_params)


_RUNNING = "(r.{held_until} IS NULL OR r.{held_until} < %s) AND r.{referral} = {pk}"


def _soonest_from_rows(now: datetime) -> _FromRows:
    """``next_due_from_rows`` as written SQL."""
    return _FromRows(
        "SELECT MIN(CASE WHEN r.{target_at} >= %s THEN r.{target_at} ELSE r.{limit_at} END) "
        "FROM {rows} r WHERE " + _RUNNING,
        (now, timezone.localdate(now)),
        DateTimeField(),
    )


def next_due(now: datetime) -> Case:
    """``next_due_from_rows``, read from the referral's own brief of its rows
    (``Referral.clocks_*``) wherever that gives the same moment, so a list sorts all
    its referrals without a subquery for each:

    * past a limit: the soonest limit (any clock past its limit is past its target, so
      its next deadline is that limit, and no other clock's comes sooner);
    * no target passed yet: the soonest first deadline (each clock's target, or its
      limit when it has none);
    * between a target and its limit, or a held clock started since the rows were
      stored: the rows themselves (few referrals at any moment).

    ``tests/referrals/test_urgency.py`` checks it against ``next_due_from_rows``. The
    rows' part is that subquery written once as SQL (``_FromRows``)."""
    # One subquery in the expression, not two: PostgreSQL prices every branch of a CASE
    # for every row (a dearer plan is compiled just in time, which costs more).
    brief_holds = Q(clocks_held_until__isnull=True) | Q(
        clocks_held_until__gte=timezone.localdate(now)
    )
    return Case(
        When(brief_holds & Q(clocks_limit_at__lt=now), then=F("clocks_limit_at")),
        When(
            brief_holds & (Q(clocks_target_at__isnull=True) | Q(clocks_target_at__gte=now)),
            then=F("clocks_first_at"),
        ),
        default=_soonest_from_rows(now),
        output_field=DateTimeField(),
    )


class _RunningRows(_FromRows):
    def as_sql(self, compiler, connection):
        function = (
            "JSON_GROUP_ARRAY(JSON_ARRAY"
            if connection.vendor == "sqlite"
            else ("JSON_AGG(JSON_BUILD_ARRAY")
        )
        sql, params = super().as_sql(compiler, connection)
        return sql.replace("JSON_LIST(", function + "(", 1), params

    def as_postgresql(self, compiler, connection):
        # As text, as ``JSONList`` says why.
        sql, params = self.as_sql(compiler, connection)
        return f"{sql}::text", params


def running_deadlines(now: datetime) -> _FromRows:
    """A referral's running clocks' stored moments in one JSON value ([clock, near,
    target, limit, id] each): a page of rows brings its badges without a query of its
    own (``deadlines.parse_moments`` reads it). PostgreSQL ``JSON_AGG`` as text,
    SQLite ``JSON_GROUP_ARRAY``; written SQL, as ``_FromRows`` says why."""
    return _RunningRows(
        "SELECT JSON_LIST(r.{clock}, r.{near_at}, r.{target_at}, r.{limit_at}, r.{id})) "
        "FROM {rows} r WHERE " + _RUNNING,
        (timezone.localdate(now),),
        Field(),
    )


def counted_sessions() -> Coalesce:
    """How many sessions count toward a referral's allowance
    (``Referral.counted_sessions``), as a subquery."""
    counted = (
        TherapySession.objects.filter(TherapySession.counted(), referral=OuterRef("pk"))
        .order_by()
        .values("referral")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def transitions_json() -> Subquery:
    """A referral's transitions in one JSON value ([event, at, first name, last name,
    username, note, to_state, id] each), read with a list's row (``parse_transitions``)."""
    return Subquery(
        TransitionLog.objects.filter(referral=OuterRef("pk"))
        .order_by()
        .values("referral")
        .annotate(
            rows=JSONList(
                JSONArray(
                    "event",
                    "at",
                    "by__first_name",
                    "by__last_name",
                    "by__username",
                    "note",
                    "to_state",
                    "pk",
                )
            )
        )
        .values("rows")
    )


def parse_transitions(value) -> list[tuple]:
    """``transitions_json`` as (event, at, who, note, to_state), in order (time, then
    id): what ``views.detail.timeline_from`` reads. ``who`` is the person's name as
    ``str(user)`` gives it, or "" when nobody is recorded."""
    if value is None:
        return []
    if isinstance(value, str):
        value = json.loads(value)
    logs = []
    for event, at, first, last, username, note, to_state, pk in value:
        who = (f"{first} {last}".strip() or username) if username is not None else ""
        logs.append((parse_moment(at), pk, event, who, note, to_state))
    logs.sort(key=lambda log: (log[0], log[1]))
    return [(event, at, who, note, to_state) for at, _pk, event, who, note, to_state in logs]


def with_deadlines(referrals: QuerySet[Referral], *, now: datetime) -> QuerySet[Referral]:
    """Referrals with ``next_due`` (``next_due``) and their running clocks' stored
    moments (``running_deadlines_json``, read by ``deadlines.parse_moments``)."""
    return referrals.annotate(next_due=next_due(now), running_deadlines_json=running_deadlines(now))


def most_urgent_first(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Soonest next deadline first (past ones first of all); no running clock last."""
    return referrals.order_by(F("next_due").asc(nulls_last=True), "submitted_at", "pk")


def queue_of(user, states, *, now: datetime) -> QuerySet[Referral]:
    """A working queue: the referrals ``user`` may see in ``states``, the most urgent
    first (the triage queue, allocation). What sorts only: a page's rows are read for
    its ids alone (``queue_rows``)."""
    return most_urgent_first(
        referrals_visible_to(user).filter(state__in=states).annotate(next_due=next_due(now))
    )


def queue_rows(user, ids, columns, *, now: datetime):
    """The rows of a queue's page ``ids``: only ``columns``, as plain values, and the
    running clocks' stored moments (``deadlines``, read by ``deadlines.parse_moments``)."""
    return (
        page_of(user, ids).annotate(deadlines=running_deadlines(now)).values(*columns, "deadlines")
    )


def board_referrals(user, *, now: datetime) -> QuerySet[Referral]:
    """The PSW/SMPE's oversight board: every open referral from submission to closure
    (not drafts), with ``next_due`` to sort on. Only what sorts and filters: the
    board's rows are read for one page at a time (``board_rows``)."""
    return (
        referrals_visible_to(user)
        .open()
        .exclude(state=Referral.State.DRAFT)
        .annotate(next_due=next_due(now))
    )


def board_rows(user, ids, *, now: datetime):
    """The board's rows for the referrals ``ids``, as plain values: team, provider, therapist, the running clocks' stored moments, the
    sessions that count toward the allowance, whether more were approved, and the next
    key date, each a subquery, so a page is one query whatever the volume."""
    today = timezone.localdate(now)
    approved = ExtensionRequest.objects.filter(
        referral=OuterRef("pk"), status=ExtensionRequest.Status.APPROVED
    )
    next_key_date = (
        KeyDate.objects.filter(referral=OuterRef("pk"), date__gte=today)
        .order_by("date")
        .values("date")[:1]
    )
    return (
        page_of(user, ids)
        .annotate(
            deadlines=running_deadlines(now),
            sessions_used=counted_sessions(),
            extension_approved=Exists(approved.filter(kind=ExtensionRequest.Kind.EXTENSION)),
            exceptional_approved=Exists(approved.filter(kind=ExtensionRequest.Kind.EXCEPTIONAL)),
            next_key_date=Subquery(next_key_date),
        )
        .values(
            "pk",
            "kind",
            "state",
            "incident__team__name",
            "provider__name",
            "therapist_id",
            "therapist__user__first_name",
            "therapist__user__last_name",
            "therapist__user__username",
            "deadlines",
            "sessions_used",
            "extension_approved",
            "exceptional_approved",
            "next_key_date",
        )
    )


def with_clock_status(referrals: QuerySet[Referral], status: str, *, now: datetime):
    """Referrals with a running clock within time, near, past, or near or past ("due")."""
    today = timezone.localdate(now)
    rows = ClockDeadline.objects.filter(
        running(today), status_filter(status, now), referral=OuterRef("pk")
    )
    return referrals.filter(Exists(rows))
