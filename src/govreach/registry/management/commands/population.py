"""``govreach population generate|bench``: write a synthetic national population, or time one."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from govreach.population import (
    COUNTRIES,
    PopulationError,
    check_country,
    generate_population,
    parse_defect_spec,
)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Command(BaseCommand):
    help = (
        "Generate a synthetic national population (registries, truth, manifest) or benchmark the generator."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, helptext in (
            ("generate", "write areas.csv, registries/, truth/ and manifest.json to --out"),
            ("bench", "generate into a temporary directory and print households/second and peak memory"),
        ):
            action = sub.add_parser(name, help=helptext)
            action.add_argument("--country", required=True, help=f"one of {', '.join(COUNTRIES)}")
            action.add_argument("--households", type=int, default=1_000_000 if name == "bench" else 1_000)
            action.add_argument("--seed", type=int, default=1)
            action.add_argument(
                "--defects", default=None, help="name=rate,... e.g. name_typo=0.05,missing_id=0.10"
            )
            if name == "generate":
                action.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console()
        try:
            country = check_country(options["country"])
            rates = parse_defect_spec(options["defects"])
            started, cpu_started = time.perf_counter(), time.process_time()
            if options["action"] == "bench":
                with tempfile.TemporaryDirectory(prefix="govreach-bench-") as tmp:
                    result = generate_population(
                        country=country,
                        households=options["households"],
                        seed=options["seed"],
                        out_dir=Path(tmp),
                        defects=rates,
                    )
            else:
                result = generate_population(
                    country=country,
                    households=options["households"],
                    seed=options["seed"],
                    out_dir=options["out"],
                    defects=rates,
                )
        except PopulationError as error:
            raise CommandError(str(error)) from error
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        table = Table(title=f"{country}: {result.households:,} households, {result.persons:,} persons")
        table.add_column("dataset")
        table.add_column("rows", justify="right")
        for name, rows in result.rows_by_dataset().items():
            table.add_row(name, f"{rows:,}")
        console.print(table)
        console.print(
            f"{seconds:.1f} s wall ({cpu_seconds:.1f} s CPU), "
            f"{result.households / seconds:,.0f} households/s, peak memory {_peak_rss_mb():,.0f} MB"
        )
        if options["action"] == "generate":
            console.print(f"written to {result.out_dir}")
