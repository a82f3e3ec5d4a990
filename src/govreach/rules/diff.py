"""Compare two versions of a rule set unit by unit: who gains, who loses, and which criterion made it.

Pure data in, pure data out: the batch decisions of each version (one row per unit with the decision
and every leaf criterion) come from the compiled SQL; this module only names the change and counts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from govreach.rules.model import Criterion, Node, RuleSet

Change = Literal["gain", "loss"]
# The criterion named when no single leaf differs (the tree itself changed shape).
RULES_CHANGED = "rules_changed"


def leaf_ids(ruleset: RuleSet, decision: str) -> list[str]:
    """Leaf criterion ids of ``decision`` in tree order (the order a person reads the rules)."""
    out: list[str] = []

    def visit(node: Node) -> None:
        if isinstance(node, Criterion):
            out.append(node.id)
        else:
            for child in node.children:
                visit(child)

    visit(ruleset.decisions[decision].root)
    return out


def change_of(before: bool | None, after: bool | None) -> Change | None:
    """``gain`` when the unit is granted only after the change, ``loss`` when only before.

    An undetermined decision (None, a fact missing) counts as not granted: nobody is counted as
    gaining what they would not be given.
    """
    if after is True and before is not True:
        return "gain"
    if before is True and after is not True:
        return "loss"
    return None


def deciding_criterion(
    leaves: list[str], before: dict[str, bool | None], after: dict[str, bool | None]
) -> str:
    """The first leaf (in the rules' order) whose value differs between the two versions.

    A leaf that exists in one version only differs by definition (its value is None in the other).
    """
    for leaf in leaves:
        if before.get(leaf) is not after.get(leaf):
            return leaf
    return RULES_CHANGED


@dataclass(frozen=True)
class UnitChange:
    """One unit whose decision differs between the versions: for review, never for publication."""

    unit_id: str
    area_code: str
    change: Change
    criterion: str


@dataclass
class DiffCounts:
    """Counts of a dry run (not yet disclosure-controlled) and the estimated yearly cost."""

    units: int
    granted_before: int
    granted_after: int
    gains_by_area: Counter[str] = field(default_factory=Counter)
    losses_by_area: Counter[str] = field(default_factory=Counter)
    gains_by_criterion: Counter[str] = field(default_factory=Counter)
    losses_by_criterion: Counter[str] = field(default_factory=Counter)
    value_before_eur: float | None = None
    value_after_eur: float | None = None

    @property
    def gains(self) -> int:
        return sum(self.gains_by_area.values())

    @property
    def losses(self) -> int:
        return sum(self.losses_by_area.values())

    @property
    def cost_change_eur(self) -> float | None:
        """Yearly cost after minus before, each version valuing a grant at its own parameter."""
        if self.value_before_eur is None or self.value_after_eur is None:
            return None
        return round(
            self.granted_after * self.value_after_eur - self.granted_before * self.value_before_eur, 2
        )


def count_changes(
    changes: list[UnitChange],
    *,
    units: int,
    granted_before: int,
    granted_after: int,
    area_of: dict[str, str] | None = None,
) -> DiffCounts:
    """Gains and losses by area (rolled up through ``area_of`` when given) and by criterion."""
    counts = DiffCounts(units=units, granted_before=granted_before, granted_after=granted_after)
    for c in changes:
        area = (area_of or {}).get(c.area_code, c.area_code) or "unknown"
        if c.change == "gain":
            counts.gains_by_area[area] += 1
            counts.gains_by_criterion[c.criterion] += 1
        else:
            counts.losses_by_area[area] += 1
            counts.losses_by_criterion[c.criterion] += 1
    return counts
