"""``govreach demo setup``: prepare this machine's demo, idempotently, and say where to look.

``make demo`` runs it after ``migrate`` and ``govreach packs load packs/``; running it again changes
nothing. Later parts add their own steps (demo accounts, synthetic populations) to ``SETUP_STEPS``:
each step does its work idempotently and returns the lines to print.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from govreach.audit.demo import step_audit
from govreach.catalogue.selectors import ServicePackUnavailable, pack_for, service_pack_list
from govreach.entitlements.demo import step_entitlements
from govreach.feedback.demo import step_feedback
from govreach.govstack.demo import step_govstack
from govreach.outreach.demo import step_outreach
from govreach.policy.demo import step_policy
from govreach.programmes.demo import step_programmes
from govreach.transparency.demo import step_transparency
from govreach.web.demo import step_demo_accounts


@dataclass(frozen=True)
class DemoContext:
    """What every setup step may use: where the demo will be served."""

    base_url: str

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class StepReport:
    """What a step did, for the person running ``make demo``; ``problems`` fail the run, warnings do not."""

    title: str
    lines: list[str]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


Step = Callable[[DemoContext], StepReport]


def step_packs(ctx: DemoContext) -> StepReport:
    """Check that every service in the catalogue loads from its folder, and list them."""
    lines: list[str] = []
    problems: list[str] = []
    warnings: list[str] = []
    for row in service_pack_list():
        try:
            pack_for(row)
        except ServicePackUnavailable as exc:
            problems.append(str(exc))
            continue
        page = ctx.url(reverse("web:service", kwargs={"pack_id": row.pack_id}))
        lines.append(f"{row.pack_id} {row.version} ({row.kind}, {row.country}): {page}")
    if not lines and not problems:
        warnings.append("no service pack is loaded: run `govreach packs load packs/`")
    return StepReport("Services", lines, problems, warnings)


def step_populations(ctx: DemoContext) -> StepReport:
    """A small synthetic population per pack, generated once and imported into the registry."""
    from govreach.registry.demo import demo_population_load

    lines: list[str] = []
    problems: list[str] = []
    for row in service_pack_list():
        try:
            loaded = demo_population_load(pack_dir=Path(row.path), var_dir=Path(settings.VAR_DIR))
        except Exception as exc:  # a broken population must fail the demo with its reason
            problems.append(f"{row.pack_id}: {exc}")
            continue
        if loaded is not None:
            lines.append(
                f"{loaded.pack_id}: {loaded.persons_imported:,} persons in {loaded.households:,} generated "
                f"households ({loaded.country}), {loaded.areas:,} areas"
            )
    return StepReport("Synthetic populations (fictitious people)", lines, problems)


def step_urls(ctx: DemoContext) -> StepReport:
    """Where to look once the server runs."""
    return StepReport(
        "Open",
        [
            f"catalogue:        {ctx.url(reverse('web:catalogue'))}",
            f"API docs:         {ctx.url(reverse('api:openapi-view'))}",
            f"OpenAPI document: {ctx.url(reverse('api:openapi-json'))}",
            f"eligibility API:  POST {ctx.url('/api/v1/services/<pack-id>/eligibility')}",
        ],
    )


# In order: populations before the accounts that work on their areas; the addresses last.
SETUP_STEPS: list[Step] = [
    step_packs,
    step_populations,
    step_demo_accounts,
    step_outreach,
    step_entitlements,
    step_programmes,
    step_feedback,  # before transparency: its figures read the ratings and grievances
    step_policy,
    step_govstack,  # after the demo accounts: its land office acts as demo-ac-land
    step_transparency,
    step_audit,
    step_urls,
]


class Command(BaseCommand):
    help = "Prepare the demo (idempotent): `govreach demo setup`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        setup: ArgumentParser = sub.add_parser("setup", help="prepare the demo and print where to look")
        setup.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the demo is served (for the links)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "setup":
            self.setup(DemoContext(base_url=options["base_url"]))

    def setup(self, ctx: DemoContext) -> None:
        problems: list[str] = []
        for step in SETUP_STEPS:
            report = step(ctx)
            self.stdout.write(self.style.MIGRATE_HEADING(report.title))
            for line in report.lines:
                self.stdout.write(f"  {line}")
            for warning in report.warnings:
                self.stdout.write(self.style.WARNING(f"  {warning}"))
            for problem in report.problems:
                self.stderr.write(self.style.ERROR(f"  {problem}"))
            problems.extend(report.problems)
        if problems:
            raise CommandError(f"the demo is not ready: {len(problems)} problem(s) above")
        self.stdout.write(self.style.SUCCESS("The demo is ready."))
