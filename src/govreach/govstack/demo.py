"""The demo step of the GovStack APIs: the client developers' dataset and where the APIs are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from govreach.govstack.models import ClientSystem, Registry
from govreach.govstack.seed import DEMO_CLIENTS, MCTS, govstack_seed, keys_path

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport


def step_govstack(ctx: DemoContext) -> StepReport:
    """Load the GovStack demo dataset (idempotent: keys are made once) and list the two APIs.

    ``govreach govstack seed --reset`` starts the dataset afresh with new keys.
    """
    from govreach.catalogue.management.commands.demo import StepReport

    report = govstack_seed(reset=False, load_service=False)
    lines = [
        f"Registration API:       {ctx.url(reverse('govstack:services'))} "
        f"(OpenAPI: {ctx.url(reverse('govstack:registration_openapi'))})",
        f"Digital Registries API: {ctx.url(reverse('govstack:databases'))} "
        f"(OpenAPI: {ctx.url(reverse('govstack:registries_openapi'))})",
        "send 'Authorization: Bearer <key>' and 'Information-Mediator-Client: <client system>'",
        f"client systems (their API keys are in {keys_path()}):",
    ]
    for demo in DEMO_CLIENTS:
        client = ClientSystem.objects.get(identifier=demo.identifier)
        lines.append(f"  {client.identifier}: {', '.join(client.permissions)}")
    registry = Registry.objects.get(name=MCTS)
    latest = registry.schemas.order_by("-pk").first()
    lines.append(
        f"registry {MCTS}: schema {latest.version if latest else '-'}, {registry.records.count()} records"
    )
    return StepReport("GovStack APIs (client systems and demo data)", lines, warnings=report.warnings)
