"""docs/service.md "Data": "erase personal fields after a configurable retention period after
closure while keeping the anonymous figures". The hand-built quarter of ``conftest.py``
gives the same figures, table for table, before and after its ended referrals are
erased."""

from __future__ import annotations

from datetime import date

import pytest

from referrals import retention
from reporting.figures import monitoring_figures
from reporting.models import EvaluationResponse
from reporting.periods import Period
from reporting.sections import build_sections
from tests.reporting.conftest import MARKERS, london, travel

Q1 = Period(start=date(2026, 4, 1), end=date(2026, 6, 30))
LATER_Q2 = Period(start=date(2026, 7, 1), end=date(2026, 9, 30))
# Long after every case of the story ended (E, the last, closed on 15 July 2026).
ERASED_AT = london(2027, 1, 4, 2, 30)


def _tables(period: Period) -> list[tuple[str, list, list | None]]:
    figures = monitoring_figures(period, now=ERASED_AT)
    return [(s.key, s.rows, s.footer) for s in build_sections(figures)]


@pytest.mark.parametrize("period", [Q1, LATER_Q2], ids=["Q1", "Q2"])
def test_erasing_ended_referrals_leaves_the_quarters_figures_unchanged(quarter, settings, period):
    before = monitoring_figures(period, now=ERASED_AT)
    tables_before = _tables(period)
    ended = {"B", "D", "E", "G", "H"}  # closed, withdrawn or declined in the story
    settings.CIRS_RETENTION_DAYS = (ERASED_AT - london(2026, 7, 15)).days - 1

    with travel(ERASED_AT):
        erased = retention.erase_expired_personal_data(now=ERASED_AT)

    assert erased == len(ended)
    for name, referral in quarter.cases.items():
        referral.refresh_from_db()
        assert (referral.personal_data_erased_at is not None) == (name in ended), name
        if name in ended:
            assert referral.staff_name == referral.event_details == ""
    assert monitoring_figures(period, now=ERASED_AT) == before
    assert _tables(period) == tables_before


def test_erasing_keeps_the_questionnaire_ratings_but_not_the_comment_or_who_answered(
    quarter, settings
):
    answered = [quarter.cases["B"], quarter.cases["H"]]
    answers = EvaluationResponse.objects.filter(referral__in=answered)
    assert set(answers.values_list("comment", flat=True)) == {MARKERS["comment"]}
    settings.CIRS_RETENTION_DAYS = 1

    with travel(ERASED_AT):
        retention.erase_expired_personal_data(now=ERASED_AT)

    assert sorted(answers.values_list("timely", "helpful", "would_recommend")) == [
        (3, 5, False),
        (5, 4, True),
    ]
    assert set(answers.values_list("comment", flat=True)) == {""}
    assert set(answers.values_list("respondent", flat=True)) == {None}
