"""``govreach rules explain PACK --unit FILE.json``: one decision and its full explanation."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from govreach.packs.discovery import resolve_pack
from govreach.packs.loader import PackInvalid, load_pack
from govreach.rules.errors import RuleError
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.inputs import UnitInputError


class Command(BaseCommand):
    help = "Explain a decision of a pack's rules for one unit."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{explain}")
        explain = sub.add_parser("explain", help="decide one unit and explain why")
        explain.add_argument("pack", help="pack id (in the packs folder) or pack folder")
        explain.add_argument("--unit", required=True, help="JSON file with the unit's facts")
        explain.add_argument("--on", help="decision date YYYY-MM-DD (default: today)")
        explain.add_argument("--language", default="en")
        explain.add_argument("--json", action="store_true", help="print the decision and trace as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pack = load_pack(resolve_pack(options["pack"], Path(settings.PACKS_DIR)))
        except PackInvalid as exc:
            raise CommandError(str(exc)) from None
        try:
            on = dt.date.fromisoformat(options["on"]) if options["on"] else dt.date.today()
        except ValueError:
            raise CommandError(f"--on {options['on']!r} is not a date; write YYYY-MM-DD") from None
        unit_path = Path(options["unit"])
        try:
            unit = json.loads(unit_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"--unit {unit_path}: no such file") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"--unit {unit_path}: not JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(unit, dict):
            raise CommandError(f"--unit {unit_path}: expected a JSON object with the unit's facts")
        try:
            result = evaluate_unit(pack.ruleset, unit, on=on, language=options["language"])
        except UnitInputError as exc:
            lines = "\n".join(f"  {p.field}: {p.message}" for p in exc.problems)
            raise CommandError(f"{unit_path} does not fit {pack.id}:\n{lines}") from None
        except RuleError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(result.explain())
