"""The same cycle on Spark local mode gives exactly the DuckDB outcomes, unit by unit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govreach.entitlements.engines import spark_session
from govreach.entitlements.models import Cycle, CycleOutcome, Entitlement
from govreach.entitlements.services import cycle_run
from govreach.population import generate_population

from .conftest import FIRST_ON, PACK, snapshot

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """One Spark session for the module: the JVM start-up is the expensive part."""
    session = spark_session(app_name="govreach-test", memory="1g", cores=2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def small_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pt-spark")
    generate_population(country="pt", households=200, seed=9, out_dir=out)
    return out


def _forget_cycles() -> None:
    CycleOutcome.objects.all().delete()
    Entitlement.objects.all().delete()
    Cycle.objects.all().delete()


def test_spark_cycle_gives_exactly_the_duckdb_outcomes(spark: Any, small_population: Path) -> None:
    duck = cycle_run(pack=PACK, decided_on=FIRST_ON, registries=small_population, engine="duckdb")
    on_duckdb = snapshot()
    duck_report = {k: v for k, v in duck.report.items() if k not in ("engine", "cycle")}
    _forget_cycles()

    sparked = cycle_run(
        pack=PACK, decided_on=FIRST_ON, registries=small_population, engine="spark", spark=spark
    )

    assert sparked.engine == "spark"
    on_spark = snapshot()
    assert on_spark["outcomes"] == on_duckdb["outcomes"]
    assert on_spark["entitlements"] == on_duckdb["entitlements"]
    assert on_spark["mismatches"] == on_duckdb["mismatches"]
    assert {k: v for k, v in sparked.report.items() if k not in ("engine", "cycle")} == duck_report
    assert duck_report["outcomes"]["new_grant"] > 10
