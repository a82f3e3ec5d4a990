"""``govreach bench_cycle --households N``: generate a population, run a full DuckDB cycle, time each step."""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import psutil
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from rich.console import Console
from rich.table import Table

from govreach.entitlements.services import cycle_run
from govreach.population import generate_population


class _PeakMemory:
    """Peak resident memory of this process and its children, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            rss = me.memory_info().rss + sum(c.memory_info().rss for c in me.children(recursive=True))
            self.peak = max(self.peak, rss)
            self._stop.wait(0.05)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Command(BaseCommand):
    help = "Benchmark a full proactive cycle (link, decide, compare, write) on a generated population."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--households", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--registries", type=Path, default=None, help="reuse a generated population")
        parser.add_argument("--on", default="2025-01-01")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console()
        with tempfile.TemporaryDirectory(prefix="govreach-bench-cycle-") as tmp:
            registries = options["registries"]
            generated = 0.0
            if registries is None:
                registries = Path(tmp) / "population"
                started = time.perf_counter()
                generate_population(
                    country="pt", households=options["households"], seed=options["seed"], out_dir=registries
                )
                generated = time.perf_counter() - started
                console.print(f"population of {options['households']:,} households in {generated:.1f}s")
            with override_settings(GOVREACH_CYCLES_DIR=str(Path(tmp) / "cycles")), _PeakMemory() as memory:
                started = time.perf_counter()
                cycle = cycle_run(
                    pack="pt-social-energy-tariff",
                    decided_on=dt.date.fromisoformat(options["on"]),
                    registries=registries,
                    keep_workdir=False,
                )
                elapsed = time.perf_counter() - started
        units = int(cycle.report.get("units", 0))
        table = Table(title=f"cycle {cycle.pk}: {units:,} supply points", title_justify="left")
        table.add_column("step")
        table.add_column("seconds", justify="right")
        for name, info in cycle.steps.items():
            table.add_row(name, f"{float(info.get('seconds', 0)):.1f}")
        table.add_row("total", f"{elapsed:.1f}")
        console.print(table)
        console.print(
            f"throughput {units / elapsed:,.0f} supply points/s; peak memory {memory.peak / 2**30:.2f} GiB; "
            f"outcomes {cycle.report.get('outcomes')}"
        )
