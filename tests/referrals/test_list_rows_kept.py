"""What a list page keeps from one request to the next (docs/performance.md, "Per row"):
each is a pure function of its input, so what it keeps is what it would work out again,
and nobody can change what is kept."""

from __future__ import annotations

import html
import json
import math
import string
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils.safestring import SafeData, SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals import clocks, sla
from referrals.models.deadlines import Moments, parse_moments, stored_reading
from referrals.rows import badge_html, day_words, draw, stacked, url_for_each

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
ROWS = [
    ["first_meeting", "2026-12-03T09:00:00+00:00", "2026-12-04T09:00:00+00:00", None, 7],
    ["allocation", None, "2026-12-01T09:00:00+00:00", "2026-12-02T09:00:00+00:00", 3],
]


def test_moments_read_from_text_are_those_read_from_the_list():
    text = json.dumps(ROWS)
    from_list = parse_moments(ROWS)
    assert parse_moments(text) == from_list == parse_moments(text)
    # The soonest limit first; no limit last.
    assert [m.clock for m in from_list] == ["allocation", "first_meeting"]
    assert from_list[0].limit_at == datetime(2026, 12, 2, 9, tzinfo=UTC)


def test_what_a_caller_does_to_its_moments_does_not_reach_the_next_caller():
    text = json.dumps(ROWS)
    mine = parse_moments(text)
    mine.clear()
    assert len(parse_moments(text)) == 2
    with pytest.raises(AttributeError):
        parse_moments(text)[0].clock = "review"


def test_a_stored_reading_cannot_be_changed():
    reading = stored_reading(Moments(*parse_moments(ROWS)[0]), "Therapist allocated", NOW)
    assert reading.badge == "breached" and reading.is_running
    with pytest.raises(AttributeError):
        reading.badge = "ok"


def test_a_kept_badge_is_the_badge_for_its_own_moment():
    allocation = parse_moments(ROWS)[0]
    earlier = NOW - timedelta(days=2)
    on_track = badge_html(stored_reading(allocation, "Therapist allocated", earlier))
    # The same clock past its limit: a badge of its own, not the kept one.
    past = badge_html(stored_reading(allocation, "Therapist allocated", NOW))
    assert on_track == (
        '<span class="badge badge-ok" title="Therapist allocated">Therapist allocated: '
        "due by 09:00 on Tue 1 Dec</span>\n"
    )
    assert past == (
        '<span class="badge badge-breached" title="Therapist allocated: past its limit">'
        "Therapist allocated: past the limit (due by 09:00 on Wed 2 Dec)</span>\n"
    )
    assert badge_html(stored_reading(allocation, "Therapist allocated", earlier)) == on_track
    assert isinstance(on_track, SafeString)


def test_a_label_is_escaped_in_a_kept_badge():
    moment = Moments("review", None, NOW + timedelta(days=2), None, 1)
    badge = badge_html(stored_reading(moment, "Review <b>& sign</b>", NOW))
    assert "Review &lt;b&gt;&amp; sign&lt;/b&gt;" in badge and "<b>" not in badge


def test_the_same_instant_in_two_zones_has_one_wall_time():
    """A moment's wall time is London's, whichever zone it is written in (the kept ages
    are kept by instant: equal instants hash alike); a moment with no zone is refused."""
    utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    paris = utc.astimezone(ZoneInfo("Europe/Paris"))
    assert clocks._to_local_naive("at", paris) == datetime(2026, 7, 1, 13, 0)
    assert clocks._to_local_naive("at", utc) == datetime(2026, 7, 1, 13, 0)
    with pytest.raises(ValueError):
        clocks._to_local_naive("at", datetime(2026, 7, 1, 12, 0))


def test_links_for_each_row_are_the_reversed_ones_and_safe():
    detail = url_for_each("referrals:detail")
    assert detail(42) == reverse("referrals:detail", args=[42])
    assert isinstance(detail(42), SafeString)
    with pytest.raises(ValueError):
        detail("42/../../admin")


# --- a row's readings, kept for each stretch of time between its moments ----------------

_CLOCKS = ["triage", "allocation", "first_meeting", "manager_contact", "review"]
_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _text(rows) -> str:
    def iso(minutes):
        return None if minutes is None else (_START + timedelta(minutes=minutes)).isoformat()

    return json.dumps(
        [
            [clock, iso(near), iso(target), iso(limit), pk]
            for pk, (clock, near, target, limit) in rows
        ]
    )


_moment = st.one_of(st.none(), st.integers(min_value=0, max_value=20))


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(_CLOCKS), _moment, _moment, _moment),
        max_size=4,
    ).map(lambda rows: list(enumerate(rows, start=1))),
    minutes=st.lists(st.integers(min_value=-2, max_value=22), min_size=1, max_size=6),
)
def test_kept_readings_are_the_readings_at_every_moment(rows, minutes):
    """At every minute, the moments themselves included (where "past" turns), the kept
    readings are what ``readings_of`` works out at that moment, in any order of asking."""
    text = _text(rows)
    for minute in minutes:
        now = _START + timedelta(minutes=minute)
        expected = tuple(sla.readings_of(parse_moments(text), now=now))
        assert sla.readings_at(text, now) == expected
        assert sla.readings_at(json.loads(text), now) == expected


