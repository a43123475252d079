"""Small-number suppression for every breakdown of the monitoring figures.

The service's monitoring rule: every breakdown (by team or department, exit
pathways, length of support, per therapist, questionnaire answers, ...) shows counts
from 1 to 4 as "<5", with secondary suppression, so no one can be identified, not
even by comparing two periods; totals are shown only when they are at least 5 (or
none at all).

A breakdown is a grid whose totals, when it has them, are cells of the grid itself
(a last column of row totals, a last row of column totals), so every row and every
column is one sum that a reader could otherwise solve. The rule, applied until
nothing changes:

1. primary: every cell from 1 to ``threshold`` is hidden and shown as "<5", and so
   is every cell the caller names in ``inherited`` (a cell hidden in one of the
   months a quarter is made of), shown as "*";
2. secondary: any row or column (of two or more cells) with exactly one hidden
   cell also hides its smallest non-zero shown cell (or, when every other shown
   cell is zero, a zero cell), shown as "*".

So every row and column that hides anything hides at least two cells, and the
shown totals only ever give the sum of two or more unknowns. Pure: no database,
no settings (the caller passes ``settings.CIRS_SUPPRESSION_THRESHOLD``).
See docs/motivated-intruder-review.md for what this does and does not protect.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass


class CellStatus(enum.StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # primary: the count itself is 1..threshold
    HIDDEN = "hidden"  # secondary: hidden so a small count cannot be worked out


SECONDARY_MARK = "*"


@dataclass(frozen=True)
class Cell:
    value: int
    status: CellStatus
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.status != CellStatus.SHOWN

    @property
    def display(self) -> str:
        if self.status == CellStatus.SMALL:
            return f"<{self.threshold + 1}"
        if self.status == CellStatus.HIDDEN:
            return SECONDARY_MARK
        return str(self.value)

    def __str__(self) -> str:
        return self.display


def _lines(rows: int, cols: int) -> list[list[tuple[int, int]]]:
    lines = [[(r, c) for c in range(cols)] for r in range(rows)]
    lines += [[(r, c) for r in range(rows)] for c in range(cols)]
    return [line for line in lines if len(line) >= 2]


def suppress(
    grid: Sequence[Sequence[int]],
    *,
    threshold: int,
    inherited: Collection[tuple[int, int]] = (),
    secondary: bool = True,
    rows_add_up: bool = True,
) -> list[list[Cell]]:
    """Return ``grid`` as ``Cell``s with primary and secondary suppression applied.

    ``grid`` is a rectangle of non-negative counts (rows by columns). Its row and
    column totals are assumed to be published exactly unless they are in the grid.
    ``inherited`` names (row, column) cells to hide whatever their count.
    ``secondary=False`` is for a list of counts with no total published anywhere
    (exit pathways may overlap, per-therapist counts are distinct people), where
    there is no sum to solve. ``rows_add_up=False`` is for a grid whose columns add
    up to a total row but whose rows are not sums (answers to two questions).
    """
    rows = len(grid)
    cols = len(grid[0]) if rows else 0
    if any(len(row) != cols for row in grid):
        raise ValueError("every row of a breakdown needs the same number of cells")
    if any(value < 0 for row in grid for value in row):
        raise ValueError("counts cannot be negative")
    status = [
        [CellStatus.SMALL if 1 <= value <= threshold else CellStatus.SHOWN for value in row]
        for row in grid
    ]
    for r, c in inherited:
        if status[r][c] == CellStatus.SHOWN:
            status[r][c] = CellStatus.HIDDEN
    lines = _lines(rows, cols) if secondary else []
    if not rows_add_up:
        lines = [line for line in lines if len({c for _, c in line}) == 1]
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [(r, c) for r, c in line if status[r][c] != CellStatus.SHOWN]
            if len(hidden) != 1:
                continue
            shown = [(r, c) for r, c in line if status[r][c] == CellStatus.SHOWN]
            non_zero = [(r, c) for r, c in shown if grid[r][c] > 0]
            # Ties go to the first cell in the line, so the result is deterministic.
            r, c = min(non_zero or shown, key=lambda rc: grid[rc[0]][rc[1]])
            status[r][c] = CellStatus.HIDDEN
            changed = True
    return [
        [Cell(value=grid[r][c], status=status[r][c], threshold=threshold) for c in range(cols)]
        for r in range(rows)
    ]
