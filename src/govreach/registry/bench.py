"""Import benchmark: a synthetic population register with 1% bad rows, imported in bounded memory.

``python -m govreach.registry.bench --rows 1000000`` migrates a throwaway SQLite database in a temp
dir and prints rows/second, the quarantined count and peak RSS. ``import_benchmark`` itself uses
whatever database Django is configured with (it must be migrated).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import psutil

AREA_CODES = ("BM-01-01", "BM-01-02", "BM-02-01", "BM-02-02")
HEADER = ("id", "nif", "first", "last", "dob", "sex", "addr", "zip", "area", "phone", "hh", "role")
GIVEN = ("Ana", "Maria", "João", "Rui", "Inês", "Pedro", "Sofia", "Tiago", "Carla", "Luís")
FAMILY = ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins")
ROLES = ("head", "spouse", "child", "other")


@dataclass(frozen=True)
class ImportBenchResult:
    """Figures of one benchmark import."""

    rows: int
    bad_rows_written: int
    seconds: float
    rows_per_second: float
    inserted: int
    quarantined: int
    baseline_rss_mb: float
    peak_rss_mb: float
    file_mb: float


def bench_mapping() -> dict[str, object]:
    """The mapping the benchmark file is imported with (a population register with households)."""
    return {
        "source": {
            "agency": "Benchmark civil registry",
            "dataset": "bench_persons",
            "extracted_on": "2024-06-30",
        },
        "key_column": "id",
        "creates_persons": True,
        "fields": {
            "national_id": {"column": "nif"},
            "given_name": {"column": "first", "required": True},
            "family_name": {"column": "last", "required": True},
            "birth_date": {"column": "dob", "type": "date"},
            "sex": {"column": "sex", "allowed": ["F", "M", "X"]},
            "address": {"column": "addr"},
            "postcode": {"column": "zip"},
            "area_code": {"column": "area"},
            "phone": {"column": "phone"},
            "household_key": {"column": "hh"},
            "household_role": {"column": "role"},
        },
    }


def write_bench_csv(
    path: Path, *, rows: int, bad_fraction: float = 0.01, seed: int = 7, chunk: int = 100_000
) -> int:
    """Write ``rows`` data rows, ``bad_fraction`` of them bad (four kinds of defect), in chunks.

    Returns how many bad rows were written.
    """
    rng = np.random.default_rng(seed)
    bad_total = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            ids = np.arange(start, start + n)
            given = rng.integers(0, len(GIVEN), n)
            family = rng.integers(0, len(FAMILY), n)
            days = rng.integers(0, 365 * 90, n)
            dob = (np.datetime64("1930-01-01") + days.astype("timedelta64[D]")).astype(str)
            sex = np.where(rng.random(n) < 0.5, "F", "M")
            area = rng.integers(0, len(AREA_CODES), n)
            bad = rng.random(n) < bad_fraction
            kind = rng.integers(0, 4, n)
            bad_total += int(bad.sum())
            for i in range(n):
                row = [
                    f"P{ids[i]:08d}",
                    f"{200_000_000 + ids[i]}",
                    GIVEN[given[i]],
                    FAMILY[family[i]],
                    dob[i],
                    sex[i],
                    f"Rua {ids[i] % 997} {ids[i] % 101}",
                    f"{1000 + ids[i] % 8999}-{ids[i] % 999:03d}",
                    AREA_CODES[area[i]],
                    f"+3519{ids[i]:08d}",
                    f"H{ids[i] // 3:08d}",
                    ROLES[0 if ids[i] % 3 == 0 else 1 + int(ids[i] % 3 == 2)],
                ]
                if bad[i]:
                    if kind[i] == 0:
                        row[4] = "31-02-1970"  # not a date
                    elif kind[i] == 1:
                        row[2] = ""  # required name missing
                    elif kind[i] == 2:
                        row[5] = "?"  # not an allowed sex
                    else:
                        row.append("stray")  # one column too many
                writer.writerow(row)
    return bad_total


def _areas_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerow(["BM", "Benchmark", "country", ""])
        for region in ("BM-01", "BM-02"):
            writer.writerow([region, region, "region", "BM"])
        for code in AREA_CODES:
            writer.writerow([code, code, "district", code[:5]])
    return path


def import_benchmark(
    *,
    rows: int = 1_000_000,
    bad_fraction: float = 0.01,
    batch_size: int = 50_000,
    workdir: Path | None = None,
) -> ImportBenchResult:
    """Write a ``rows``-row CSV with ``bad_fraction`` bad rows to a temp dir and import it.

    Peak RSS is sampled after every committed batch; the file is generated before the baseline is
    taken. The configured database must be migrated.
    """
    from govreach.registry.mapping import mapping_parse
    from govreach.registry.models import ImportRun
    from govreach.registry.services import ImportOptions, area_import_csv, registry_source_import

    process = psutil.Process()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        directory = Path(tmp)
        csv_path = directory / "bench_persons.csv"
        bad = write_bench_csv(csv_path, rows=rows, bad_fraction=bad_fraction)
        area_import_csv(csv_path=_areas_csv(directory / "areas.csv"))
        baseline = peak = process.memory_info().rss

        def sample(_run: ImportRun) -> None:
            nonlocal peak
            peak = max(peak, process.memory_info().rss)

        started = time.perf_counter()
        run = registry_source_import(
            source_name=f"bench-{rows}",
            file_path=csv_path,
            mapping=mapping_parse(bench_mapping()),
            options=ImportOptions(batch_size=batch_size, error_report_path=directory / "errors.csv"),
            on_progress=sample,
        )
        seconds = time.perf_counter() - started
        sample(run)
        return ImportBenchResult(
            rows=rows,
            bad_rows_written=bad,
            seconds=round(seconds, 2),
            rows_per_second=round(rows / seconds, 1),
            inserted=run.inserted_count,
            quarantined=run.quarantined_count,
            baseline_rss_mb=round(baseline / 2**20, 1),
            peak_rss_mb=round(peak / 2**20, 1),
            file_mb=round(csv_path.stat().st_size / 2**20, 1),
        )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark against a fresh SQLite database in a temp dir and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as var_dir:
        os.environ["GOVREACH_VAR_DIR"] = var_dir
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("GOVREACH_ALLOW_INSECURE_KEY", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govreach.config.settings")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        result = import_benchmark(rows=args.rows, batch_size=args.batch_size, workdir=Path(var_dir))
        print(json.dumps(asdict(result), indent=2))


if __name__ == "__main__":
    main()
