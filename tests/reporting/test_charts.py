"""Charts are SVG drawn server-side: real text, escaped, with a title for screen readers."""

from __future__ import annotations

from reporting.charts import bar_chart


def test_a_bar_per_value_to_scale_with_real_text():
    svg = bar_chart("Referrals received", [("Individual", 8), ("Group", 2)])

    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title" in svg and "Referrals received</title>" in svg
    assert "Individual: 8; Group: 2" in svg  # the description read aloud
    assert svg.count("<rect") == 2
    assert 'width="0.0"' not in svg


def test_labels_are_escaped():
    svg = bar_chart("<b>", [("<script>alert(1)</script>", 1)])

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_an_empty_chart_says_so():
    svg = bar_chart("Nothing", [])

    assert "Nothing to show for this period" in svg
    assert "<rect" not in svg
