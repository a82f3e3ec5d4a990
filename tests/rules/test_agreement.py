"""Single and batch evaluation agree on every unit and every criterion, for every shipped pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.rules.factories import make_ruleset
from tests.rules.strategies import decision_dates, to_arrow, units

from govreach.packs.discovery import pack_folders
from govreach.packs.loader import load_pack
from govreach.rules.compile import column_for_criterion, column_for_decision, column_for_output, compile_batch
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.model import RuleSet

PACKS = pack_folders([Path(__file__).resolve().parents[2] / "packs"])


def engine_ruleset() -> RuleSet:
    rs = make_ruleset(
        when={
            "low_income": "income_eur <= limit_eur * (1 + 0.5 * min(without_income, 10))",
            "old": "age(head.birth_date) >= min_age or any(members where age(birth_date) >= min_age)",
            "benefit": 'any(members where has_any(benefits, qualifying) or "rsi" in benefits)',
            "all_adults": "all(members where years_between(birth_date, decision_date) >= 18)",
            "rooms_ok": "if lives_alone then rooms <= 2 else rooms / max(count(members), 1) <= 1.5",
            "region": 'region in ["north"] and not is_missing(head.birth_date)',
        },
        definitions={"without_income": "count(members where earnings_eur == 0)"},
        outputs={
            "income_total": "sum(earnings_eur for members where earnings_eur > 0)",
            "oldest": "min(birth_date for members)",
            "days_old": "days_between(head.birth_date, decision_date)",
            "cohort": "year(decision_date) * 100 + month(head.birth_date)",
            "score": "coalesce(income_eur, 0) / 1000 + abs(rooms - 3)",
        },
        mode="any",
    )
    assert rs.check() == []
    return rs


RULESETS = {"engine": engine_ruleset()} | {p.name: load_pack(p).ruleset for p in PACKS}


class BatchRunner:
    """One DuckDB connection per rule set, one compiled query per decision date."""

    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self.con = duckdb.connect()
        self.compiled: dict[dt.date, str] = {}

    def run(self, batch: list[dict[str, Any]], on: dt.date) -> list[dict[str, Any]]:
        if on not in self.compiled:
            self.compiled[on] = compile_batch(self.rs, on=on, units_table="u_in", members_table="m_in").sql
        units_table, members_table = to_arrow(self.rs, batch)
        self.con.register("u_in", units_table)
        if members_table is not None:
            self.con.register("m_in", members_table)
        rel = self.con.sql(self.compiled[on])
        rows = rel.fetchall()
        names = rel.columns
        return sorted((dict(zip(names, r, strict=True)) for r in rows), key=lambda r: r["unit_id"])


def assert_agree(rs: RuleSet, runner: BatchRunner, batch: list[dict[str, Any]], on: dt.date) -> None:
    rows = runner.run(batch, on)
    assert len(rows) == len(batch)
    for unit, row in zip(batch, rows, strict=True):
        single = evaluate_unit(rs, unit, on=on)
        for name, outcome in single.decisions.items():
            assert row[column_for_decision(name)] == outcome, (name, unit, on)
        for c in single.criteria:
            assert row[column_for_criterion(c.id)] == c.outcome, (c.id, unit, on)
        for name, value in single.outputs.items():
            got = row[column_for_output(name)]
            if isinstance(value, float) or isinstance(got, float):
                assert (value is None and got is None) or float(got) == pytest.approx(
                    float(value), abs=0, rel=1e-12
                )
            else:
                assert got == value, (name, unit, on)


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_single_and_batch_agree_on_random_units_with_edge_values(name: str) -> None:
    rs = RULESETS[name]
    runner = BatchRunner(rs)
    dates = decision_dates(rs)

    strategies = {on: st.lists(units(rs, on), min_size=25, max_size=30) for on in dates}
    seen = {"units": 0}

    # 45 examples of at least 25 units: at least 1,125 units per rule set, over every decision date.
    @settings(
        max_examples=45,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        on = data.draw(st.sampled_from(dates))
        batch = data.draw(strategies[on])
        assert_agree(rs, runner, batch, on)
        seen["units"] += len(batch)

    check()
    assert seen["units"] >= 1000
