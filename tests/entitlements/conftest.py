"""Small Portuguese populations and helpers to edit their registries between cycles."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from govreach.entitlements.models import Cycle, CycleOutcome, Entitlement
from govreach.entitlements.selectors import cycle_mismatches, cycle_outcomes_query
from govreach.entitlements.services import cycle_run
from govreach.population import generate_population

PACK = "pt-social-energy-tariff"
FIRST_ON = dt.date(2025, 1, 1)
SECOND_ON = dt.date(2025, 2, 1)


@pytest.fixture(scope="session")
def pt_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 households with the generator's default defects (seed 5); never modified by a test."""
    out = tmp_path_factory.mktemp("pt-300")
    generate_population(country="pt", households=300, seed=5, out_dir=out)
    return out


@pytest.fixture
def registries(pt_population: Path, tmp_path: Path) -> Path:
    """A private copy of the population's registries, which a test may edit."""
    copy = tmp_path / "population"
    shutil.copytree(pt_population, copy)
    return copy


@pytest.fixture(autouse=True)
def cycles_dir(tmp_path: Path, settings: Any) -> Path:
    settings.GOVREACH_CYCLES_DIR = str(tmp_path / "cycles")
    return tmp_path / "cycles"


def edit_registry(registries: Path, dataset: str, select_sql: str) -> None:
    """Rewrite ``registries/<dataset>.parquet`` as ``select_sql`` over the old rows (named ``src``)."""
    path = registries / "registries" / f"{dataset}.parquet"
    tmp = path.with_suffix(".new.parquet")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet('{path}')")
    con.execute(f"COPY ({select_sql}) TO '{tmp}' (FORMAT parquet)")
    con.close()
    tmp.replace(path)


def query(registries: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` where ``{r}`` names the registries folder."""
    with duckdb.connect() as con:
        return con.execute(sql.replace("{r}", str(registries / "registries"))).fetchall()


@pytest.fixture
def run_cycle(registries: Path) -> Callable[..., Cycle]:
    def run(on: dt.date = FIRST_ON, **kwargs: Any) -> Cycle:
        return cycle_run(pack=PACK, decided_on=on, registries=registries, **kwargs)

    return run


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the four tables, without surrogate ids: equal snapshots mean equal states."""
    return {
        "cycles": sorted(Cycle.objects.values_list("pack_id", "decided_on", "status", "counts", "report")),
        "entitlements": sorted(
            Entitlement.objects.values_list(
                "unit_key",
                "household_key",
                "status",
                "valid_from",
                "valid_to",
                "is_back_dated",
                "granted_in__decided_on",
                "ended_in__decided_on",
                "end_reason",
                "decision_key",
                "refused_at",
                "refusal_channel",
            )
        ),
        # Every unit's outcome (the cycle's store), and the outcomes the database holds (the changes).
        "outcomes": sorted(
            (cycle.decided_on, r["unit_key"], r["outcome"], r["failing_criteria"])
            for cycle in Cycle.objects.all()
            for r in cycle_outcomes_query(cycle, "SELECT unit_key, outcome, failing_criteria FROM outcomes")
        ),
        "outcome_rows": sorted(
            CycleOutcome.objects.values_list("cycle__decided_on", "unit_key", "outcome", "failing_criteria")
        ),
        "mismatches": sorted(
            (cycle.decided_on, m["record_id"], m["kind"], m["cpe"], m["link_method"], m["is_carried"])
            for cycle in Cycle.objects.all()
            for m in cycle_mismatches(cycle)
        ),
    }
