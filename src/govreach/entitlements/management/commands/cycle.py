"""``govreach cycle run PACK --on DATE [--engine duckdb|spark] [--registries DIR]``; ``cycle report ID``."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from govreach.entitlements.models import Cycle
from govreach.entitlements.services import CycleError, cycle_run


class RichProgress:
    """One bar per step; the write step counts rows."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def step(self, name: str, total: int | None = None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total or 0)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, rows: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, rows)


def print_report(console: Console, report: dict[str, Any]) -> None:
    """The cycle report as tables: outcomes, reasons, mismatches, links and the ten largest areas."""
    console.print(
        f"[bold]Cycle {report.get('cycle')}[/] {report.get('pack')} on {report.get('decided_on')} "
        f"({report.get('engine')}): {report.get('units', 0):,} units"
    )
    for title, key in (
        ("Outcomes", "outcomes"),
        ("Ended, by criterion that failed", "ended_by_reason"),
        ("Failing criteria (ended, not eligible, undetermined; ?x = unknown)", "failing_criteria"),
        ("Link mismatches by kind", "mismatches"),
        ("Links by rule", "links"),
    ):
        table = Table(title=title, title_justify="left")
        table.add_column(key)
        table.add_column("count", justify="right")
        for name, count in report.get(key, {}).items():
            table.add_row(str(name), f"{count:,}")
        console.print(table)
    areas = report.get("by_area", {})
    outcomes = sorted(report.get("outcomes", {}))
    table = Table(title="By municipality (largest 10)", title_justify="left")
    table.add_column("area")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    for area, counts in sorted(areas.items(), key=lambda kv: -sum(kv[1].values()))[:10]:
        table.add_row(area, *(f"{counts.get(o, 0):,}" for o in outcomes))
    console.print(table)


class Command(BaseCommand):
    help = "Run a proactive entitlement cycle (resuming one that stopped), or print a cycle's report."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="decide every unit of the registries and update the entitlements")
        run.add_argument("pack", help="pack id (under PACKS_DIR) or pack folder")
        run.add_argument("--on", required=True, help="the cycle date, YYYY-MM-DD")
        run.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        run.add_argument(
            "--registries",
            type=Path,
            default=None,
            help="folder with registries/<dataset>.parquet (default: VAR_DIR/registries/pt)",
        )
        run.add_argument("--batch-rows", type=int, default=None, help="rows per write transaction")
        run.add_argument("--drop-workdir", action="store_true", help="delete the working store when done")
        run.add_argument(
            "--outcomes",
            choices=["all", "changes", "none"],
            default=None,
            help="outcome rows in the database: every unit's, only new grants and ends, or none (default: "
            "the pack's); every outcome is always in the cycle's store, where take-up, contests and "
            "evaluations read it",
        )
        run.add_argument("--json", type=Path, default=None, help="also write the steps and report here")
        run.add_argument("--quiet", action="store_true", help="no progress bar and no report tables")
        report = sub.add_parser("report", help="print the stored report of a cycle")
        report.add_argument("cycle_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console()
        if options["action"] == "report":
            cycle = Cycle.objects.filter(pk=options["cycle_id"]).first()
            if cycle is None:
                raise CommandError(f"cycle_id: no cycle {options['cycle_id']}")
            if not cycle.report:
                raise CommandError(f"cycle {cycle.pk} is {cycle.status}; it has no report yet")
            print_report(console, cycle.report)
            return
        try:
            on = dt.date.fromisoformat(options["on"])
        except ValueError:
            raise CommandError(f"--on: expected a date YYYY-MM-DD, got {options['on']!r}") from None
        registries = options["registries"] or Path(settings.VAR_DIR) / "registries" / "pt"
        if not registries.is_dir():
            raise CommandError(
                f"--registries: {registries} is not a folder; generate one with govreach population"
            )
        columns = (
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        arguments: dict[str, Any] = {
            "pack": options["pack"],
            "decided_on": on,
            "registries": registries,
            "engine": options["engine"],
            "keep_workdir": not options["drop_workdir"],
            "batch_rows": options["batch_rows"],
            "outcomes": options["outcomes"],
        }
        try:
            if options["quiet"]:
                cycle = cycle_run(**arguments)
            else:
                with Progress(*columns, console=console, transient=False) as bar:
                    cycle = cycle_run(**arguments, progress=RichProgress(bar))
        except CycleError as error:
            raise CommandError(str(error)) from None
        if options["json"]:
            figures = {"cycle": cycle.pk, "steps": cycle.steps, "report": cycle.report}
            options["json"].write_text(json.dumps(figures), encoding="utf-8")
        if options["quiet"]:
            return
        print_report(console, cycle.report)
        timings = ", ".join(f"{name} {info.get('seconds', 0):.1f}s" for name, info in cycle.steps.items())
        console.print(f"cycle {cycle.pk} {cycle.status}; steps: {timings}")
