"""``govreach packs check|test|schema|load``: validate packs, run their test cases, publish the format."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from govreach.packs.discovery import pack_folders
from govreach.packs.loader import PackInvalid, check_pack, load_pack, pack_versions
from govreach.packs.schema import json_schema
from govreach.packs.testing import run_pack_tests


class Command(BaseCommand):
    help = "Check, test, describe and load service packs."
    requires_system_checks: ClassVar[list[str]] = []  # type: ignore[misc]

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{check,test,schema,load}")
        check = sub.add_parser("check", help="validate packs; every problem names file, line, field and fix")
        check.add_argument("paths", nargs="+", help="pack folders, or folders of packs")
        test = sub.add_parser("test", help="run the packs' test cases (tests/*.yaml)")
        test.add_argument("paths", nargs="+")
        test.add_argument("--verbose", "-V", action="store_true", help="list every case, not only failures")
        schema = sub.add_parser("schema", help="print the JSON Schema of the pack format")
        schema.add_argument("--out", help="write to this file instead of printing")
        load = sub.add_parser("load", help="check packs and load them into the catalogue")
        load.add_argument("paths", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = Console(highlight=False, soft_wrap=True)
        action = options["action"]
        if action == "schema":
            self.run_schema(options.get("out"))
        elif action == "check":
            self.run_check(options["paths"])
        elif action == "test":
            self.run_test(options["paths"], options["verbose"])
        else:
            self.run_load(options["paths"])

    def run_schema(self, out: str | None) -> None:
        text = json.dumps(json_schema(), indent=2, ensure_ascii=False, default=str) + "\n"
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.console.print(f"JSON Schema written to {out}")
        else:
            self.stdout.write(text, ending="")

    def run_check(self, paths: list[str]) -> None:
        failed = 0
        for folder in pack_folders(paths):
            problems = check_pack(folder)
            if problems:
                failed += 1
                self.console.print(f"[red]✗ {folder}[/red]: {len(problems)} problem(s)")
                for problem in problems:
                    self.console.print(f"  {problem}", markup=False)
            else:
                self.console.print(f"[green]✓ {folder}[/green]")
        if failed:
            raise CommandError(f"{failed} pack(s) have problems")

    def run_test(self, paths: list[str], verbose: bool) -> None:
        passed = failed = 0
        # Every kept version is tested too: a version awaiting approval must say what its law says.
        loads = [(folder, v) for folder in pack_folders(paths) for v in (None, *pack_versions(folder))]
        for folder, version in loads:
            try:
                pack = load_pack(folder, version=version)
            except PackInvalid as exc:
                raise CommandError(str(exc)) from None
            results = run_pack_tests(pack)
            if not results:
                raise CommandError(f"{folder}: the pack has no test cases; add tests/*.yaml")
            ok = sum(r.passed for r in results)
            passed, failed = passed + ok, failed + len(results) - ok
            self.console.print(f"{pack.id} {pack.version}: {ok}/{len(results)} cases pass")
            for r in results:
                if verbose or not r.passed:
                    mark = "[green]✓[/green]" if r.passed else "[red]✗[/red]"
                    self.console.print(f"  {mark} {r.file}: {r.name}")
                    for failure in r.failures:
                        self.console.print(f"      {failure}", markup=False)
        self.console.print(f"packs: {passed} passed, {failed} failed")
        if failed:
            raise CommandError(f"{failed} pack test case(s) failed")

    def run_load(self, paths: list[str]) -> None:
        from govreach.catalogue.services import service_pack_load

        # The pack's own files first (the first version of a pack is installed in force), then the
        # versions it keeps, as drafts: none of them is in force before a second person approves it.
        for folder in pack_folders(paths):
            for version in (None, *pack_versions(folder)):
                try:
                    pack = load_pack(folder, version=version)
                except PackInvalid as exc:
                    raise CommandError(str(exc)) from None
                record = service_pack_load(pack=pack)
                self.console.print(f"loaded {record.pack_id} {record.version} ({record.state})")
