"""The monitoring figures laid out once, as titled tables with a chart each, for the
dashboard, the PDF, the CSV and the XLSX alike (so the four always agree)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.functional import cached_property
from django.utils.safestring import SafeString

from referrals import clocks
from referrals.models import Referral
from reporting.charts import bar_chart
from reporting.figures import MonitoringFigures
from reporting.models import EvaluationResponse
from reporting.suppression import SECONDARY_MARK

Value = int | str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    explanation: str
    headers: list[str]
    rows: list[list[Value]]
    footer: list[Value] | None = None
    chart_bars: list[tuple[str, float]] | None = None
    chart_unit: str = ""
    notes: list[str] = field(default_factory=list)

    @cached_property
    def chart(self) -> SafeString | None:
        if self.chart_bars is None:
            return None
        return bar_chart(self.title, self.chart_bars, unit=self.chart_unit)


def share(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def percent(part: int, whole: int) -> str:
    return f"{share(part, whole)}%" if whole else "–"


def target_text(clock: str) -> str:
    """How a clock's target reads in words, from ``settings.CIRS_CLOCKS``."""
    target = clocks.clock_config(clock)["target"]
    ((unit, amount),) = target.items()
    unit_text = "hours" if unit == "working_hours" else "working days"
    return f"{amount:g} {unit_text}"


def _therapist_section(key, title, explanation, counts: dict[str, int], column) -> Section:
    rows = [[name, n] for name, n in counts.items()]
    return Section(
        key=key,
        title=title,
        explanation=explanation,
        headers=["Therapist", column],
        rows=rows,
        chart_bars=list(counts.items()),
        notes=["Therapists are shown by a letter that holds for this report only, not by name."],
    )


def build_sections(figures: MonitoringFigures) -> list[Section]:
    f = figures
    threshold = settings.CIRS_SUPPRESSION_THRESHOLD
    individual = f.referrals[Referral.Kind.INDIVIDUAL]
    group = f.referrals[Referral.Kind.GROUP]
    within = f.first_meetings_within_target
    later = f.first_meetings - within
    target = target_text("first_meeting")
    ev = f.evaluation
    rating_labels = dict(EvaluationResponse.Rating.choices)
    agree = [EvaluationResponse.Rating.AGREE, EvaluationResponse.Rating.STRONGLY_AGREE]
    sections = [
        Section(
            key="referrals",
            title="Referrals received",
            explanation="Referrals first submitted in the period.",
            headers=["Kind of referral", "Referrals"],
            rows=[["Individual", individual], ["Group", group]],
            footer=["All referrals", f.referrals_total],
            chart_bars=[("Individual", individual), ("Group", group)],
        ),
        Section(
            key="referrals_by_team",
            title="Referrals by team or department",
            explanation="Referrals first submitted in the period, by the team or "
            "department where the incident happened.",
            headers=["Team or department", *f.by_team.columns],
            rows=[[team, *(cell.display for cell in cells)] for team, cells in f.by_team.rows],
            footer=["All teams", *f.by_team.totals],
            notes=[
                f"Counts from 1 to {threshold} are shown as “<{threshold + 1}” so that no one "
                f"can be identified. Cells marked “{SECONDARY_MARK}” are hidden too, so that "
                "a small count cannot be worked out from the totals, which are exact.",
                "There is no chart for this table, because a chart would show the hidden counts.",
            ],
        ),
        _therapist_section(
            "staff_supported",
            "Staff supported per therapist",
            "Staff members with a first meeting or a session held in the period "
            "(individual support).",
            f.staff_supported,
            "Staff supported",
        ),
        Section(
            key="group_sessions",
            title="Group sessions held",
            explanation="Group sessions held in the period, and how many people came to "
            "them (a person who came to two sessions counts twice).",
            headers=["", "Number"],
            rows=[
                ["Group sessions held", f.group_sessions],
                ["People attending", f.group_attendees],
            ],
            chart_bars=[
                ("Group sessions held", f.group_sessions),
                ("People attending", f.group_attendees),
            ],
        ),
        Section(
            key="length_of_support",
            title="Length of support",
            explanation="For cases closed in the period: how many individual sessions "
            "the staff member attended, including the first meeting.",
            headers=["Sessions attended", "Closed cases"],
            rows=[[sessions, n] for sessions, n in f.length_of_support.items()],
            footer=["All closed cases", sum(f.length_of_support.values())],
            chart_bars=[
                (f"{sessions} session{'s' if sessions != 1 else ''}", n)
                for sessions, n in f.length_of_support.items()
            ],
        ),
        Section(
            key="first_meetings",
            title=f"First meetings within {target} of referral",
            explanation=f"First meetings held in the period, and how many were within "
            f"{target} of the referral on the working clock (weekends and bank holidays "
            "do not count).",
            headers=["", "Number", "Share"],
            rows=[
                [f"Within {target}", within, percent(within, f.first_meetings)],
                [f"Later than {target}", later, percent(later, f.first_meetings)],
            ],
            footer=["First meetings held", f.first_meetings, ""],
            chart_bars=[(f"Within {target}", within), (f"Later than {target}", later)],
        ),
        Section(
            key="active_cases",
            title="Active cases at quarter end",
            explanation="Cases with a therapist allocated and support not yet ended or "
            "withdrawn, at the end of each quarter in the period (and at the end of the "
            "period).",
            headers=["At the end of", "Active cases"],
            rows=[[f"{day:%-d %B %Y}", n] for day, n in f.active_at],
            chart_bars=[(f"{day:%-d %b %Y}", n) for day, n in f.active_at],
        ),
        _therapist_section(
            "incidents_supported",
            "Serious incidents supported per therapist",
            "Different critical incidents each therapist supported staff after, through "
            "sessions held in the period (individual or group).",
            f.incidents_supported,
            "Incidents supported",
        ),
        Section(
            key="exit_pathways",
            title="Exit pathways",
            explanation="Where support led, for cases closed in the period (a case may "
            "have more than one pathway).",
            headers=["Exit pathway", "Cases"],
            rows=[[label, n] for label, n in f.exit_pathways],
            chart_bars=list(f.exit_pathways),
        ),
        Section(
            key="evaluation",
            title="Evaluation questionnaire",
            explanation=f"Answers received in the period: {ev.responses}. Free comments "
            "are not included in this report, because they could identify someone.",
            headers=["Answer", "The support came at the right time", "The support helped me"],
            rows=[[rating_labels[r], ev.timely[r], ev.helpful[r]] for r in rating_labels],
            footer=[
                "Would recommend the service to a colleague",
                f"{ev.would_recommend} of {ev.responses}",
                percent(ev.would_recommend, ev.responses),
            ],
            chart_bars=[
                ("Right time: agree", sum(ev.timely[r] for r in agree)),
                ("Helped: agree", sum(ev.helpful[r] for r in agree)),
                ("Would recommend", ev.would_recommend),
            ],
        ),
        Section(
            key="sla",
            title="Response times",
            explanation="Each clock that stopped in the period: met (on or before its "
            "limit) or breached (after it), and, where the clock has a target, how many "
            "met the target.",
            headers=["Clock", "Met", "Breached", "Met the target"],
            rows=[
                [
                    row.label,
                    row.met,
                    row.breached,
                    "no target" if row.target_met is None else row.target_met,
                ]
                for row in f.sla
            ],
            chart_bars=[(row.label, share(row.met, row.stopped)) for row in f.sla],
            chart_unit="%",
            notes=["The chart shows the share of each clock met within its limit."],
        ),
    ]
    return sections
