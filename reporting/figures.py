"""The quarterly monitoring figures (docs/service.md "Monitoring (quarterly, for service
leads)"), counted by the database: every figure is a GROUP BY or a conditional
aggregate (``Count(filter=Q(...))``), so the number of queries is fixed and no
Python loop runs over referrals, sessions or answers, whatever their number.

A period can be split into *parts* (the months of a quarter): each additive figure
is then grouped by part in the same query, the period's figure is the sum of its
parts, and ``MonitoringFigures.parts`` holds the figures of each part, so the
suppression in ``reporting/sections.py`` can hide in the quarter whatever it hides
in one of its months (see docs/motivated-intruder-review.md, "Differencing").

Response times (met, breached, within target) are counted from the stopped clocks
the services store (``StoppedClock``, ``referrals/chasing/stopped.py``): each row
already says whether its clock stopped in time on the working clock (weekends, bank
holidays and London time), so the figures are one GROUP BY over those rows instead
of working time worked out for every clock of every referral on every request.

Aggregate reads only: these queries go to ``Referral.objects`` directly because a
service lead may see no individual referral (``visible_to`` gives them none), yet
the council needs the anonymous totals. Nothing leaves this module but counts,
team names (departments, not people) and pseudonyms for therapists ("Therapist A"),
so a report carries no name, no event detail, no free text and no reference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from string import ascii_uppercase

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.prepared import Prepared, one_group
from referrals import clocks, sla
from referrals.models import ExitPathway, Referral, StoppedClock, TherapySession
from reporting.models import EvaluationResponse
from reporting.periods import Period, local_midnight

KINDS = (Referral.Kind.INDIVIDUAL, Referral.Kind.GROUP)
RATINGS = tuple(value for value, _ in EvaluationResponse.Rating.choices)


@dataclass(frozen=True)
class SlaRow:
    clock: str
    label: str
    met: int
    breached: int
    target_met: int | None  # None when the clock has no target

    @property
    def stopped(self) -> int:
        return self.met + self.breached


@dataclass(frozen=True)
class EvaluationSummary:
    responses: int
    timely: dict[int, int]  # rating -> count
    helpful: dict[int, int]
    would_recommend: int


@dataclass(frozen=True)
class MonitoringFigures:
    period: Period
    generated_at: datetime
    referrals: dict[str, int]  # Referral.Kind value -> count
    by_team: dict[str, dict[str, int]]  # team -> Referral.Kind value -> count
    staff_supported: dict[str, int]  # pseudonym -> distinct staff supported one to one
    incidents_supported: dict[str, int]  # pseudonym -> distinct critical incidents
    group_sessions: int
    group_attendees: int
    length_of_support: dict[int, int]  # attended individual sessions -> closed cases
    first_meetings: int
    first_meetings_within_target: int
    active_at: list[tuple[date, int]]
    exit_pathways: list[tuple[str, int]]
    evaluation: EvaluationSummary
    sla: list[SlaRow] = field(default_factory=list)
    # The figures of each part (month) of the period, when it was split into parts.
    parts: list[MonitoringFigures] = field(default_factory=list)

    @property
    def referrals_total(self) -> int:
        return sum(self.referrals.values())


def _in(period: Period, name: str) -> Q:
    return Q(**{f"{name}__gte": period.start_at, f"{name}__lt": period.end_at})


def _slot(name: str, slots: list[Period]) -> Case:
    """Which of ``slots`` (disjoint periods) the instant in ``name`` falls in."""
    return Case(
        *[When(_in(slot, name), then=Value(index)) for index, slot in enumerate(slots)],
        default=Value(-1),
        output_field=IntegerField(),
    )


def pseudonym(index: int) -> str:
    """Therapist A, B, ... Z, AA, AB ...: a name for one report only."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, len(ascii_uppercase))
        letters = ascii_uppercase[rest] + letters
    return f"Therapist {letters}"


def _span(slots: list[Period], name: str) -> Q:
    return Q(**{f"{name}__gte": slots[0].start_at, f"{name}__lt": slots[-1].end_at})


def _written_once(build):
    """``build``'s rows with its SQL written once for each period, split or choice
    (``config.prepared.Prepared``, its ``shape``): the dashboard is asked again and
    again for the same quarter, and the ORM took longer to write these queries (about
    3 ms each on a slow host: a condition per part, a count per rating) than the
    database took to answer most of them. ``build`` takes the shape (periods, days,
    choices: anything hashable) and returns the queryset; its rows come back as the
    queryset gives them (dicts, for these ``values()`` queries). A period's bounds are
    its days' midnights in the service's time zone, written into the SQL, so the zone
    is part of what chooses the statement."""
    prepared = Prepared(lambda *shape: build(*shape[:-1]), kinds=())

    def rows(*shape):
        return prepared(shape=(*shape, settings.TIME_ZONE))

    rows.prepared = prepared
    return rows


