"""``govreach bench cycle``: a full proactive cycle on a generated population, timed step by step.

The cycle runs in a child process on its own database and cycles folder (never the working one); this
process samples the resident memory of itself and its children, and times a plain DuckDB scan and join
of the same registries as the baseline measured in the same run. On a shared machine the wall times
depend on the others' load: the load average around the cycle and the cycle's own CPU time are kept
with the figures.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psutil

from govreach.population import generate_population

PACK = "pt-social-energy-tariff"


class PeakMemory:
    """Peak resident memory of this process and its children, sampled every 50 ms."""

    def __init__(self) -> None:
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            rss = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    rss += child.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_bytes = max(self.peak_bytes, rss)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class CycleBench:
    """Figures of one benchmarked cycle."""

    households: int
    units: int
    cycle_seconds: float
    peak_bytes: int
    steps: dict[str, float]
    baseline_seconds: float
    generated_seconds: float | None
    outcomes: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # user + system time of the cycle process
    step_cpu_seconds: dict[str, float] = field(default_factory=dict)  # user + system time of each step
    load_average: tuple[float, float] = (0.0, 0.0)  # one-minute load average before and after the cycle
    write_outcomes: str = ""  # the cycle's write.outcomes: outcome rows put in the database


def baseline_scan_join(registries: Path, threads: int = 2) -> float:
    """Seconds DuckDB takes to scan the customers and tax registries and join them on the tax number."""
    folder = registries / "registries" if (registries / "registries").is_dir() else registries
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    started = time.perf_counter()
    con.execute(
        "SELECT count(*), sum(t.household_income_eur), count(DISTINCT t.tax_household_id) "
        "FROM read_parquet($c) c JOIN read_parquet($t) t ON t.national_id = c.national_id",
        {
            "c": str(folder / "electricity_customers.parquet"),
            "t": str(folder / "at_household_income.parquet"),
        },
    ).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def bench_cycle(
    *,
    households: int,
    seed: int,
    on: str,
    registries: Path | None = None,
    outcomes: str | None = None,
    database_url: str | None = None,
    pack: str = PACK,
) -> CycleBench:
    """Generate (unless ``registries``), then time one cycle in a child process on its own database."""
    with tempfile.TemporaryDirectory(prefix="govreach-bench-cycle-") as tmp:
        home = Path(tmp)
        generated = None
        if registries is None:
            registries = home / "population"
            started = time.perf_counter()
            generate_population(country="pt", households=households, seed=seed, out_dir=registries)
            generated = time.perf_counter() - started
        baseline = baseline_scan_join(registries)
        env = {
            **os.environ,
            "GOVREACH_VAR_DIR": str(home),
            "DATABASE_URL": database_url or f"sqlite:///{home / 'bench.sqlite3'}",
        }
        env.setdefault("DJANGO_SETTINGS_MODULE", "govreach.config.settings")
        govreach = [sys.executable, "-m", "govreach"]
        subprocess.run([*govreach, "migrate", "-v0", "--skip-checks"], env=env, check=True)  # noqa: S603
        result = home / "cycle.json"
        run = [*govreach, "cycle", "--skip-checks", "run", pack, "--on", on, "--registries", str(registries)]
        run += ["--drop-workdir", "--json", str(result), "--quiet"]
        if outcomes is not None:
            run += ["--outcomes", outcomes]
        load_before = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with PeakMemory() as memory:
            started = time.perf_counter()
            subprocess.run(run, env=env, check=True)  # noqa: S603
            elapsed = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()[0]
        figures: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    steps = {name: float(info.get("seconds", 0.0)) for name, info in figures["steps"].items()}
    step_cpu = {name: float(info.get("cpu_seconds", 0.0)) for name, info in figures["steps"].items()}
    return CycleBench(
        households=households,
        units=int(figures["report"].get("units", 0)),
        cycle_seconds=elapsed,
        peak_bytes=memory.peak_bytes,
        steps=steps,
        baseline_seconds=baseline,
        generated_seconds=generated,
        outcomes=dict(figures["report"].get("outcomes", {})),
        cpu_seconds=(cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
        load_average=(load_before, load_after),
        step_cpu_seconds=step_cpu,
        write_outcomes=str(figures["steps"].get("write", {}).get("outcomes", "")),
    )
