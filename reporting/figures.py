"""The quarterly monitoring figures (docs/service.md "Monitoring (quarterly, for service
leads)"), computed in a fixed number of queries whatever the number of referrals.

Aggregate reads only: these queries go to ``Referral.objects`` directly because a
service lead may see no individual referral (``visible_to`` gives them none), yet
the council needs the anonymous totals. Nothing leaves this module but counts,
team names (departments, not people) and pseudonyms for therapists ("Therapist A"),
so a report carries no name, no event detail, no free text and no reference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from string import ascii_uppercase

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from referrals import clocks, sla
from referrals.models import ExitPathway, Referral, TherapySession
from reporting.models import EvaluationResponse
from reporting.periods import Period, local_midnight
from reporting.suppression import Cell, suppress

TEAM_COLUMNS = ("Individual", "Group", "All referrals")


@dataclass(frozen=True)
class TeamBreakdown:
    columns: tuple[str, ...]
    rows: list[tuple[str, list[Cell]]]
    totals: list[int]  # exact, one per column


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
    by_team: TeamBreakdown
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

    @property
    def referrals_total(self) -> int:
        return sum(self.referrals.values())


def _in(period: Period, name: str) -> Q:
    return Q(**{f"{name}__gte": period.start_at, f"{name}__lt": period.end_at})


def pseudonym(index: int) -> str:
    """Therapist A, B, ... Z, AA, AB ...: a name for one report only."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, len(ascii_uppercase))
        letters = ascii_uppercase[rest] + letters
    return f"Therapist {letters}"


def _referrals(period: Period) -> tuple[dict[str, int], TeamBreakdown]:
    """Referrals by the date they were first submitted (a resubmission after a request
    for more information is the same referral, counted once)."""
    rows = Referral.objects.filter(_in(period, "first_submitted_at")).values_list(
        "kind", "incident__team__name"
    )
    by_kind: Counter[str] = Counter()
    by_team: dict[str, Counter[str]] = defaultdict(Counter)
    for kind, team in rows:
        by_kind[kind] += 1
        by_team[team][kind] += 1
    kinds = [Referral.Kind.INDIVIDUAL, Referral.Kind.GROUP]
    teams = sorted(by_team)
    grid = [[by_team[t][k] for k in kinds] + [sum(by_team[t].values())] for t in teams]
    cells = suppress(grid, threshold=settings.CIRS_SUPPRESSION_THRESHOLD)
    totals = [by_kind[k] for k in kinds] + [sum(by_kind.values())]
    breakdown = TeamBreakdown(
        columns=TEAM_COLUMNS, rows=list(zip(teams, cells, strict=False)), totals=totals
    )
    return {k.value: by_kind[k] for k in kinds}, breakdown


def _sessions(period: Period):
    """Staff supported and incidents supported per therapist, and group sessions, from
    the sessions actually held (attended) in the period."""
    rows = (
        TherapySession.objects.filter(
            _in(period, "held_at"), attendance=TherapySession.Attendance.ATTENDED
        )
        .annotate(who=Coalesce("facilitator_id", "referral__therapist_id"))
        .values_list("who", "kind", "referral_id", "referral__incident_id", "attendees")
    )
    staff: dict[int, set[int]] = defaultdict(set)
    incidents: dict[int, set[int]] = defaultdict(set)
    group_sessions = group_attendees = 0
    for who, kind, referral_id, incident_id, attendees in rows:
        if kind == TherapySession.Kind.GROUP:
            group_sessions += 1
            group_attendees += attendees or 0
        elif who is not None:
            staff[who].add(referral_id)
        if who is not None:
            incidents[who].add(incident_id)
    # Letters follow the figures, not the therapist's record, so a letter says
    # nothing about who joined first and is not carried from one report to the next.
    order = sorted(incidents, key=lambda t: (-len(staff[t]), -len(incidents[t]), t))
    names = {t: pseudonym(i) for i, t in enumerate(order)}
    staff_supported = {names[t]: len(staff[t]) for t in order}
    incidents_supported = {names[t]: len(incidents[t]) for t in order}
    return staff_supported, incidents_supported, group_sessions, group_attendees


def _length_of_support(period: Period) -> dict[int, int]:
    counted = Q(
        therapy_sessions__kind=TherapySession.Kind.INDIVIDUAL,
        therapy_sessions__attendance=TherapySession.Attendance.ATTENDED,
    )
    lengths = (
        Referral.objects.filter(
            _in(period, "closed_at"),
            state=Referral.State.CLOSED,
            kind=Referral.Kind.INDIVIDUAL,
        )
        .annotate(sessions=Count("therapy_sessions", filter=counted))
        .values_list("sessions", flat=True)
    )
    most = settings.CIRS_MAX_SESSIONS + settings.CIRS_MAX_EXCEPTIONAL_SESSIONS
    distribution = dict.fromkeys(range(most + 1), 0)
    for sessions in lengths:
        distribution[sessions] = distribution.get(sessions, 0) + 1
    return distribution


