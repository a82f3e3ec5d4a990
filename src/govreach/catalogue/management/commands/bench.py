"""``govreach bench eligibility``: compiled batch against hand-written DuckDB SQL, same data, same run."""

from __future__ import annotations

import datetime as dt
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from govreach.packs.discovery import resolve_pack
from govreach.packs.loader import PackInvalid, load_pack
from govreach.rules.bench import bench_pt_eligibility

SUPPORTED = {"pt-social-energy-tariff"}


class Command(BaseCommand):
    help = "Benchmarks that print figures and ratios against a baseline measured in the same run."
    requires_system_checks: ClassVar[list[str]] = []  # type: ignore[misc]

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{eligibility,cycle,api}")
        e = sub.add_parser("eligibility", help="households per second: compiled rules vs hand-written SQL")
        e.add_argument("--pack", default="pt-social-energy-tariff")
        e.add_argument("--households", type=int, default=1_000_000)
        e.add_argument("--seed", type=int, default=2016)
        e.add_argument("--on", default="2024-07-01", help="decision date YYYY-MM-DD")
        e.add_argument("--repeats", type=int, default=3, help="runs per query; the best counts")
        c = sub.add_parser("cycle", help="a full proactive cycle: throughput, peak memory, seconds per step")
        c.add_argument("--pack", default="pt-social-energy-tariff", help="pack id or folder")
        c.add_argument("--households", type=int, default=1_000_000)
        c.add_argument("--seed", type=int, default=1)
        c.add_argument("--registries", type=Path, default=None, help="reuse a generated population")
        c.add_argument("--on", default="2025-01-01", help="the cycle date YYYY-MM-DD")
        c.add_argument(
            "--outcomes",
            choices=["all", "changes", "none"],
            default=None,
            help="outcome rows in the database: every unit's, new grants and ends, or none "
            "(default: the pack's)",
        )
        c.add_argument("--database-url", default=None, help="run on this database (default: a new SQLite)")
        a = sub.add_parser("api", help="requests per second: eligibility API vs /healthz/, through WSGI")
        a.add_argument("--pack", default="pt-social-energy-tariff", help="a loaded pack's id")
        a.add_argument("--requests", type=int, default=2000, help="requests per round and endpoint")
        a.add_argument("--rounds", type=int, default=5, help="alternating rounds; the best counts")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(highlight=False)
        if options["action"] == "cycle":
            self._cycle(console, options)
            return
        if options["action"] == "api":
            self._api(console, options)
            return
        if options["pack"] not in SUPPORTED:
            raise CommandError(
                f"--pack: a hand-written baseline exists for {', '.join(sorted(SUPPORTED))} only"
            )
        if options["households"] < 1:
            raise CommandError("--households must be at least 1")
        try:
            pack = load_pack(resolve_pack(options["pack"], Path(settings.PACKS_DIR)))
            on = dt.date.fromisoformat(options["on"])
        except PackInvalid as exc:
            raise CommandError(str(exc)) from None
        except ValueError:
            raise CommandError(f"--on {options['on']!r} is not a date; write YYYY-MM-DD") from None
        with console.status(f"generating {options['households']:,} households and running both queries"):
            result = bench_pt_eligibility(
                pack.ruleset,
                households=options["households"],
                seed=options["seed"],
                on=on,
                repeats=options["repeats"],
            )
        console.print(
            f"households: {result.households:,} ({result.members:,} members), decided on {on.isoformat()}"
        )
        console.print(
            f"eligible for electricity: {result.eligible:,} ({result.eligible / result.households:.1%})"
        )
        console.print(f"answers differing between compiled and hand-written: {result.disagreements}")
        console.print(f"compiled batch: {result.households / result.compiled_seconds:,.0f} households/s "
                      f"({result.compiled_seconds:.3f} s)")  # fmt: skip
        console.print(f"hand-written SQL: {result.households / result.hand_seconds:,.0f} households/s "
                      f"({result.hand_seconds:.3f} s)")  # fmt: skip
        if result.disagreements:
            raise CommandError(
                f"{result.disagreements} households decided differently: the compiled rules are wrong"
            )
        self.stdout.write(f"ratio compiled/hand: {result.ratio:.2f}")

    def _cycle(self, console: Console, options: dict[str, Any]) -> None:
        from govreach.entitlements.bench import bench_cycle

        if options["households"] < 1:
            raise CommandError("--households must be at least 1")
        with console.status("running the cycle"):
            result = bench_cycle(
                households=options["households"],
                seed=options["seed"],
                on=options["on"],
                registries=options["registries"],
                outcomes=options["outcomes"],
                database_url=options["database_url"],
                pack=options["pack"],
            )
        if result.generated_seconds is not None:
            generated = result.generated_seconds
            console.print(f"population of {result.households:,} households in {generated:.1f} s")
        console.print(f"cycle of {result.units:,} supply points (write.outcomes={result.write_outcomes})")
        for name, seconds in result.steps.items():
            cpu = result.step_cpu_seconds.get(name, 0.0)
            console.print(f"  {name:<8} {seconds:8.1f} s (CPU {cpu:.1f} s)")
        console.print(f"  {'total':<8} {result.cycle_seconds:8.1f} s (process, start to end)")
        console.print(
            f"throughput {result.units / result.cycle_seconds:,.0f} supply points/s; "
            f"peak memory {result.peak_bytes / 2**30:.2f} GiB (with child processes)"
        )
        console.print(
            f"cycle CPU time {result.cpu_seconds:.1f} s on {os.cpu_count()} cores; load average "
            f"{result.load_average[0]:.2f} before, {result.load_average[1]:.2f} after"
        )
        console.print(
            f"baseline: DuckDB scan and join of customers and tax {result.baseline_seconds:.1f} s; "
            f"cycle/baseline {result.cycle_seconds / result.baseline_seconds:.1f}x"
        )
        console.print(f"outcomes {result.outcomes}")

    def _api(self, console: Console, options: dict[str, Any]) -> None:
        from django.core.wsgi import get_wsgi_application
        from django.test.utils import override_settings

        from govreach.api.bench import PT_HOUSEHOLD, bench_api
        from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack

        if options["requests"] < 1 or options["rounds"] < 1:
            raise CommandError("--requests and --rounds must be at least 1")
        if options["pack"] != "pt-social-energy-tariff":
            raise CommandError("--pack: a request body exists for pt-social-energy-tariff only")
        try:
            active_pack(options["pack"])
        except (ServicePackNotFound, ServicePackUnavailable):
            # Checked here: otherwise every request of the run would log the same 503.
            raise CommandError(f"load the pack first: govreach packs load packs/{options['pack']}") from None
        if settings.DEBUG:
            console.print("[yellow]DEBUG is on: Django records every query, which slows the API down[/]")
        hosts = [h for h in settings.ALLOWED_HOSTS if not h.startswith(".") and h != "*"]
        host = hosts[0] if hosts else "localhost"
        # Plain HTTP stands for the TLS front end, as in loadtest/: no redirect to https.
        with override_settings(ALLOWED_HOSTS=[host], SECURE_SSL_REDIRECT=False):
            app = get_wsgi_application()
            with console.status(f"{options['rounds']} rounds of {options['requests']:,} requests each"):
                result = bench_api(
                    app,
                    pack_id=options["pack"],
                    body=PT_HOUSEHOLD,
                    host=host,
                    requests=options["requests"],
                    rounds=options["rounds"],
                )
        for name, codes in result.statuses.items():
            if codes != {"200 OK"}:
                raise CommandError(f"{name} answered {', '.join(sorted(codes))}: the figures mean nothing")
        console.print(f"/healthz/: {result.healthz_rps:,.0f} requests/s (best of {result.rounds} rounds)")
        console.print(f"eligibility API: {result.eligibility_rps:,.0f} requests/s (best of {result.rounds})")
        self.stdout.write(f"ratio eligibility/healthz: {result.ratio:.2f}")
