"""``govreach rules explain|diff``: one decision and its explanation; a dry run of a rule change.

``govreach rules diff PACK --from VERSION --to VERSION --registries DIR --on DATE [--out DIR]`` decides a
registry snapshot under both versions and prints who would gain and lose, by area and by criterion,
with small counts hidden; the list of affected units goes to ``--out`` for review, never to the screen.
"""

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
        sub = parser.add_subparsers(dest="action", required=True, metavar="{explain,diff}")
        explain = sub.add_parser("explain", help="decide one unit and explain why")
        explain.add_argument("pack", help="pack id (in the packs folder) or pack folder")
        explain.add_argument("--unit", required=True, help="JSON file with the unit's facts")
        explain.add_argument("--on", help="decision date YYYY-MM-DD (default: today)")
        explain.add_argument("--language", default="en")
        explain.add_argument("--json", action="store_true", help="print the decision and trace as JSON")
        diff = sub.add_parser("diff", help="dry run: who gains and who loses between two versions of a pack")
        diff.add_argument("pack", help="pack id (in the packs folder) or pack folder")
        diff.add_argument("--from", dest="from_version", required=True, help="the version in force")
        diff.add_argument("--to", dest="to_version", required=True, help="the proposed version")
        diff.add_argument("--registries", required=True, type=Path, help="a registry snapshot folder")
        diff.add_argument("--on", required=True, help="decision date YYYY-MM-DD")
        diff.add_argument("--level", default="district", help="area level of the summary (areas.csv)")
        diff.add_argument("--out", type=Path, help="folder for affected_units.csv and summary.json")
        diff.add_argument("--json", action="store_true", help="print the published summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "diff":
            self.run_diff(options)
            return
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

    def run_diff(self, options: dict[str, Any]) -> None:
        from govreach.entitlements.services import CycleError
        from govreach.policy.dryrun import DryRunError, dry_run, published_summary, write_affected
        from govreach.policy.report import summary_text

        folder = resolve_pack(options["pack"], Path(settings.PACKS_DIR))
        try:
            before = load_pack(folder, version=options["from_version"])
            after = load_pack(folder, version=options["to_version"])
        except PackInvalid as exc:
            raise CommandError(str(exc)) from None
        try:
            on = dt.date.fromisoformat(options["on"])
        except ValueError:
            raise CommandError(f"--on {options['on']!r} is not a date; write YYYY-MM-DD") from None
        registries: Path = options["registries"]
        if not registries.is_dir():
            raise CommandError(f"--registries {registries}: no such folder")
        try:
            run = dry_run(before=before, after=after, registries=registries, on=on, level=options["level"])
        except (DryRunError, CycleError) as exc:
            raise CommandError(str(exc)) from None
        summary = published_summary(run)
        if options["out"] is not None:
            out: Path = options["out"]
            affected = write_affected(run, out)
            (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
            self.stderr.write(f"{len(run.changes)} affected unit(s) written to {affected} (for review only)")
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(summary_text(summary))
