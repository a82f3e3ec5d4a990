"""``govreach govstack seed [--reset]``: the demo dataset for GovStack client developers."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govreach.govstack.seed import govstack_seed


class Command(BaseCommand):
    help = "GovStack building blocks: `govreach govstack seed [--reset]` loads the demo dataset."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        seed: ArgumentParser = sub.add_parser(
            "seed", help="load the demo client systems, registry and service"
        )
        seed.add_argument(
            "--reset",
            action="store_true",
            help="delete the demo client systems and registry first (new keys)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seed":
            report = govstack_seed(reset=options["reset"])
            for line in report.lines:
                self.stdout.write(line)
            for warning in report.warnings:
                self.stderr.write(f"warning: {warning}")
