"""Disclosure control for published dry-run figures: no count of fewer than 10 units is shown.

The same rule as the open data (issue 8, ``govreach.transparency``, not yet on main when this was
written): a cell of 1 to 9 units is suppressed (primary), and when a column has exactly one
suppressed cell, the next smallest non-zero cell of that column is suppressed too (secondary), so
the hidden one cannot be found by subtracting the others from the column's published total.
Switch to the transparency module's function once it has landed.
"""

from __future__ import annotations

from collections.abc import Mapping

MIN_CELL = 10


def is_too_small(count: int) -> bool:
    """A count that could point at a few households: between 1 and MIN_CELL - 1."""
    return 0 < count < MIN_CELL


def suppress_column(cells: Mapping[str, int]) -> dict[str, int | None]:
    """One column of counts with its small cells (and, if needed, a second cell) replaced by None."""
    out: dict[str, int | None] = {key: (None if is_too_small(n) else n) for key, n in cells.items()}
    hidden = [key for key, value in out.items() if value is None]
    if len(hidden) == 1:
        visible = sorted((n, key) for key, n in cells.items() if out[key] is not None and n > 0)
        if visible:
            out[visible[0][1]] = None
        # With no other non-zero cell the total itself would give it away: the caller hides the total.
    return out


def suppress_table(columns: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int | None]]:
    """Each column of a table (column name -> row key -> count) suppressed on its own."""
    return {name: suppress_column(cells) for name, cells in columns.items()}


def safe_total(cells: Mapping[str, int], suppressed: Mapping[str, int | None]) -> int | None:
    """The column total, unless it would reveal a hidden cell (one hidden and no other hidden with it)."""
    total = sum(cells.values())
    if is_too_small(total):
        return None
    hidden = [key for key, value in suppressed.items() if value is None]
    return None if len(hidden) == 1 else total