def _first_meetings(period: Period) -> tuple[int, int]:
    """First meetings held in the period, and how many met the first-meeting target
    ("48 hours" on the working clock from the referral, docs/service.md step 6)."""
    rows = Referral.objects.filter(
        _in(period, "first_meeting_at"), kind=Referral.Kind.INDIVIDUAL
    ).values_list("submitted_at", "first_meeting_at")
    held = within = 0
    for submitted_at, first_meeting_at in rows:
        held += 1
        if clocks.met_target("first_meeting", started_at=submitted_at, stopped_at=first_meeting_at):
            within += 1
    return held, within


def _active_at(period: Period) -> list[tuple[date, int]]:
    """Cases in support at the end of each quarter end day: allocated by then, and
    neither closed nor withdrawn by then."""
    days = period.snapshot_days()
    counts = {}
    for index, day in enumerate(days):
        moment = local_midnight(day + timedelta(days=1))
        counts[f"at_{index}"] = Count(
            "pk",
            filter=Q(allocated_at__lte=moment)
            & (Q(closed_at__isnull=True) | Q(closed_at__gt=moment))
            & (Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=moment)),
        )
    result = Referral.objects.aggregate(**counts)
    return [(day, result[f"at_{i}"]) for i, day in enumerate(days)]


def _exit_pathways(period: Period) -> list[tuple[str, int]]:
    closed = Q(
        summaries__referral__closed_at__gte=period.start_at,
        summaries__referral__closed_at__lt=period.end_at,
        summaries__referral__state=Referral.State.CLOSED,
    )
    rows = ExitPathway.objects.annotate(cases=Count("summaries", filter=closed)).order_by(
        "order", "pk"
    )
    return [(label, cases) for label, cases in rows.values_list("label", "cases")]


def _evaluation(period: Period) -> EvaluationSummary:
    # Ratings only: the free comment is never read here (it could identify someone).
    rows = EvaluationResponse.objects.filter(_in(period, "submitted_at")).values_list(
        "timely", "helpful", "would_recommend"
    )
    ratings = [value for value, _ in EvaluationResponse.Rating.choices]
    timely = dict.fromkeys(ratings, 0)
    helpful = dict.fromkeys(ratings, 0)
    responses = recommend = 0
    for t, h, r in rows:
        responses += 1
        timely[t] += 1
        helpful[h] += 1
        recommend += bool(r)
    return EvaluationSummary(
        responses=responses, timely=timely, helpful=helpful, would_recommend=recommend
    )


_CLOCK_FIELDS = (
    "id",
    "kind",
    "state",
    "submitted_at",
    "decided_at",
    "allocated_at",
    "first_meeting_at",
    "manager_contacted_at",
    "third_session_at",
    "last_session_at",
    "closed_at",
    "withdrawn_at",
)


def _sla(period: Period) -> list[SlaRow]:
    """Each clock of ``referrals/sla.py`` that stopped in the period: met (on or before
    its limit) or breached, and how many met the target where there is one."""
    stopped_here = (
        _in(period, "decided_at")
        | _in(period, "allocated_at")
        | _in(period, "first_meeting_at")
        | _in(period, "manager_contacted_at")
        | _in(period, "closed_at")
        | _in(period, "reviews__recorded_at")
    )
    ids = Referral.objects.filter(stopped_here).values("pk")
    referrals = (
        Referral.objects.filter(pk__in=ids)
        .only(*_CLOCK_FIELDS)
        .order_by()
        .prefetch_related("reviews", "key_dates")
    )
    met: Counter[str] = Counter()
    breached: Counter[str] = Counter()
    target_met: Counter[str] = Counter()
    for referral in referrals:
        for clock, started, stopped in sla.clock_spans(referral, today=period.end):
            if not period.contains(stopped):
                continue
            status = clocks.clock_status(clock, started_at=started, stopped_at=stopped)
            if status == clocks.ClockStatus.MET:
                met[clock] += 1
            else:
                breached[clock] += 1
            if clocks.met_target(clock, started_at=started, stopped_at=stopped):
                target_met[clock] += 1
    return [
        SlaRow(
            clock=clock,
            label=label,
            met=met[clock],
            breached=breached[clock],
            target_met=target_met[clock] if _has_target(clock) else None,
        )
        for clock, label in sla.LABELS.items()
    ]


def _has_target(clock: str) -> bool:
    return clocks.clock_config(clock).get("target") is not None


def monitoring_figures(period: Period, *, now: datetime | None = None) -> MonitoringFigures:
    """Every figure docs/service.md "Monitoring" asks for, for ``period``."""
    referrals, by_team = _referrals(period)
    staff, incidents, group_sessions, group_attendees = _sessions(period)
    first_meetings, within = _first_meetings(period)
    return MonitoringFigures(
        period=period,
        generated_at=now or timezone.now(),
        referrals=referrals,
        by_team=by_team,
        staff_supported=staff,
        incidents_supported=incidents,
        group_sessions=group_sessions,
        group_attendees=group_attendees,
        length_of_support=_length_of_support(period),
        first_meetings=first_meetings,
        first_meetings_within_target=within,
        active_at=_active_at(period),
        exit_pathways=_exit_pathways(period),
        evaluation=_evaluation(period),
        sla=_sla(period),
    )
