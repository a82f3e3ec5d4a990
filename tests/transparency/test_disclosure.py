"""Disclosure control: small counts are suppressed and an attacker cannot recover any of them from the
published totals along rows (variables of an area), columns (areas) and levels (parent against children)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.transparency.attacker import attack

from govreach.transparency.cube import AreaNode, Relation, cube_build
from govreach.transparency.disclosure import Group, protect, recoverable

THRESHOLD = 10

AREAS = {
    "N": AreaNode("N", "Nation", "country", None, 0),
    "R1": AreaNode("R1", "Region 1", "region", "N", 1),
    "R2": AreaNode("R2", "Region 2", "region", "N", 1),
    "D11": AreaNode("D11", "District 11", "district", "R1", 2),
    "D12": AreaNode("D12", "District 12", "district", "R1", 2),
    "D21": AreaNode("D21", "District 21", "district", "R2", 2),
    "D22": AreaNode("D22", "District 22", "district", "R2", 2),
    "D23": AreaNode("D23", "District 23", "district", "R2", 2),
    "L111": AreaNode("L111", "Local 111", "local", "D11", 3),
    "L112": AreaNode("L112", "Local 112", "local", "D11", 3),
    "L121": AreaNode("L121", "Local 121", "local", "D12", 3),
}
LEAVES = ["L111", "L112", "L121", "D21", "D22", "D23"]
VARIABLES = ("received", "approved", "rejected", "pending")
RELATIONS = (Relation("received", ("approved", "rejected", "pending")),)


def _cube(counts: dict[tuple[str, str], int]):  # type: ignore[no-untyped-def]
    return cube_build(variables=VARIABLES, relations=RELATIONS, counts_at=counts, areas=AREAS)


def test_a_single_small_cell_in_a_row_is_protected_by_a_second_one() -> None:
    cells = {"t": 40, "a": 3, "b": 15, "c": 22}
    hidden = protect(cells, [Group("t", ("a", "b", "c"))], threshold=THRESHOLD)
    assert hidden == {"a", "b"}


def test_without_secondary_suppression_the_attacker_recovers_the_small_cell() -> None:
    # The attacker is real: with primary suppression alone it finds the hidden 3.
    cells = {"t": 40, "a": 3, "b": 15, "c": 22}
    published = {k: (None if k == "a" else v) for k, v in cells.items()}
    assert attack(published, [Group("t", ("a", "b", "c"))]) == {"a": 3.0}


def test_two_suppressed_ones_summing_to_two_are_pinned_by_bounds_and_protected() -> None:
    cells = {"t": 30, "a": 1, "b": 1, "c": 28}
    groups = [Group("t", ("a", "b", "c"))]
    assert recoverable(cells, groups, {"a", "b"}) == {"a", "b"}
    hidden = protect(cells, groups, threshold=THRESHOLD)
    published = {k: (None if k in hidden else v) for k, v in cells.items()}
    assert attack(published, groups) == {}


def test_zeros_are_published_and_not_used_as_complements() -> None:
    cells = {"t": 45, "a": 4, "z": 0, "b": 41}
    hidden = protect(cells, [Group("t", ("a", "z", "b"))], threshold=THRESHOLD)
    assert "z" not in hidden
    assert hidden == {"a", "b"} or hidden == {"a", "b", "t"}


def test_hierarchy_totals_do_not_give_away_a_suppressed_district() -> None:
    counts = {
        ("L111", "approved"): 30, ("L111", "rejected"): 12, ("L111", "pending"): 11,
        ("L112", "approved"): 25, ("L112", "rejected"): 4, ("L112", "pending"): 20,
        ("L121", "approved"): 40, ("L121", "rejected"): 15, ("L121", "pending"): 18,
        ("D21", "approved"): 50, ("D21", "rejected"): 20, ("D21", "pending"): 30,
        ("D22", "approved"): 2, ("D22", "rejected"): 0, ("D22", "pending"): 1,
        ("D23", "approved"): 60, ("D23", "rejected"): 25, ("D23", "pending"): 33,
    }  # fmt: skip
    for leaf in LEAVES:
        counts[(leaf, "received")] = sum(counts[(leaf, v)] for v in VARIABLES[1:])
    cube = _cube(counts)
    assert cube.counts[("N", "received")] == sum(counts[(leaf, "received")] for leaf in LEAVES)
    published = cube.published(threshold=THRESHOLD)
    for key, value in published.items():
        assert value is None or value == 0 or value >= THRESHOLD, key
    assert published[("L112", "rejected")] is None
    assert published[("D22", "received")] is None
    assert attack(published, cube.groups()) == {}


def test_counts_on_a_parent_with_located_children_go_to_an_unlocated_child() -> None:
    cube = _cube({("L111", "received"): 12, ("D11", "received"): 15})
    assert cube.counts[("D11~", "received")] == 15
    assert cube.counts[("D11", "received")] == 27
    assert cube.areas["D11~"].parent_code == "D11"


@st.composite
def tables(draw: st.DrawFn) -> dict[tuple[str, str], int]:
    small_or_large = st.one_of(st.integers(0, 12), st.integers(0, 80))
    counts: dict[tuple[str, str], int] = {}
    for leaf in draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=6, unique=True)):
        parts = [draw(small_or_large) for _ in VARIABLES[1:]]
        counts.update({(leaf, v): n for v, n in zip(VARIABLES[1:], parts, strict=True)})
        counts[(leaf, "received")] = sum(parts)
    return counts


@settings(max_examples=40, deadline=None)
@given(tables())
def test_no_suppressed_cell_of_a_random_table_can_be_recovered(counts: dict[tuple[str, str], int]) -> None:
    cube = _cube(counts)
    published = cube.published(threshold=THRESHOLD)
    assert all(v is None or v == 0 or v >= THRESHOLD for v in published.values())
    recovered = attack(published, cube.groups())
    # A recovered cell is a disclosure unless its true value is 0 (zeros are published anyway).
    leaks = {k: v for k, v in recovered.items() if cube.counts[k] != 0}
    assert leaks == {}, leaks
    # Nothing is hidden for no reason: every hidden cell is small or protects one that is.
    if not any(0 < v < THRESHOLD for v in cube.counts.values()):
        assert all(v is not None for v in published.values())
