"""Disclosure control for published dry-run figures: no count of fewer than 10 units can be read or derived.

Each table (gains and losses by area, by criterion) is protected by the open data's own suppression
(``govreach.transparency.disclosure.protect``: primary 1-9, then secondary until no hidden cell can be
recovered), with each column's total published as the sum of its rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from govreach.transparency.disclosure import Group, protect

MIN_CELL = 10
TOTAL = "__total__"


def is_too_small(count: int) -> bool:
    """A count that could point at a few households: between 1 and MIN_CELL - 1."""
    return 0 < count < MIN_CELL


def suppress_table(
    columns: Mapping[str, Mapping[str, int]],
) -> tuple[dict[str, dict[str, int | None]], dict[str, int | None]]:
    """Each column (name -> row -> count) with its total; hidden cells and hidden totals are None."""
    cells: dict[Hashable, int] = {}
    groups: list[Group] = []
    for name, rows in columns.items():
        for row, count in rows.items():
            cells[(row, name)] = count
        cells[(TOTAL, name)] = sum(rows.values())
        groups.append(Group(total=(TOTAL, name), parts=tuple((row, name) for row in rows)))
    hidden = protect(cells, groups, threshold=MIN_CELL)
    table = {
        name: {row: (None if (row, name) in hidden else count) for row, count in rows.items()}
        for name, rows in columns.items()
    }
    totals = {name: (None if (TOTAL, name) in hidden else cells[(TOTAL, name)]) for name in columns}
    return table, totals
