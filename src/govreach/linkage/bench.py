"""Linkage benchmark: link two generated registries of N persons and report size, time and accuracy.

Meant for `govreach bench linkage`; uses `govreach.population` (Portugal: civil register against
the tax authority's records) when `source="population"`, else the seeded pair of `synthetic`.
"""

from __future__ import annotations

import resource
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import psutil
import pyarrow.parquet as pq

from govreach.linkage.evaluate import evaluate_links
from govreach.linkage.link import link_records
from govreach.linkage.settings import LinkageSettings
from govreach.linkage.synthetic import make_registry_pair


@dataclass(frozen=True)
class LinkageBenchFigures:
    """One benchmark run: records on each side, pairs scored, seconds per step, accuracy, peak RSS."""

    persons: int
    left_records: int
    right_records: int
    pairs_compared: int
    seconds: float
    timings: dict[str, float]
    counts: dict[str, int]
    precision: float
    recall: float
    f1: float
    peak_rss_mb: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bench_linkage(
    n_persons: int,
    *,
    seed: int = 1,
    settings: LinkageSettings | None = None,
    source: Literal["synthetic", "population"] = "synthetic",
) -> LinkageBenchFigures:
    """Link two registries of about `n_persons` people (5% typos, 10% missing ids) and measure it.

    `source="population"` generates Portugal with `n_persons // 2` households and links the civil
    register to the tax records; the generation time is not counted.
    """
    if source == "population":
        from govreach.population.defects import DefectRates
        from govreach.population.generate import generate_population

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            generate_population(
                country="pt",
                households=max(n_persons // 2, 1),
                seed=seed,
                out_dir=out,
                defects=DefectRates(name_typo=0.05, missing_id=0.10),
            )
            left = pq.read_table(out / "registries" / "civil_register.parquet")
            right = pq.read_table(out / "registries" / "at_household_income.parquet")
            truth = pq.read_table(out / "truth" / "record_person.parquet")
        datasets = {"left_dataset": "civil_register", "right_dataset": "at_household_income"}
    else:
        pair = make_registry_pair(n_persons, seed=seed)
        left, right, truth = pair.left, pair.right, pair.truth
        datasets = {"left_dataset": pair.left_dataset, "right_dataset": pair.right_dataset}

    started = time.perf_counter()
    outcome = link_records(left, right, settings=settings)
    seconds = time.perf_counter() - started
    metrics = evaluate_links(outcome.links, truth, **datasets)
    # The process high-water mark (ru_maxrss is in KiB on Linux), never below the current RSS.
    peak = max(psutil.Process().memory_info().rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return LinkageBenchFigures(
        persons=n_persons,
        left_records=left.num_rows,
        right_records=right.num_rows,
        pairs_compared=outcome.pairs_compared,
        seconds=round(seconds, 2),
        timings={k: round(v, 2) for k, v in outcome.timings.items()},
        counts=outcome.counts,
        precision=metrics.precision,
        recall=metrics.recall,
        f1=metrics.f1,
        peak_rss_mb=round(peak / 2**20, 1),
    )


if __name__ == "__main__":  # manual runs: python -m govreach.linkage.bench N [source]
    import json
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    kind: Literal["synthetic", "population"] = "population" if sys.argv[2:] == ["population"] else "synthetic"
    print(json.dumps(bench_linkage(size, source=kind).as_dict(), indent=2))
