"""The monitoring figures laid out once, as titled tables with a chart each, for the
dashboard, the PDF, the CSV and the XLSX alike (so the four always agree).

Every count goes through ``reporting/suppression.py`` on its way into a table: each
table is a grid whose totals are cells of the grid, counts from 1 to
``CIRS_SUPPRESSION_THRESHOLD`` show as "<5", secondary suppression stops them being
worked out from the totals, and when the period is a quarter split into its months
(``MonitoringFigures.parts``), a cell hidden in any month is hidden in the quarter
too, so subtracting months from the quarter gives nothing a month hides. Evaluation
answers are held back altogether below the threshold. A table with a hidden count
has no chart, because a bar would show it.
"""

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
from reporting.suppression import SECONDARY_MARK, Cell, suppress

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
    suppressed: bool = False  # whether any count in the table is hidden

    @cached_property
    def chart(self) -> SafeString | None:
        if self.chart_bars is None:
            return None
        return bar_chart(self.title, self.chart_bars, unit=self.chart_unit)


@dataclass(frozen=True)
class Grid:
    """One table's counts: data rows, then ``footer_rows`` rows of totals."""

    row_labels: list[str]
    values: list[list[int]]
    footer_rows: int = 0
    secondary: bool = True  # False when no total is published (nothing to solve)
    nested: bool = True  # False when a quarter's rows are not the sum of its months'
    held_back: bool = False  # every count hidden (too few answers to show any)
    rows_add_up: bool = True  # False when only the columns are sums


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


def _evaluation_held_back(f: MonitoringFigures, threshold: int) -> bool:
    return 1 <= f.evaluation.responses <= threshold


def _grids(f: MonitoringFigures, threshold: int) -> dict[str, Grid]:
    """Every table's counts, keyed by section, before any suppression."""
    kinds = [Referral.Kind.INDIVIDUAL, Referral.Kind.GROUP]
    ev = f.evaluation
    held_back = _evaluation_held_back(f, threshold)
    teams = list(f.by_team.items())
    team_rows = [[c[k] for k in kinds] + [sum(c.values())] for _, c in teams]
    later = f.first_meetings - f.first_meetings_within_target
    return {
        "referrals": Grid(
            ["Individual", "Group", "All referrals"],
            [[f.referrals[k]] for k in kinds] + [[f.referrals_total]],
            footer_rows=1,
        ),
        "referrals_by_team": Grid(
            [team for team, _ in teams] + ["All teams"],
            [*team_rows, [f.referrals[k] for k in kinds] + [f.referrals_total]],
            footer_rows=1,
        ),
        "staff_supported": Grid(
            list(f.staff_supported),
            [[n] for n in f.staff_supported.values()],
            secondary=False,
            nested=False,
        ),
        "group_sessions": Grid(
            ["Group sessions held", "People attending"],
            [[f.group_sessions], [f.group_attendees]],
            secondary=False,
        ),
        "length_of_support": Grid(
            [str(sessions) for sessions in f.length_of_support] + ["All closed cases"],
            [[n] for n in f.length_of_support.values()] + [[sum(f.length_of_support.values())]],
            footer_rows=1,
        ),
        "first_meetings": Grid(
            ["within", "later", "held"],
            [[f.first_meetings_within_target], [later], [f.first_meetings]],
            footer_rows=1,
        ),
        "active_cases": Grid(
            [f"{day:%-d %B %Y}" for day, _ in f.active_at],
            [[n] for _, n in f.active_at],
            secondary=False,
            nested=False,
        ),
        "incidents_supported": Grid(
            list(f.incidents_supported),
            [[n] for n in f.incidents_supported.values()],
            secondary=False,
            nested=False,
        ),
        "exit_pathways": Grid(
            [label for label, _ in f.exit_pathways],
            [[n] for _, n in f.exit_pathways],
            secondary=False,
        ),
        "evaluation": Grid(
            [str(r) for r in ev.timely] + ["All answers"],
            [[ev.timely[r], ev.helpful[r]] for r in ev.timely] + [[ev.responses, ev.responses]],
            footer_rows=1,
            held_back=held_back,
            rows_add_up=False,
        ),
        "would_recommend": Grid(
            ["Yes", "No", "All answers"],
            [[ev.would_recommend], [ev.responses - ev.would_recommend], [ev.responses]],
            footer_rows=1,
            held_back=held_back,
        ),
        "sla": Grid(
            [row.clock for row in f.sla],
            [[row.met, row.breached, row.target_met or 0] for row in f.sla],
            secondary=False,
        ),
    }