def test_a_reading_turns_past_its_limit_just_after_the_limit():
    text = _text([(1, ("allocation", None, 60, 120))])
    limit = _START + timedelta(minutes=120)
    assert [r.badge for r in sla.readings_at(text, limit)] == ["near"]
    assert [r.badge for r in sla.readings_at(text, limit + timedelta(microseconds=1))] == [
        "breached"
    ]
    assert [r.badge for r in sla.readings_at(text, _START)] == ["ok"]
    assert sla.readings_at("[]", _START) == ()


# --- the age in working days, kept for a stretch of time in which it cannot change ------

_YEAR = datetime(2026, 1, 1, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=365 * 24 * 60).map(
        lambda minutes: _YEAR + timedelta(minutes=minutes)
    ),
    later=st.lists(
        st.integers(min_value=-3 * 24 * 60, max_value=40 * 24 * 60), min_size=1, max_size=12
    ),
)
def test_a_kept_age_is_the_age_worked_out_at_that_moment(start, later):
    """Across weekends, bank holidays and clock changes, asked in any order (forwards,
    backwards, far ahead, just before the day turns): what is kept is the age."""
    clocks._AGES.clear()
    london = ZoneInfo("Europe/London")
    for minutes in later:
        for now in (
            start + timedelta(minutes=minutes),
            start + timedelta(minutes=minutes, seconds=-1),
        ):
            expected = math.floor(clocks.working_time_between(start, now) / timedelta(days=1))
            assert clocks.working_days_age(start, now) == expected
            assert clocks.working_days_age(start.astimezone(london), now) == expected


def test_an_age_turns_when_its_working_day_is_complete():
    clocks._AGES.clear()
    friday_3pm = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert clocks.working_days_age(friday_3pm, friday_3pm + timedelta(days=1)) == 0
    # Friday 15:00 + 1 working day is Monday 15:00: the age is 0 until then.
    monday_3pm = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    assert clocks.working_days_age(friday_3pm, monday_3pm - timedelta(microseconds=1)) == 0
    assert clocks.working_days_age(friday_3pm, monday_3pm) == 1
    assert clocks.working_days_age(friday_3pm, friday_3pm + timedelta(days=1)) == 0
    with pytest.raises(ValueError):
        clocks.working_days_age(friday_3pm, datetime(2026, 12, 8, 9, 0))


# --- rows drawn in one pass, days and badge stacks kept ---------------------------------

_TEXT = st.one_of(st.none(), st.integers(), st.text(max_size=12))
_SAFE = st.text(max_size=12).map(SafeString)


def _drawn_the_old_way(row: str, values: list[dict]) -> str:
    """What ``draw`` did before it kept a row's parts: each hole filled, then the
    row's ``str.format_map``."""
    holes = [name for _text, name, _spec, _conv in string.Formatter().parse(row) if name]
    out = []
    for value in values:
        filled = {}
        for key in holes:
            part = value[key]
            if isinstance(part, SafeData):
                filled[key] = part
            else:
                filled[key] = "" if part is None else html.escape(str(part))
        out.append(row.format_map(filled))
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({"a": _TEXT, "b": st.one_of(_TEXT, _SAFE), "c": _SAFE}),
        max_size=4,
    )
)
def test_rows_are_drawn_as_format_map_drew_them(values):
    row = '<tr><td>{a}</td><td class="x">{b}{{not a hole}}</td><td>{c}</td><td>{a}</td></tr>\n'
    drawn = draw(row, values)
    assert isinstance(drawn, SafeString)
    assert drawn == _drawn_the_old_way(row, values)


def test_drawn_text_is_escaped_html_made_safe_is_not_and_none_is_empty():
    drawn = draw(
        "<p>{text}|{safe}|{nothing}</p>",
        [{"text": "<b>&", "safe": SafeString("<i>"), "nothing": None}],
    )
    assert drawn == "<p>&lt;b&gt;&amp;|<i>|</p>"


def test_a_hole_with_a_format_or_conversion_is_refused():
    with pytest.raises(ValueError):
        draw("<p>{when:%d}</p>", [{"when": 1}])
    with pytest.raises(ValueError):
        draw("<p>{who!r}</p>", [{"who": "x"}])


@settings(max_examples=300, deadline=None)
@given(st.dates())
def test_a_kept_day_is_written_as_strftime_writes_it(day):
    assert day_words(day) == f"{day.day} {day:%b %Y}" == day_words(day)
    assert day_words(day, weekday=True) == f"{day:%a} {day.day} {day:%b %Y}"


def test_a_kept_stack_of_badges_is_the_badges_one_above_the_other():
    first, second = SafeString('<span class="badge">A</span>'), SafeString("<span>B</span>")
    assert stacked([first, second]) == f"<div>{first}</div><div>{second}</div>"
    assert stacked((first, second)) is stacked([first, second])
    assert stacked([]) == ""
    assert isinstance(stacked([first]), SafeString)
