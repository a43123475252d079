"""docs/security-checklist.md row 15: small-number suppression with secondary suppression."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.suppression import CellStatus, suppress


@st.composite
def breakdowns(draw):
    rows = draw(st.integers(min_value=1, max_value=7))
    cols = draw(st.integers(min_value=1, max_value=5))
    # Mostly small numbers and zeros, as real team breakdowns are.
    value = st.one_of(st.integers(0, 6), st.integers(0, 60))
    grid = draw(
        st.lists(st.lists(value, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    )
    threshold = draw(st.integers(min_value=1, max_value=6))
    return grid, threshold


def _lines(cells):
    rows = [list(row) for row in cells]
    cols = [list(col) for col in zip(*cells, strict=True)]
    return [line for line in rows + cols if len(line) >= 2]


@settings(max_examples=300, deadline=None)
@given(breakdowns())
def test_no_shown_cell_is_a_small_count(case):
    grid, threshold = case
    cells = suppress(grid, threshold=threshold)

    for row in cells:
        for cell in row:
            if not cell.suppressed:
                assert not 1 <= cell.value <= threshold
                assert cell.display == str(cell.value)
            else:
                assert cell.display in {f"<{threshold + 1}", "*"}


@settings(max_examples=300, deadline=None)
@given(breakdowns())
def test_no_hidden_cell_can_be_worked_out_from_a_row_or_column_total(case):
    grid, threshold = case
    cells = suppress(grid, threshold=threshold)

    for line in _lines(cells):
        hidden = [cell for cell in line if cell.suppressed]
        # Total minus the shown cells gives only the sum of the hidden ones: with two
        # or more hidden, no single one can be isolated.
        assert len(hidden) != 1


@settings(max_examples=200, deadline=None)
@given(breakdowns())
def test_values_are_kept_and_only_small_counts_are_primary(case):
    grid, threshold = case
    cells = suppress(grid, threshold=threshold)

    assert [[cell.value for cell in row] for row in cells] == grid
    for row in cells:
        for cell in row:
            assert (cell.status == CellStatus.SMALL) == (1 <= cell.value <= threshold)


def test_secondary_suppression_hides_the_next_smallest_non_zero_cell():
    cells = suppress([[3, 12, 7, 0], [20, 30, 40, 50]], threshold=4)

    # Written out: the 3 is small; the row's next smallest non-zero cell (7) hides;
    # each column with one hidden cell then hides its other cell.
    assert [[c.display for c in row] for row in cells] == [
        ["<5", "12", "*", "0"],
        ["*", "30", "*", "50"],
    ]


def test_a_zero_is_hidden_when_nothing_else_can_be():
    cells = suppress([[0, 2], [0, 9]], threshold=4)

    assert [[c.display for c in row] for row in cells] == [["*", "<5"], ["*", "*"]]


def test_nothing_small_nothing_hidden():
    cells = suppress([[0, 5], [10, 0]], threshold=4)

    assert not any(cell.suppressed for row in cells for cell in row)


def test_rejects_ragged_or_negative_breakdowns():
    with pytest.raises(ValueError, match="same number"):
        suppress([[1, 2], [3]], threshold=4)
    with pytest.raises(ValueError, match="negative"):
        suppress([[-1]], threshold=4)


def test_inherited_cells_are_hidden_and_protected_like_small_ones():
    cells = suppress([[10, 20, 30], [7, 8, 15]], threshold=4, inherited={(0, 0)})

    assert [[c.display for c in row] for row in cells] == [
        ["*", "*", "30"],  # inherited, then its row needs a second hidden cell
        ["*", "*", "15"],  # and so does its column, and then this row
    ]


def test_rows_that_are_not_sums_need_no_second_hidden_cell():
    # Two questions answered by the same five people: only the columns add up.
    grid = [[0, 2], [5, 3], [5, 5]]

    both = suppress(grid, threshold=4)
    columns = suppress(grid, threshold=4, rows_add_up=False)

    assert [[c.display for c in row] for row in columns] == [["0", "<5"], ["5", "<5"], ["5", "5"]]
    assert [[c.display for c in row] for row in both] != [
        [c.display for c in row] for row in columns
    ]
