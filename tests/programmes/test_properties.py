"""Properties: the school-list path (rules compiled to SQL in DuckDB) and the single path (evaluated with
a trace) decide the same; the lottery never overrides priority and depends on nothing but seed and keys."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from govreach.packs.loader import Pack, load_pack
from govreach.programmes.lottery import allocation_order
from govreach.programmes.services import batch_decide
from govreach.rules import evaluate_unit

from .conftest import pack_dir


@cache
def _pack() -> Pack:
    return load_pack(pack_dir())


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


students = st.fixed_dictionaries(
    {
        "student.school_network": _maybe(st.sampled_from(["jaboatao_municipal", "state", "private"])),
        "student.grade": _maybe(st.integers(7, 9)),
        "student.school_year": _maybe(st.integers(2017, 2019)),
        "student.municipality_ibge": _maybe(st.sampled_from(["2607901", "2611606"])),
        "student.has_disability": _maybe(st.booleans()),
        "student.attendance_pct": _maybe(st.floats(0, 100, allow_nan=False)),
        "family.income_per_capita_brl": _maybe(st.floats(0, 3000, allow_nan=False)),
        "family.cadunico_income_band": _maybe(
            st.sampled_from(
                ["extreme_poverty", "poverty", "low_income", "above_half_minimum_wage", "not_registered"]
            )
        ),
        "family.cash_transfer": _maybe(st.booleans()),
    }
)


@settings(max_examples=30, deadline=None)
@given(st.lists(students, min_size=1, max_size=8), st.dates(dt.date(2017, 1, 1), dt.date(2019, 12, 31)))
def test_a_school_list_is_decided_as_each_student_alone(units: list[dict[str, Any]], on: dt.date) -> None:
    pack = _pack()
    facts = [{k: v for k, v in u.items() if v is not None} for u in units]
    for unit, batch in zip(facts, batch_decide(pack.ruleset, facts, on=on), strict=True):
        single = evaluate_unit(pack.ruleset, unit, on=on)
        assert batch["decisions"] == single.decisions
        assert float(batch["outputs"]["priority_score"]) == float(single.outputs["priority_score"])  # type: ignore[arg-type]


entries = st.dictionaries(
    st.text("ABCDEFGHJKMNPQRSTUVWXYZ23456789", min_size=4, max_size=9),
    st.sampled_from([0.0, 10.0, 20.0, 35.5]),
)


@settings(max_examples=60, deadline=None)
@given(entries, st.text(min_size=1, max_size=40), st.integers(0, 30))
def test_the_lottery_only_breaks_ties(pairs: dict[str, float], seed: str, places: int) -> None:
    order = allocation_order(pairs.items(), seed=seed, places=places)
    assert [r.priority for r in order] == sorted(pairs.values(), reverse=True)
    assert sum(r.is_allocated for r in order) == min(places, len(pairs))
    assert allocation_order(reversed(list(pairs.items())), seed=seed, places=places) == order