def _cells(grid: Grid, threshold: int, inherited: set[tuple[int, int]]) -> list[list[Cell]]:
    if grid.held_back:
        inherited = {(r, c) for r, row in enumerate(grid.values) for c in range(len(row))}
    return suppress(
        grid.values,
        threshold=threshold,
        inherited=inherited,
        secondary=grid.secondary,
        rows_add_up=grid.rows_add_up,
    )


def protect(figures: MonitoringFigures, threshold: int) -> dict[str, list[list[Cell]]]:
    """Every table of ``figures`` as suppressed cells. With parts (the months of a
    quarter), each part is suppressed as if it were shown alone, and a cell hidden in
    any part is hidden in the whole too, row by row label."""
    grids = _grids(figures, threshold)
    parts = []
    for part in figures.parts:
        part_grids = _grids(part, threshold)
        parts.append((part_grids, {k: _cells(g, threshold, set()) for k, g in part_grids.items()}))
    result = {}
    for key, grid in grids.items():
        inherited: set[tuple[int, int]] = set()
        if grid.nested:
            for part_grids, part_cells in parts:
                rows = {label: i for i, label in enumerate(part_grids[key].row_labels)}
                for r, label in enumerate(grid.row_labels):
                    if label not in rows:
                        continue  # no such row in that month: its counts there are 0
                    for c, cell in enumerate(part_cells[key][rows[label]]):
                        if cell.suppressed:
                            inherited.add((r, c))
        result[key] = _cells(grid, threshold, inherited)
    return result


def _show(cells: list[list[Cell]]) -> list[list[str]]:
    return [[cell.display for cell in row] for row in cells]


def _any_hidden(cells: list[list[Cell]]) -> bool:
    return any(cell.suppressed for row in cells for cell in row)


def _protected_percent(part: Cell, whole: Cell) -> str:
    if part.suppressed or whole.suppressed:
        return "–"
    return percent(part.value, whole.value)