def referrals_in(period: Period) -> int:
    """Referrals first submitted in the period (one COUNT query): how large a report
    for the period is, to decide whether to build its PDF in the background."""
    return Referral.objects.filter(_in(period, "first_submitted_at")).count()


def _referrals(slots: list[Period]) -> list[dict[str, dict[str, int]]]:
    """Referrals by the date they were first submitted (a resubmission after a request
    for more information is the same referral, counted once), by team and kind."""
    rows = _referral_counts(tuple(slots))
    by_team: list[dict[str, Counter]] = [defaultdict(Counter) for _ in slots]
    for row in rows:  # one row per part, team and kind: never per referral
        by_team[row["slot"]][row["incident__team__name"]][row["kind"]] = row["n"]
    return [{team: {k.value: c[k] for k in KINDS} for team, c in part.items()} for part in by_team]


@_written_once
def _referral_counts(slots: tuple[Period, ...]):
    return (
        Referral.objects.filter(_span(slots, "first_submitted_at"))
        .annotate(slot=_slot("first_submitted_at", slots))
        .values("slot", "incident__team__name", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )


PerTherapist = tuple[dict[str, int], dict[str, int]]


def _ranked(rows: list[dict], staff: str, incidents: str) -> PerTherapist:
    # Letters follow the figures, not the therapist's record, so a letter says
    # nothing about who joined first and is not carried from one report to the next.
    ranked = sorted(rows, key=lambda r: (-r[staff], -r[incidents], r["who"]))
    return (
        {pseudonym(i): row[staff] for i, row in enumerate(ranked)},
        {pseudonym(i): row[incidents] for i, row in enumerate(ranked)},
    )


def _per_therapist(slots: list[Period], *, with_parts: bool) -> list[PerTherapist]:
    """Distinct staff supported one to one, and distinct incidents supported, per
    therapist, from the sessions held (attended): for the whole period, then (with
    ``with_parts``) for each part. Distinct counts do not add up across parts, so each
    part has its own ``COUNT(DISTINCT)``, all in one query grouped by therapist."""
    rows = _therapist_counts(tuple(slots), with_parts)  # one row per therapist
    result = [_ranked(rows, "staff", "incidents")]
    for index in range(len(slots)) if with_parts else []:
        held = [row for row in rows if row[f"sessions_{index}"]]
        result.append(_ranked(held, f"staff_{index}", f"incidents_{index}"))
    return result


@_written_once
def _therapist_counts(slots: tuple[Period, ...], with_parts: bool):
    individual = Q(kind=TherapySession.Kind.INDIVIDUAL)
    aggregates = {
        "staff": Count("referral_id", distinct=True, filter=individual),
        "incidents": Count("referral__incident_id", distinct=True),
    }
    picks = list(enumerate(slots)) if with_parts else []
    for index, slot in picks:
        here = _in(slot, "held_at")
        aggregates |= {
            f"staff_{index}": Count("referral_id", distinct=True, filter=here & individual),
            f"incidents_{index}": Count("referral__incident_id", distinct=True, filter=here),
            f"sessions_{index}": Count("pk", filter=here),
        }
    return (
        TherapySession.objects.filter(
            _span(slots, "held_at"), attendance=TherapySession.Attendance.ATTENDED
        )
        .annotate(who=Coalesce("facilitator_id", "referral__therapist_id"))
        .filter(who__isnull=False)
        .values("who")
        .annotate(**aggregates)
        .order_by()
    )


def _group_sessions(slots: list[Period]) -> list[tuple[int, int]]:
    result = [(0, 0)] * len(slots)
    for row in _group_counts(tuple(slots)):
        result[row["slot"]] = (row["sessions"], row["people"])
    return result


@_written_once
def _group_counts(slots: tuple[Period, ...]):
    return (
        TherapySession.objects.filter(
            _span(slots, "held_at"),
            attendance=TherapySession.Attendance.ATTENDED,
            kind=TherapySession.Kind.GROUP,
        )
        .annotate(slot=_slot("held_at", slots))
        .values("slot")
        .annotate(sessions=Count("pk"), people=Coalesce(Sum("attendees"), 0))
        .order_by()
    )


def _length_of_support(slots: list[Period]) -> list[dict[int, int]]:
    most = settings.CIRS_MAX_SESSIONS + settings.CIRS_MAX_EXCEPTIONAL_SESSIONS
    result = [dict.fromkeys(range(most + 1), 0) for _ in slots]
    for row in _lengths(tuple(slots)):
        result[row["slot"]][row["sessions"]] = row["n"]
    return result


@_written_once
def _lengths(slots: tuple[Period, ...]):
    attended = (
        TherapySession.objects.filter(
            referral=OuterRef("pk"),
            kind=TherapySession.Kind.INDIVIDUAL,
            attendance=TherapySession.Attendance.ATTENDED,
        )
        .order_by()
        .values("referral")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Referral.objects.filter(
            _span(slots, "closed_at"),
            state=Referral.State.CLOSED,
            kind=Referral.Kind.INDIVIDUAL,
        )
        .annotate(
            slot=_slot("closed_at", slots),
            sessions=Coalesce(Subquery(attended, output_field=IntegerField()), 0),
        )
        .values("slot", "sessions")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _active_at(days: list[date]) -> dict[date, int]:
    """Cases in support at the end of each day: allocated by then, and neither closed
    nor withdrawn by then. One query for every day asked."""
    rows = _active_counts(tuple(days))
    # One row, or none when there are no referrals at all.
    result = rows[0] if rows else {}
    return {day: result.get(f"at_{i}", 0) for i, day in enumerate(days)}


@_written_once
def _active_counts(days: tuple[date, ...]):
    counts = {}
    for index, day in enumerate(days):
        moment = local_midnight(day + timedelta(days=1))
        counts[f"at_{index}"] = Count(
            "pk",
            filter=Q(allocated_at__lte=moment)
            & (Q(closed_at__isnull=True) | Q(closed_at__gt=moment))
            & (Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=moment)),
        )
    return one_group(Referral.objects.all()).annotate(**counts).values(*counts)


def _exit_pathways(slots: list[Period]) -> list[list[tuple[str, int]]]:
    rows = _pathway_counts(tuple(slots))
    return [[(row["label"], row[f"s{i}"]) for row in rows] for i in range(len(slots))]


@_written_once
def _pathway_counts(slots: tuple[Period, ...]):
    def closed_in(slot: Period) -> Q:
        return Q(
            summaries__referral__closed_at__gte=slot.start_at,
            summaries__referral__closed_at__lt=slot.end_at,
            summaries__referral__state=Referral.State.CLOSED,
        )

    counts = {f"s{i}": Count("summaries", filter=closed_in(s)) for i, s in enumerate(slots)}
    return ExitPathway.objects.annotate(**counts).order_by("order", "pk").values("label", *counts)


def _evaluation(slots: list[Period]) -> list[EvaluationSummary]:
    by_slot = {row["slot"]: row for row in _answer_counts(tuple(slots))}
    result = []
    for index in range(len(slots)):
        row = by_slot.get(index, {})
        result.append(
            EvaluationSummary(
                responses=row.get("responses", 0),
                timely={r: row.get(f"timely_{r}", 0) for r in RATINGS},
                helpful={r: row.get(f"helpful_{r}", 0) for r in RATINGS},
                would_recommend=row.get("recommend", 0),
            )
        )
    return result


@_written_once
def _answer_counts(slots: tuple[Period, ...]):
    # Ratings only: the free comment is never read here (it could identify someone).
    aggregates = {
        "responses": Count("pk"),
        "recommend": Count("pk", filter=Q(would_recommend=True)),
        **{f"timely_{r}": Count("pk", filter=Q(timely=r)) for r in RATINGS},
        **{f"helpful_{r}": Count("pk", filter=Q(helpful=r)) for r in RATINGS},
    }
    return (
        EvaluationResponse.objects.filter(_span(slots, "submitted_at"))
        .annotate(slot=_slot("submitted_at", slots))
        .values("slot")
        .annotate(**aggregates)
        .order_by()
    )


# --- Response times: the stopped clocks stored by referrals/chasing/stopped.py ------


def _has_target(clock: str) -> bool:
    return clocks.clock_config(clock).get("target") is not None


def _not_held(slots: list[Period]) -> Q:
    """A closure-summary clock counts in a part only if no key date was still to come at
    the end of that part (it waits while one is); other clocks have no last key date."""
    condition = Q(last_key_date__isnull=True)
    for slot in slots:
        condition |= _in(slot, "stopped_at") & Q(last_key_date__lt=slot.end)
    return condition


def _clock_counts(slots: list[Period]) -> dict[str, list[dict[str, int]]]:
    """For each clock of ``sla.LABELS`` and each part: how many stopped in it, how many
    on or before their limit (``met``) and their target (``target_met``). One GROUP BY
    over the stored rows (``StoppedClock``): one row per clock and part comes back."""
    empty = {"stopped": 0, "met": 0, "target_met": 0}
    counts = {clock: [dict(empty) for _ in slots] for clock in sla.LABELS}
    for row in _stopped_counts(tuple(slots)):  # one row per clock and part
        if row["clock"] in counts:
            counts[row["clock"]][row["slot"]] = {key: row[key] for key in empty}
    return counts


@_written_once
def _stopped_counts(slots: tuple[Period, ...]):
    return (
        StoppedClock.objects.filter(_span(slots, "stopped_at"), _not_held(slots))
        .annotate(slot=_slot("stopped_at", slots))
        .values("clock", "slot")
        .annotate(
            stopped=Count("pk"),
            met=Count("pk", filter=Q(met=True)),
            target_met=Count("pk", filter=Q(target_met=True)),
        )
        .order_by()
    )


def _first_meetings(counts) -> list[tuple[int, int]]:
    """First meetings held, and how many met the first-meeting target ("48 hours" on
    the working clock from the referral, docs/service.md step 6): the first-meeting
    clock of every individual referral (a referral with a first meeting has always been
    accepted and allocated, so its clock runs; a group referral has none)."""
    return [(c["stopped"], c["target_met"]) for c in counts["first_meeting"]]


def _sla(counts, slots: list[Period]) -> list[list[SlaRow]]:
    """Each clock that stopped in each part: met (on or before its limit) or breached,
    and how many met the target where there is one."""
    result: list[list[SlaRow]] = [[] for _ in slots]
    for clock, label in sla.LABELS.items():
        has_target = _has_target(clock)
        for index, c in enumerate(counts[clock]):
            result[index].append(
                SlaRow(
                    clock=clock,
                    label=label,
                    met=c["met"],
                    breached=c["stopped"] - c["met"],
                    target_met=c["target_met"] if has_target else None,
                )
            )
    return result


# --- Putting it together -----------------------------------------------------------------


def _sum_dicts(dicts):
    total: Counter = Counter()
    for d in dicts:
        total.update(d)
    return {key: total[key] for key in dicts[0]} if dicts else {}


def monitoring_figures(
    period: Period, *, parts: list[Period] | None = None, now: datetime | None = None
) -> MonitoringFigures:
    """Every figure docs/service.md "Monitoring" asks for, for ``period``; with ``parts``
    (disjoint periods that make up ``period``, in order), the figures of each part too,
    from the same queries."""
    slots = parts or [period]
    if slots[0].start != period.start or slots[-1].end != period.end:
        raise ValueError("the parts of a period must make up the whole period")
    now = now or timezone.now()
    referrals = _referrals(slots)
    groups = _group_sessions(slots)
    lengths = _length_of_support(slots)
    clock_counts = _clock_counts(slots)
    first = _first_meetings(clock_counts)
    pathways = _exit_pathways(slots)
    answers = _evaluation(slots)
    sla_rows = _sla(clock_counts, slots)
    days = sorted({*period.snapshot_days(), *(d for p in slots for d in p.snapshot_days())})
    active = _active_at(days)

    def figures_for(index: int | None, span: Period, per_therapist) -> MonitoringFigures:
        picks = range(len(slots)) if index is None else [index]
        teams: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
        for i in picks:
            for team, kinds in referrals[i].items():
                for kind, n in kinds.items():
                    teams[team][kind] += n
        by_team = {team: {k.value: teams[team][k] for k in KINDS} for team in sorted(teams)}
        summaries = [answers[i] for i in picks]
        staff, incidents = per_therapist
        return MonitoringFigures(
            period=span,
            generated_at=now,
            referrals={k.value: sum(row[k] for row in by_team.values()) for k in KINDS},
            by_team=by_team,
            staff_supported=staff,
            incidents_supported=incidents,
            group_sessions=sum(groups[i][0] for i in picks),
            group_attendees=sum(groups[i][1] for i in picks),
            length_of_support=_sum_dicts([lengths[i] for i in picks]),
            first_meetings=sum(first[i][0] for i in picks),
            first_meetings_within_target=sum(first[i][1] for i in picks),
            active_at=[(day, active[day]) for day in span.snapshot_days()],
            exit_pathways=[
                (label, sum(pathways[i][j][1] for i in picks))
                for j, (label, _) in enumerate(pathways[0])
            ],
            evaluation=EvaluationSummary(
                responses=sum(s.responses for s in summaries),
                timely=_sum_dicts([s.timely for s in summaries]),
                helpful=_sum_dicts([s.helpful for s in summaries]),
                would_recommend=sum(s.would_recommend for s in summaries),
            ),
            sla=[
                replace(
                    rows[0],
                    met=sum(r.met for r in rows),
                    breached=sum(r.breached for r in rows),
                    target_met=None
                    if rows[0].target_met is None
                    else sum(r.target_met for r in rows),
                )
                for rows in zip(*(sla_rows[i] for i in picks), strict=True)
            ],
        )

    whole_therapists, *part_therapists = _per_therapist(slots, with_parts=bool(parts))
    whole = figures_for(None, period, whole_therapists)
    if not parts:
        return whole
    return replace(
        whole,
        parts=[figures_for(i, part, part_therapists[i]) for i, part in enumerate(parts)],
    )
