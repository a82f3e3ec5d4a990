"""An attacker on a published table, written apart from the code it attacks.

It sees what anyone downloading the open data sees: the published cells (``None`` where suppressed)
and the additive relations between them (each area's variables, each parent against its children). For
every suppressed cell it tries to find the exact value: by linear algebra over the reals (numpy's rank:
is the cell's unit vector a combination of the equations?), and by bounds (a suppressed cell is at
least 1 because zeros are published; every sum gives upper and lower bounds to its unknowns).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from govreach.transparency.disclosure import Group


def _equations(
    published: Mapping[Hashable, int | None], groups: Sequence[Group]
) -> tuple[list[Hashable], np.ndarray, np.ndarray]:
    unknowns = sorted((k for k, v in published.items() if v is None), key=repr)
    column = {k: i for i, k in enumerate(unknowns)}
    rows, rhs = [], []
    for group in groups:
        row = np.zeros(len(unknowns))
        constant = 0.0
        for key, sign in ((group.total, 1.0), *((p, -1.0) for p in group.parts)):
            value = published[key]
            if value is None:
                row[column[key]] += sign
            else:
                constant -= sign * value
        if row.any():
            rows.append(row)
            rhs.append(constant)
    matrix = np.array(rows) if rows else np.zeros((0, len(unknowns)))
    return unknowns, matrix, np.array(rhs)


def solve_exactly(published: Mapping[Hashable, int | None], groups: Sequence[Group]) -> dict[Hashable, float]:
    """Suppressed cells whose value the published equations determine, with that value."""
    unknowns, matrix, rhs = _equations(published, groups)
    if not unknowns or matrix.shape[0] == 0:
        return {}
    rank = np.linalg.matrix_rank(matrix)
    solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    found = {}
    for i, key in enumerate(unknowns):
        unit = np.zeros(len(unknowns))
        unit[i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found[key] = float(solution[i])
    return found


def pin_by_bounds(published: Mapping[Hashable, int | None], groups: Sequence[Group]) -> dict[Hashable, float]:
    """Suppressed cells whose lower and upper bounds meet, with that value."""
    unknowns = [k for k, v in published.items() if v is None]
    low = dict.fromkeys(unknowns, 1.0)
    high = dict.fromkeys(unknowns, float("inf"))
    for _ in range(100):
        moved = False
        for group in groups:
            signed = [(group.total, 1.0), *((p, -1.0) for p in group.parts)]
            known = sum(s * published[k] for k, s in signed if published[k] is not None)  # type: ignore[operator]
            free = [(k, s) for k, s in signed if published[k] is None]
            for key, sign in free:
                others_min = sum(s * (low[k] if s > 0 else high[k]) for k, s in free if k != key)
                others_max = sum(s * (high[k] if s > 0 else low[k]) for k, s in free if k != key)
                # sign * x = -known - others
                lo, hi = -known - others_max, -known - others_min
                if sign < 0:
                    lo, hi = -hi, -lo
                if lo > low[key] + 1e-9:
                    low[key], moved = lo, True
                if hi < high[key] - 1e-9:
                    high[key], moved = hi, True
        if not moved:
            break
    return {k: low[k] for k in unknowns if abs(high[k] - low[k]) < 1e-9}


def attack(published: Mapping[Hashable, int | None], groups: Sequence[Group]) -> dict[Hashable, float]:
    """Every suppressed cell the attacker recovers, with the value found."""
    return {**pin_by_bounds(published, groups), **solve_exactly(published, groups)}
