"""A count table over an area hierarchy: counts at the areas where they happen, rolled up to every level
above, with the additive groups that tie them together, and its disclosure-controlled publication.

Pure Python (no Django): ``govreach.transparency.figures`` fills it from the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

from govreach.transparency.disclosure import Group, protect

# Counts recorded on an area that also has published areas below it go to a synthetic child with this
# suffix, so that every parent is exactly the sum of its children (an additive hierarchy).
T = TypeVar("T")

UNLOCATED_SUFFIX = "~"
UNLOCATED_LEVEL = "not located further"


@dataclass(frozen=True)
class AreaNode:
    code: str
    name: str
    level: str
    parent_code: str | None
    depth: int


@dataclass(frozen=True)
class Relation:
    """``total == sum(parts)`` between variables of the same area (received = decided + pending)."""

    total: str
    parts: tuple[str, ...]


@dataclass
class Cube:
    """Counts per (area code, variable), for every area from the root down to where counts happen."""

    variables: tuple[str, ...]
    relations: tuple[Relation, ...]
    areas: dict[str, AreaNode] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    # Where each counted area's counts went in the cube (itself, or its "not located further" child).
    placed: dict[str, str] = field(default_factory=dict)

    def lineage(self, code: str) -> list[str]:
        """``code`` and every area above it in the cube, nearest first."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and current in self.areas:
            chain.append(current)
            current = self.areas[current].parent_code
        return chain

    def gather(self, values_at: Mapping[str, list[T]]) -> dict[str, list[T]]:
        """Per cube area, the values of every counted area at or below it (``values_at``: by area code
        where they happened), for figures that do not add up, such as a median."""
        gathered: dict[str, list[T]] = defaultdict(list)
        for code, values in values_at.items():
            for area in self.lineage(self.placed.get(code, code)):
                gathered[area].extend(values)
        return gathered

    def children(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for node in self.areas.values():
            if node.parent_code is not None and node.parent_code in self.areas:
                found[node.parent_code].append(node.code)
        return {k: sorted(v) for k, v in found.items()}

    def groups(self) -> list[Group]:
        """Every additive relation a reader of the published table can use."""
        groups = [
            Group((code, rel.total), tuple((code, part) for part in rel.parts))
            for code in sorted(self.areas)
            for rel in self.relations
        ]
        for parent, kids in sorted(self.children().items()):
            for variable in self.variables:
                groups.append(Group((parent, variable), tuple((kid, variable) for kid in kids)))
        return groups

    def published(self, *, threshold: int) -> dict[tuple[str, str], int | None]:
        """Every cell as published: its count, or None where disclosure control suppresses it."""
        # Mapping keys are invariant: the cube's (area, variable) keys are the Hashable cells protect takes.
        hidden = protect(cast(Mapping[Hashable, int], self.counts), self.groups(), threshold=threshold)
        return {key: (None if key in hidden else value) for key, value in self.counts.items()}


def cube_build(
    *,
    variables: Iterable[str],
    relations: Iterable[Relation] = (),
    counts_at: Mapping[tuple[str, str], int],
    areas: Mapping[str, AreaNode],
) -> Cube:
    """Roll ``counts_at`` (area code where it happened, variable) -> count up through ``areas`` (which must
    hold every ancestor of every area counted). Areas with nothing counted below them are left out."""
    cube = Cube(tuple(variables), tuple(relations))
    located: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(cube.variables, 0))
    for (code, variable), n in counts_at.items():
        if variable not in cube.variables:
            raise ValueError(f"unknown variable {variable!r}")
        if code not in areas:
            raise ValueError(f"area {code!r} is not in the hierarchy")
        located[code][variable] += n

    def lineage(code: str) -> list[str]:
        chain = []
        current: str | None = code
        while current is not None:
            chain.append(current)
            current = areas[current].parent_code
        return chain

    # Which areas carry counts below them (so that their own direct counts must move to a child).
    with_descendants: set[str] = set()
    for code in located:
        with_descendants.update(lineage(code)[1:])
    for code, values in sorted(located.items()):
        node = areas[code]
        target = code
        cube.placed[code] = code
        if code in with_descendants:
            cube.placed[code] = code + UNLOCATED_SUFFIX
            target = code + UNLOCATED_SUFFIX
            cube.areas[target] = AreaNode(target, node.name, UNLOCATED_LEVEL, code, node.depth + 1)
        for ancestor in [target, *lineage(code)] if target != code else lineage(code):
            if ancestor not in cube.areas:
                cube.areas[ancestor] = areas[ancestor]
            for variable, n in values.items():
                cube.counts[(ancestor, variable)] = cube.counts.get((ancestor, variable), 0) + n
    for code in cube.areas:
        for variable in cube.variables:
            cube.counts.setdefault((code, variable), 0)
    return cube
