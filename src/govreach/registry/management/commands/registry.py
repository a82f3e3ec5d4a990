"""``govreach registry import|link``: load a registry file into a source, link two sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from govreach.registry.linking import linkage_thresholds, sources_link
from govreach.registry.mapping import MappingError, mapping_load
from govreach.registry.models import ImportRun, RegistrySource
from govreach.registry.services import ImportOptions, LinkPersistError, registry_source_import


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--extracted-on {text!r} is not a date; write it as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Registries: import a file into a registry source, or link two sources."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{import,link}")
        imp = sub.add_parser("import", help="Import a CSV/Parquet file (anything DuckDB reads) into SOURCE.")
        imp.add_argument("source", help="registry source name (created from the mapping if new)")
        imp.add_argument("file", type=Path)
        imp.add_argument("--mapping", type=Path, required=True, help="mapping YAML (columns, types, key)")
        imp.add_argument("--batch-size", type=int, default=50_000)
        imp.add_argument(
            "--errors", type=Path, default=None, help="error report CSV (default: FILE.errors.csv)"
        )
        imp.add_argument(
            "--extracted-on", type=_date, default=None, help="extraction date, overrides the mapping"
        )
        link = sub.add_parser("link", help="Link the records of two sources; store and report the links.")
        link.add_argument("left_source")
        link.add_argument("right_source")
        upper, lower = linkage_thresholds()
        link.add_argument("--upper", type=float, default=upper, help=f"accept at or above (default {upper})")
        link.add_argument("--lower", type=float, default=lower, help=f"reject below (default {lower})")
        link.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
        link.add_argument(
            "--truth", type=Path, default=None, help="truth table: dataset, record_id, person_id"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout, highlight=False)  # type: ignore[arg-type]
        if options["subcommand"] == "import":
            self._import(console, options)
        else:
            self._link(console, options)

    def _import(self, console: Console, options: dict[str, Any]) -> None:
        file_path: Path = options["file"]
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        try:
            mapping = mapping_load(options["mapping"])
        except MappingError as exc:
            raise CommandError(str(exc)) from None
        if not file_path.is_file():
            raise CommandError(f"{file_path}: no such file")
        extracted = options["extracted_on"]
        import_options = ImportOptions(
            batch_size=options["batch_size"],
            error_report_path=options["errors"],
            extracted_at=dt.datetime.combine(extracted, dt.time.min, tzinfo=dt.UTC) if extracted else None,
        )
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task(f"importing {file_path.name}", total=None)

            def on_progress(run: ImportRun) -> None:
                progress.update(task, total=run.rows_total, completed=run.read_count)

            try:
                run = registry_source_import(
                    source_name=options["source"],
                    file_path=file_path,
                    mapping=mapping,
                    options=import_options,
                    on_progress=on_progress,
                )
            except (ValueError, FileNotFoundError) as exc:
                raise CommandError(str(exc)) from None
        table = Table(title=f"Import {run.pk} into {run.source.name}")
        for name in ("read", "inserted", "updated", "unchanged", "quarantined"):
            table.add_column(name, justify="right")
        table.add_row(
            *(
                f"{getattr(run, f'{n}_count'):,}"
                for n in ("read", "inserted", "updated", "unchanged", "quarantined")
            )
        )
        console.print(table)
        if run.quarantined_count:
            console.print(
                f"{run.quarantined_count:,} row(s) quarantined; see {run.error_report}", soft_wrap=True
            )

    def _link(self, console: Console, options: dict[str, Any]) -> None:
        try:
            report = sources_link(
                left_source_name=options["left_source"],
                right_source_name=options["right_source"],
                upper_threshold=options["upper"],
                lower_threshold=options["lower"],
                engine=options["engine"],
                truth_path=options["truth"],
            )
        except RegistrySource.DoesNotExist:
            raise CommandError(
                f"unknown source {options['left_source']!r} or {options['right_source']!r}; import it first"
            ) from None
        except (LinkPersistError, ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from None
        table = Table(title=f"Links {options['left_source']} -> {options['right_source']}")
        table.add_column("")
        table.add_column("count", justify="right")
        table.add_row("left records", f"{report.left_records:,}")
        table.add_row("right records", f"{report.right_records:,}")
        table.add_row("accepted", f"{report.saved.accepted:,}")
        table.add_row("sent to review", f"{report.saved.review:,}")
        table.add_row("rejected", f"{report.saved.rejected:,}")
        table.add_row("kept clerk's decision", f"{report.saved.kept_clerical:,}")
        for name, value in report.metrics.items():
            table.add_row(name, f"{value:.4f}")
        console.print(table)
