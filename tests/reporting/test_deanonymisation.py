"""The audit's attack on the monitoring figures, and why it no longer works.

As a service lead, ``/monitoring/?start=2026-11-27&end=2026-11-27`` showed "All
referrals 1" with a single team row: that team had exactly one referral that day.
Now a reader without case access sees whole months and quarters only, every table
hides counts from 1 to 4 (secondary suppression too), totals included, and a
quarter hides whatever one of its months hides, so subtracting one period from an
overlapping one reveals no small count (docs/motivated-intruder-review.md).

The hand-built quarter of ``conftest.py``: June 2026 holds two referrals, D (Youth
Justice, 1 June) and H (Child Protection North, 15 June), and nothing else happened
on 15 June.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from reporting.figures import monitoring_figures
from reporting.periods import Period, Quarter, parts_for
from reporting.sections import build_sections, protect

DASHBOARD = "reporting:dashboard"
ONE_DAY = {"start": "2026-06-15", "end": "2026-06-15"}
Q1 = Quarter(2026, 1).period()


def _table(response, key):
    section = next(s for s in response.context["sections"] if s.key == key)
    return [*section.rows, *([section.footer] if section.footer else [])]


def test_a_service_lead_asking_for_one_day_gets_the_whole_month(client, service_lead, quarter):
    client.force_login(service_lead)

    response = client.get(reverse(DASHBOARD), ONE_DAY)

    assert response.status_code == 200
    period = response.context["figures"].period
    assert (period.start.isoformat(), period.end.isoformat()) == ("2026-06-01", "2026-06-30")
    page = response.content.decode()
    assert "These figures are for June 2026" in page
    assert 'value="2026-06-01"' in page and 'value="2026-06-30"' in page


@pytest.mark.parametrize("url_name", ["reporting:report_csv", "reporting:report_xlsx"])
def test_downloads_for_a_service_lead_are_whole_months_too(client, service_lead, url_name):
    client.force_login(service_lead)

    response = client.get(reverse(url_name), ONE_DAY)

    assert "cirs-monitoring-2026-06-01-to-2026-06-30." in response["Content-Disposition"]


def test_the_psw_may_still_choose_one_day(client, psw, quarter):
    client.force_login(psw)

    response = client.get(reverse(DASHBOARD), ONE_DAY)

    period = response.context["figures"].period
    assert (period.start.isoformat(), period.end.isoformat()) == ("2026-06-15", "2026-06-15")


@pytest.mark.parametrize("persona", ["service_lead", "psw"])
def test_a_single_teams_referral_is_not_revealed(client, persona, request, quarter):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse(DASHBOARD), ONE_DAY)

    assert response.context["figures"].referrals_total in (1, 2)  # H alone, or D and H
    # Neither the team row, nor the total, nor the kinds give the count.
    for row in _table(response, "referrals_by_team") + _table(response, "referrals"):
        assert all(value in ("<5", "*", "0") for value in row[1:]), row


@pytest.mark.parametrize(
    "key", ["referrals", "referrals_by_team", "length_of_support", "first_meetings", "sla"]
)
def test_no_small_count_shows_in_any_breakdown_of_the_quarter_or_its_months(quarter, key):
    for period in [Q1, *Q1.months()]:
        figures = monitoring_figures(period, parts=parts_for(period, any_dates=False))
        for row in protect(figures, threshold=4)[key]:
            for cell in row:
                assert cell.suppressed or cell.value == 0 or cell.value > 4, (period, key)


def _cells_by_label(figures):
    """(section, row label, column) -> cell, for every table that adds up over months."""
    from reporting.sections import _grids

    grids = _grids(figures, 4)
    cells = protect(figures, threshold=4)
    out = {}
    for key, grid in grids.items():
        if not grid.nested:
            continue
        for label, row in zip(grid.row_labels, cells[key], strict=True):
            for column, cell in enumerate(row):
                out[(key, label, column)] = cell
    return out


def test_differencing_a_quarter_and_its_months_reveals_no_hidden_count(quarter):
    """A lead can see Q1 and each of its months. Whatever the quarter shows exactly is
    the sum of what the months show exactly, so quarter minus two months gives the
    third month's shown count, never one it hides."""
    quarter_cells = _cells_by_label(monitoring_figures(Q1, parts=Q1.months()))
    month_cells = [_cells_by_label(monitoring_figures(m)) for m in Q1.months()]

    checked = 0
    for where, cell in quarter_cells.items():
        if cell.suppressed:
            continue
        months = [cells.get(where) for cells in month_cells]
        # Shown in the quarter: shown (or absent, i.e. 0) in every month...
        assert all(m is None or not m.suppressed for m in months), where
        # ...so the difference of any two overlapping periods is a sum of shown counts.
        assert cell.value == sum(m.value for m in months if m is not None), where
        checked += 1
    assert checked > 20
    # The attack the suppression stops: the quarter's 6 referrals would, less April's
    # and May's totals, give June's 2.
    assert quarter_cells[("referrals", "All referrals", 0)].suppressed


def test_without_nesting_the_quarter_would_give_the_attack_away(quarter):
    """The same data suppressed period by period only (as the PSW sees it): the
    quarter's total is shown, and subtracting months reveals a small count. This is
    why arbitrary and nested periods are refused to readers without case access."""
    quarter_total = _cells_by_label(monitoring_figures(Q1))[("referrals", "All referrals", 0)]

    assert not quarter_total.suppressed and quarter_total.value == 6


def test_every_table_and_chart_of_a_small_period_hides_its_counts(quarter):
    june = monitoring_figures(Period.month_of(Q1.end))
    sections = {s.key: s for s in build_sections(june)}

    for key in ("referrals", "referrals_by_team", "exit_pathways", "length_of_support"):
        assert sections[key].suppressed, key
        assert sections[key].chart is None, key  # a bar would show the hidden count
    exits = {row[0]: row[1] for row in sections["exit_pathways"].rows}
    assert exits["LCC wellbeing service"] == "<5"  # H's pathway, one case


def _with_answers(figures, timely, helpful, recommend):
    from dataclasses import replace

    from reporting.figures import EvaluationSummary

    responses = sum(timely.values())
    return replace(
        figures,
        evaluation=EvaluationSummary(
            responses=responses, timely=timely, helpful=helpful, would_recommend=recommend
        ),
    )


def _evaluation_tables(figures):
    sections = {s.key: s for s in build_sections(figures)}
    return sections["evaluation"], sections["would_recommend"]


def test_one_answer_to_the_questionnaire_is_held_back(db):
    one = _with_answers(
        monitoring_figures(Q1), {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}, {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}, 1
    )

    for section in _evaluation_tables(one):
        values = [v for row in [*section.rows, section.footer] for v in row[1:] if v]
        assert set(values) <= {"<5", "*", "–"}, section.key
        assert any("held back" in note for note in section.notes)
        assert section.chart is None


def test_five_answers_are_shown_with_small_counts_hidden(db):
    five = _with_answers(
        monitoring_figures(Q1), {1: 0, 2: 0, 3: 0, 4: 0, 5: 5}, {1: 0, 2: 0, 3: 0, 4: 2, 5: 3}, 5
    )

    evaluation, recommend = _evaluation_tables(five)

    rows = {row[0]: row[1:] for row in evaluation.rows}
    assert rows["Strongly agree"] == ["5", "<5"]
    assert rows["Agree"] == ["0", "<5"]
    assert evaluation.footer == ["All answers", "5", "5"]
    assert recommend.rows[0][:2] == ["Yes", "5"]
    assert not any("held back" in note for note in evaluation.notes)
