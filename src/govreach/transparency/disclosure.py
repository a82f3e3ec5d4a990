"""Statistical disclosure control for published count tables: primary and secondary cell suppression.

A table is a set of cells (``(area_code, variable)`` -> count) tied together by additive groups: each
group says ``total == sum(parts)``. GovReach publishes three kinds of group, and protects all of them at
once, because a suppressed cell hidden in one is only safe if no other published sum gives it away:

- across variables in one area (received = decided + pending, decided = approved + rejected...);
- across areas for one variable: a parent area's count is the sum of its children's (national > region
  > district > local), so every level's totals are marginals of the level below;
- the two combined, which is what makes cells recoverable by chains of subtractions.

Primary suppression hides every count from 1 to ``threshold - 1`` (people, or events about them).
Zeros are published: a zero reveals no person. A zero is never chosen to protect another cell (a
complementary suppression) unless nothing else is left, because an empty cell is often guessable (it
is structurally empty), and then the pair protects nothing.

Secondary suppression runs to a fixpoint of two steps: (1) in every group with exactly one suppressed
cell, also suppress its smallest non-zero published part (its total only when no part is left, since a
hidden total spreads to every level above); (2) audit what an attacker could still derive
and, for each suppressed cell still recoverable, suppress one more cell beside it. The audit solves the
linear system of all published groups (a cell is recoverable when its unit vector lies in the row space
of the equations over the suppressed cells: computed modulo a large prime, which can only find more
recoverable cells than over the rationals, never fewer) and runs interval propagation with the bounds an
attacker knows (suppressed cells are at least 1, since zeros are published), which catches the cases
the equations alone miss (two suppressed cells summing to 2 are both 1).

What this does not protect against, and how GovReach handles it:
- differencing over time: each year is a separate table, and a snapshot recomputed tomorrow may differ
  from today's by one person. Snapshots are recomputed on a schedule (``govreach opendata refresh``, at
  most once a day from a page view), never on demand for a chosen moment;
- figures that are not counts: a median or percentile of processing days is published only from the
  smallest publishable count of decided applications, and rates only from published counts;
- money: fees collected are published nationally only, from ``threshold`` payments on (a fixed fee times
  a few payments would count the few); budget lines are public money and are not suppressed;
- other publications of the same data (the entitlements app's take-up page shows "<10" cells without
  secondary suppression) are outside this table's protection.

Pure Python, no Django: tested on its own and by an attacker test (tests/transparency).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# The prime modulus for the rank computation: 2**61 - 1 (entries are 0 and +-1, so false dependencies
# would need a determinant divisible by it).
PRIME = (1 << 61) - 1


@dataclass(frozen=True)
class Group:
    """One published additive relation: ``cells[total] == sum(cells[p] for p in parts)``."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def members(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def primary(cells: Mapping[Hashable, int], *, threshold: int) -> set[Hashable]:
    """Cells counting from 1 to ``threshold - 1``: too few to publish."""
    return {key for key, value in cells.items() if 0 < value < threshold}


def _order(cells: Mapping[Hashable, int], key: Hashable) -> tuple[int, str]:
    return cells[key], repr(key)


def _complement(
    candidates: Iterable[Hashable], cells: Mapping[Hashable, int], hidden: set[Hashable], *, zeros: bool
) -> Hashable | None:
    """The smallest published cell among ``candidates`` (non-zero unless ``zeros``), or None."""
    left = [k for k in candidates if k not in hidden and (zeros or cells[k] > 0)]
    return min(left, key=lambda k: _order(cells, k)) if left else None


