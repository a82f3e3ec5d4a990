"""Benchmark: the compiled batch against a hand-written DuckDB query of the same rules, same data, same run.

Households are generated vectorised and seeded (numpy), so a run is repeatable. Both queries
materialise one row per household with the decisions and the criteria; the benchmark checks that
they agree on every household before it reports throughput.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from govreach.rules.compile import compile_batch
from govreach.rules.model import RuleSet

POWER_LADDER_KVA = np.array([1.15, 2.3, 3.45, 4.6, 5.75, 6.9, 10.35, 13.8, 17.25, 20.7])
POWER_SHARES = np.array([0.02, 0.06, 0.30, 0.20, 0.08, 0.22, 0.08, 0.02, 0.01, 0.01])
BENEFITS = ["csi", "rsi", "unemployment", "abono_familia", "social_invalidity_pension", "psi_complement",
            "social_old_age_pension"]  # fmt: skip


def pt_households(n: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """``n`` Portuguese households (units) and their members, with realistic shares."""
    rng = np.random.default_rng(seed)
    units = pa.table(
        {
            "unit_id": np.arange(n, dtype=np.int64),
            "contract__own_name": rng.random(n) < 0.95,
            "contract__domestic": rng.random(n) < 0.97,
            "contract__permanent_home": rng.random(n) < 0.9,
            "contract__voltage": pa.array(np.where(rng.random(n) < 0.98, "BTN", "BTE")),
            "contract__power_kva": rng.choice(POWER_LADDER_KVA, size=n, p=POWER_SHARES),
            "household__income_eur": np.round(rng.lognormal(9.6, 0.7, n), 2),
            "gas__has_contract": rng.random(n) < 0.3,
            "gas__low_pressure": rng.random(n) < 0.95,
            "gas__consumption_m3": np.round(rng.uniform(50, 1200, n), 1),
        }
    )
    sizes = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.22, 0.33, 0.21, 0.16, 0.06, 0.02])
    m = int(sizes.sum())
    has_benefit = rng.random(m) < 0.12
    offsets = np.concatenate([[0], np.cumsum(has_benefit)]).astype(np.int32)
    benefit_values = pa.array(np.array(BENEFITS)[rng.integers(0, len(BENEFITS), int(has_benefit.sum()))])
    members = pa.table(
        {
            "unit_id": np.repeat(np.arange(n, dtype=np.int64), sizes),
            "income_eur": np.where(rng.random(m) < 0.35, 0.0, np.round(rng.lognormal(9.2, 0.8, m), 2)),
            "benefits": pa.ListArray.from_arrays(pa.array(offsets), benefit_values),
            "abono_familia_bracket": rng.integers(1, 6, m),
        }
    )
    return units, members


def _list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def pt_hand_sql(params: dict[str, object]) -> str:
    """What an analyst would write by hand for the Portuguese rules (no unknown facts in the data)."""
    q = _list(list(params["qualifying_benefits"]))  # type: ignore[call-overload]
    g = _list(list(params["gas_qualifying_benefits"]))  # type: ignore[call-overload]
    return f"""
    WITH agg AS (
      SELECT unit_id,
             bool_or(list_has_any(benefits, {q})) AS has_benefit,
             count(*) FILTER (WHERE income_eur = 0) AS without_income,
             bool_or(list_has_any(benefits, {g})
                     OR (list_contains(benefits, 'abono_familia') AND abono_familia_bracket = 1)) AS gas_benefit
      FROM members GROUP BY unit_id
    ), crit AS (
      SELECT u.unit_id,
             contract__own_name AS contract_in_own_name,
             contract__domestic AND contract__permanent_home AS domestic_permanent_home,
             contract__voltage = 'BTN' AS normal_low_voltage,
             contract__power_kva <= {params["power_limit_kva"]} AS power_within_limit,
             coalesce(a.has_benefit, false) AS receives_qualifying_benefit,
             household__income_eur <= {params["income_limit_eur"]}
               * (1 + {params["increase_per_member_without_income"]}
                  * least(coalesce(a.without_income, 0), {params["max_members_counted"]})) AS low_household_income,
             gas__has_contract AND gas__low_pressure
               AND gas__consumption_m3 <= {params["gas_consumption_limit_m3"]} AS gas_small_contract,
             coalesce(a.gas_benefit, false) AS gas_qualifying_benefit
      FROM units u LEFT JOIN agg a ON a.unit_id = u.unit_id
    )
    SELECT unit_id,
           contract_in_own_name AND domestic_permanent_home AND normal_low_voltage AND power_within_limit
             AND (receives_qualifying_benefit OR low_household_income) AS eligible,
           gas_small_contract AND gas_qualifying_benefit AS gas_eligible,
           contract_in_own_name, domestic_permanent_home, normal_low_voltage, power_within_limit,
           receives_qualifying_benefit, low_household_income, gas_small_contract, gas_qualifying_benefit
    FROM crit
    """


@dataclass(frozen=True)
class EligibilityBench:
    households: int
    members: int
    compiled_seconds: float
    hand_seconds: float
    eligible: int
    disagreements: int

    @property
    def ratio(self) -> float:
        """Throughput of the compiled batch over the hand-written query (1.0 = as fast)."""
        return self.hand_seconds / self.compiled_seconds


def _best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def bench_pt_eligibility(
    ruleset: RuleSet, *, households: int, seed: int, on: dt.date, repeats: int = 3
) -> EligibilityBench:
    """Generate, run both queries ``repeats`` times (best time counts), check they agree."""
    units, members = pt_households(households, seed)
    con = duckdb.connect()
    con.register("units_arrow", units)
    con.register("members_arrow", members)
    con.execute("CREATE TABLE units AS SELECT * FROM units_arrow")
    con.execute("CREATE TABLE members AS SELECT * FROM members_arrow")
    compiled = compile_batch(ruleset, on=on)
    hand = pt_hand_sql(compiled.parameters)
    compiled_s = _best_of(
        repeats, lambda: con.execute(f"CREATE OR REPLACE TABLE r_compiled AS {compiled.sql}")
    )
    hand_s = _best_of(repeats, lambda: con.execute(f"CREATE OR REPLACE TABLE r_hand AS {hand}"))
    criteria = ["contract_in_own_name", "domestic_permanent_home", "normal_low_voltage", "power_within_limit",
                "receives_qualifying_benefit", "low_household_income", "gas_small_contract", "gas_qualifying_benefit"]  # fmt: skip
    differs = " OR ".join(
        [
            "c.decision__eligible IS DISTINCT FROM h.eligible",
            "c.decision__gas_eligible IS DISTINCT FROM h.gas_eligible",
            *[f"c.criterion__{name} IS DISTINCT FROM h.{name}" for name in criteria],
        ]
    )
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE {differs}), count(*) FILTER (WHERE c.decision__eligible), count(h.unit_id) "
        "FROM r_compiled c FULL JOIN r_hand h ON c.unit_id = h.unit_id"
    ).fetchone()
    assert row is not None
    disagreements, eligible, matched = int(row[0]), int(row[1]), int(row[2])
    if matched != households:
        disagreements += abs(households - matched)
    return EligibilityBench(households, members.num_rows, compiled_s, hand_s, eligible, disagreements)
