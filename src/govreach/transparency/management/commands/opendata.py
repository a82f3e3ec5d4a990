"""``govreach opendata``: recompute the published figures and write the open data.

govreach opendata refresh            recompute every service's figures and rewrite the files the
                                     public download page serves (GOVREACH_TRANSPARENCY_OPENDATA_DIR)
govreach opendata export --out DIR   write the data package (CSV, Parquet, datapackage.json) to DIR
govreach opendata budgets            load the budget lines of every pack's data/budget.yaml
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govreach.transparency import conf
from govreach.transparency.figures import service_packs, snapshot_refresh
from govreach.transparency.opendata import opendata_export
from govreach.transparency.services import budget_load_pack


class Command(BaseCommand):
    help = "Public figures and open data: refresh, export, load budgets."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        sub.add_parser("refresh", help="recompute the figures and rewrite the served open data")
        export: ArgumentParser = sub.add_parser("export", help="write the data package to a folder")
        export.add_argument("--out", required=True, type=Path, help="the folder to write (replaced)")
        sub.add_parser("budgets", help="load the packs' data/budget.yaml")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "budgets":
            for pack in service_packs():
                self.stdout.write(f"{pack.id}: {budget_load_pack(pack=pack)} budget line(s)")
            return
        if action == "refresh":
            snapshots = snapshot_refresh()
            self.stdout.write(f"{len(snapshots)} service-year snapshot(s) recomputed")
            out = opendata_export(out=conf.opendata_dir())
        else:
            out = opendata_export(out=options["out"], refresh=True)
        self.stdout.write(f"open data written to {out}")