def _row_space_units(groups: Sequence[Group], hidden: set[Hashable]) -> set[Hashable]:
    """Hidden cells whose value follows exactly from the published groups (linear algebra mod PRIME)."""
    index = {key: i for i, key in enumerate(sorted(hidden, key=repr))}
    keys = {i: key for key, i in index.items()}
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> its fully reduced row
    for group in groups:
        row: dict[int, int] = {}
        for key, coefficient in ((group.total, 1), *((p, PRIME - 1) for p in group.parts)):
            if key in index:
                col = index[key]
                row[col] = (row.get(col, 0) + coefficient) % PRIME
        row = {c: v for c, v in row.items() if v}
        for col in [c for c in row if c in pivots]:
            factor = row.get(col, 0)
            if factor:
                for c, v in pivots[col].items():
                    row[c] = (row.get(c, 0) - factor * v) % PRIME
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        col = min(row)
        inverse = pow(row[col], PRIME - 2, PRIME)
        row = {c: v * inverse % PRIME for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(col, 0)
            if factor:
                for c, v in row.items():
                    other[c] = (other.get(c, 0) - factor * v) % PRIME
                for c in [c for c, v in other.items() if not v]:
                    del other[c]
        pivots[col] = row
    return {keys[col] for col, row in pivots.items() if len(row) == 1}


def _interval_pinned(
    cells: Mapping[Hashable, int], groups: Sequence[Group], hidden: set[Hashable]
) -> set[Hashable]:
    """Hidden cells an attacker pins to one value by propagating bounds through the groups.

    The attacker's starting bounds: a hidden cell is at least 1 (zeros are published) and unbounded
    above. A hidden zero (a last-resort complement) starts at 0, as if the attacker knew it.
    """
    low: dict[Hashable, float] = {k: (1 if cells[k] > 0 else 0) for k in hidden}
    high: dict[Hashable, float] = dict.fromkeys(hidden, math.inf)
    relevant = [g for g in groups if any(k in hidden for k in g.members)]
    for _round in range(50):
        changed = False
        for group in relevant:
            # total - sum(parts) == 0, as sum(sign * cell); published cells are constants.
            terms = [(group.total, 1), *((p, -1) for p in group.parts)]
            constant = sum(sign * cells[k] for k, sign in terms if k not in hidden)
            unknown = [(k, sign) for k, sign in terms if k in hidden]
            for key, sign in unknown:
                # sign * x_key = -constant - sum(other signed terms)
                rest_low = sum(s * (low[k] if s > 0 else high[k]) for k, s in unknown if k != key)
                rest_high = sum(s * (high[k] if s > 0 else low[k]) for k, s in unknown if k != key)
                lo, hi = -constant - rest_high, -constant - rest_low
                if sign < 0:
                    lo, hi = -hi, -lo
                if lo > low[key]:
                    low[key], changed = lo, True
                if hi < high[key]:
                    high[key], changed = hi, True
        if not changed:
            break
    return {k for k in hidden if low[k] == high[k]}


def recoverable(
    cells: Mapping[Hashable, int], groups: Sequence[Group], hidden: set[Hashable]
) -> set[Hashable]:
    """Hidden cells an attacker can still recover exactly from the published cells and groups."""
    if not hidden:
        return set()
    return _row_space_units(groups, hidden) | _interval_pinned(cells, groups, hidden)


def protect(cells: Mapping[Hashable, int], groups: Sequence[Group], *, threshold: int) -> set[Hashable]:
    """The cells to suppress: primary (1 to threshold - 1) and enough secondary suppression that none of
    them can be recovered from what is published. Deterministic for a given table."""
    for group in groups:
        missing = [k for k in group.members if k not in cells]
        if missing:
            raise ValueError(f"group refers to cells that are not in the table: {missing[:3]}")
    hidden = primary(cells, threshold=threshold)
    groups_of: dict[Hashable, list[Group]] = defaultdict(list)
    for group in groups:
        for key in group.members:
            groups_of[key].append(group)
    while True:
        # Step 1: the cheap rule, to a fixpoint.
        changed = True
        while changed:
            changed = False
            for group in groups:
                if sum(1 for k in group.members if k in hidden) == 1:
                    # Parts before the total: a hidden total spreads up through every level above it.
                    pick = _complement(group.parts, cells, hidden, zeros=False)
                    if pick is None:
                        pick = _complement(group.members, cells, hidden, zeros=False)
                    if pick is None:
                        pick = _complement(group.members, cells, hidden, zeros=True)
                    if pick is not None:
                        hidden.add(pick)
                        changed = True
        # Step 2: the audit; each cell still recoverable gets one more complement beside it.
        # A hidden zero that can be derived is no disclosure: zeros are published anyway.
        exposed = {k for k in recoverable(cells, groups, hidden) if cells[k] > 0}
        if not exposed:
            return hidden
        added = False
        for key in sorted(exposed, key=repr):
            neighbours = [k for g in groups_of[key] for k in g.members]
            pick = _complement(neighbours, cells, hidden, zeros=False)
            if pick is None:
                # Nothing left beside it: widen to the neighbours' groups, then accept zeros.
                wider = [k for n in neighbours for g in groups_of[n] for k in g.members]
                pick = _complement(wider, cells, hidden, zeros=False) or _complement(
                    wider, cells, hidden, zeros=True
                )
            if pick is not None:
                hidden.add(pick)
                added = True
        if not added:
            # Every cell around the exposed ones is hidden already: hide the rest of the table's groups
            # touching them, which always ends (a fully hidden table reveals nothing).
            rest = {k for key in exposed for g in groups_of[key] for k in g.members} - hidden
            if not rest:
                return hidden | set(cells)
            hidden |= rest