def build_sections(figures: MonitoringFigures) -> list[Section]:
    f = figures
    threshold = settings.CIRS_SUPPRESSION_THRESHOLD
    small = f"<{threshold + 1}"
    cells = protect(f, threshold)
    hidden = {key: _any_hidden(value) for key, value in cells.items()}
    target = target_text("first_meeting")
    rating_labels = dict(EvaluationResponse.Rating.choices)
    suppression_note = (
        f"Counts from 1 to {threshold} are shown as “{small}” so that no one can be "
        f"identified. Cells marked “{SECONDARY_MARK}” are hidden too, so that a small count "
        "cannot be worked out from the totals or from the figures for a single month."
    )
    no_chart_note = (
        "There is no chart for this table, because a chart would show the hidden counts."
    )

    def notes(key: str, *extra: str) -> list[str]:
        return [*extra, *((suppression_note, no_chart_note) if hidden[key] else ())]

    def bars(key: str, labels: list[str], unit_values=None) -> list[tuple[str, float]] | None:
        if hidden[key]:
            return None
        values = unit_values or [row[0].value for row in cells[key]]
        return list(zip(labels, values, strict=False))

    def one_column(key: str, labels: list[str], with_footer: bool):
        shown = _show(cells[key])
        rows = [[label, *row] for label, row in zip(labels, shown, strict=False)]
        if with_footer:
            return rows[:-1], rows[-1]
        return rows, None

    # Referrals received
    rows, footer = one_column("referrals", ["Individual", "Group", "All referrals"], True)
    referrals = Section(
        key="referrals",
        title="Referrals received",
        explanation="Referrals first submitted in the period.",
        headers=["Kind of referral", "Referrals"],
        rows=rows,
        footer=footer,
        chart_bars=bars("referrals", ["Individual", "Group"]),
        notes=notes("referrals"),
        suppressed=hidden["referrals"],
    )
    team_cells = _show(cells["referrals_by_team"])
    team_labels = [*f.by_team, "All teams"]
    team_rows = [[label, *row] for label, row in zip(team_labels, team_cells, strict=True)]
    by_team = Section(
        key="referrals_by_team",
        title="Referrals by team or department",
        explanation="Referrals first submitted in the period, by the team or "
        "department where the incident happened.",
        headers=["Team or department", "Individual", "Group", "All referrals"],
        rows=team_rows[:-1],
        footer=team_rows[-1],
        notes=[
            suppression_note,
            "There is no chart for this table, because a chart would show the hidden counts.",
        ],
        suppressed=hidden["referrals_by_team"],
    )

    def therapist_section(key, title, explanation, names: list[str], column) -> Section:
        rows, _ = one_column(key, names, False)
        return Section(
            key=key,
            title=title,
            explanation=explanation,
            headers=["Therapist", column],
            rows=rows,
            chart_bars=bars(key, names),
            notes=notes(
                key,
                "Therapists are shown by a letter that holds for this report only, not by name.",
            ),
            suppressed=hidden[key],
        )

    group_labels = ["Group sessions held", "People attending"]
    rows, _ = one_column("group_sessions", group_labels, False)
    group_sessions = Section(
        key="group_sessions",
        title="Group sessions held",
        explanation="Group sessions held in the period, and how many people came to "
        "them (a person who came to two sessions counts twice).",
        headers=["", "Number"],
        rows=rows,
        chart_bars=bars("group_sessions", group_labels),
        notes=notes("group_sessions"),
        suppressed=hidden["group_sessions"],
    )
    lengths = list(f.length_of_support)
    rows, footer = one_column(
        "length_of_support", [str(n) for n in lengths] + ["All closed cases"], True
    )
    length_of_support = Section(
        key="length_of_support",
        title="Length of support",
        explanation="For cases closed in the period: how many individual sessions "
        "the staff member attended, including the first meeting.",
        headers=["Sessions attended", "Closed cases"],
        rows=rows,
        footer=footer,
        chart_bars=bars(
            "length_of_support",
            [f"{n} session{'s' if n != 1 else ''}" for n in lengths],
        ),
        notes=notes("length_of_support"),
        suppressed=hidden["length_of_support"],
    )
    (within, later, held) = (row[0] for row in cells["first_meetings"])
    first_labels = [f"Within {target}", f"Later than {target}"]
    first_meetings = Section(
        key="first_meetings",
        title=f"First meetings within {target} of referral",
        explanation=f"First meetings held in the period, and how many were within "
        f"{target} of the referral on the working clock (weekends and bank holidays "
        "do not count).",
        headers=["", "Number", "Share"],
        rows=[
            [first_labels[0], within.display, _protected_percent(within, held)],
            [first_labels[1], later.display, _protected_percent(later, held)],
        ],
        footer=["First meetings held", held.display, ""],
        chart_bars=bars("first_meetings", first_labels),
        notes=notes("first_meetings"),
        suppressed=hidden["first_meetings"],
    )
    active_labels = [f"{day:%-d %B %Y}" for day, _ in f.active_at]
    rows, _ = one_column("active_cases", active_labels, False)
    active_cases = Section(
        key="active_cases",
        title="Active cases at quarter end",
        explanation="Cases with a therapist allocated and support not yet ended or "
        "withdrawn, at the end of each quarter in the period (and at the end of the "
        "period).",
        headers=["At the end of", "Active cases"],
        rows=rows,
        chart_bars=bars("active_cases", [f"{day:%-d %b %Y}" for day, _ in f.active_at]),
        notes=notes("active_cases"),
        suppressed=hidden["active_cases"],
    )
    pathway_labels = [label for label, _ in f.exit_pathways]
    rows, _ = one_column("exit_pathways", pathway_labels, False)
    exit_pathways = Section(
        key="exit_pathways",
        title="Exit pathways",
        explanation="Where support led, for cases closed in the period (a case may "
        "have more than one pathway).",
        headers=["Exit pathway", "Cases"],
        rows=rows,
        chart_bars=bars("exit_pathways", pathway_labels),
        notes=notes("exit_pathways"),
        suppressed=hidden["exit_pathways"],
    )
    held_back_note = (
        f"Fewer than {threshold + 1} people answered in this period (or in one of its "
        "months), so the answers are held back: with so few, someone's answers could be "
        "recognised."
    )
    ev_held_back = cells["evaluation"] and all(
        cell.suppressed for row in cells["evaluation"] for cell in row
    )
    ev_rows = _show(cells["evaluation"])
    ev_labels = [rating_labels[int(r)] for r in list(f.evaluation.timely)] + ["All answers"]
    ev_table = [[label, *row] for label, row in zip(ev_labels, ev_rows, strict=True)]
    agree = [EvaluationResponse.Rating.AGREE, EvaluationResponse.Rating.STRONGLY_AGREE]
    ev = f.evaluation
    evaluation = Section(
        key="evaluation",
        title="Evaluation questionnaire",
        explanation="Answers received in the period. Free comments are not included in "
        "this report, because they could identify someone.",
        headers=["Answer", "The support came at the right time", "The support helped me"],
        rows=ev_table[:-1],
        footer=ev_table[-1],
        chart_bars=bars(
            "evaluation",
            ["Right time: agree", "Helped: agree"],
            [sum(ev.timely[r] for r in agree), sum(ev.helpful[r] for r in agree)],
        ),
        notes=[held_back_note] if ev_held_back and ev.responses else notes("evaluation"),
        suppressed=hidden["evaluation"],
    )
    yes, no, answers = (row[0] for row in cells["would_recommend"])
    would_recommend = Section(
        key="would_recommend",
        title="Would recommend the service to a colleague",
        explanation="From the same evaluation questionnaire.",
        headers=["Answer", "People", "Share"],
        rows=[
            ["Yes", yes.display, _protected_percent(yes, answers)],
            ["No", no.display, _protected_percent(no, answers)],
        ],
        footer=["All answers", answers.display, ""],
        chart_bars=bars("would_recommend", ["Yes", "No"]),
        notes=[held_back_note] if ev_held_back and ev.responses else notes("would_recommend"),
        suppressed=hidden["would_recommend"],
    )
    sla_rows = []
    for row, shown in zip(f.sla, cells["sla"], strict=True):
        met, breached, target_met = (cell.display for cell in shown)
        sla_rows.append(
            [row.label, met, breached, "no target" if row.target_met is None else target_met]
        )
    response_times = Section(
        key="sla",
        title="Response times",
        explanation="Each clock that stopped in the period: met (on or before its "
        "limit) or breached (after it), and, where the clock has a target, how many "
        "met the target.",
        headers=["Clock", "Met", "Breached", "Met the target"],
        rows=sla_rows,
        chart_bars=bars(
            "sla", [row.label for row in f.sla], [share(row.met, row.stopped) for row in f.sla]
        ),
        chart_unit="%",
        notes=notes("sla")
        if hidden["sla"]
        else ["The chart shows the share of each clock met within its limit."],
        suppressed=hidden["sla"],
    )
    return [
        referrals,
        by_team,
        therapist_section(
            "staff_supported",
            "Staff supported per therapist",
            "Staff members with a first meeting or a session held in the period "
            "(individual support).",
            list(f.staff_supported),
            "Staff supported",
        ),
        group_sessions,
        length_of_support,
        first_meetings,
        active_cases,
        therapist_section(
            "incidents_supported",
            "Serious incidents supported per therapist",
            "Different critical incidents each therapist supported staff after, through "
            "sessions held in the period (individual or group).",
            list(f.incidents_supported),
            "Incidents supported",
        ),
        exit_pathways,
        evaluation,
        would_recommend,
        response_times,
    ]
