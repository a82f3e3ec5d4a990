from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

import govreach.population.defects as defects
import govreach.population.generate as population
from govreach.linkage import evaluate_links, link_records
from govreach.linkage.bench import bench_linkage

from .conftest import TEST_SETTINGS


def test_civil_register_links_to_tax_records_of_a_generated_portugal_with_f1_above_095(
    tmp_path: Path,
) -> None:
    population.generate_population(
        country="pt",
        households=600,
        seed=3,
        out_dir=tmp_path,
        defects=defects.DefectRates(name_typo=0.05, missing_id=0.10),
    )
    left = pq.read_table(tmp_path / "registries" / "civil_register.parquet")
    right = pq.read_table(tmp_path / "registries" / "at_household_income.parquet")
    truth = pq.read_table(tmp_path / "truth" / "record_person.parquet")

    outcome = link_records(left, right, settings=TEST_SETTINGS)
    metrics = evaluate_links(
        outcome.links, truth, left_dataset="civil_register", right_dataset="at_household_income"
    )

    assert metrics.f1 >= 0.95, metrics


def test_bench_reports_pairs_time_and_accuracy() -> None:
    figures = bench_linkage(200, settings=TEST_SETTINGS)

    assert figures.left_records == figures.right_records == 200
    assert figures.pairs_compared > 0
    assert figures.seconds > 0
    assert figures.f1 >= 0.95
    assert figures.peak_rss_mb > 0
