"""The demo step of the GovStack APIs: the client developers' dataset and where the APIs are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from govreach.govstack.seed import govstack_seed

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport


def step_govstack(ctx: DemoContext) -> StepReport:
    """Load the GovStack demo dataset afresh (new demo keys each run) and list the two APIs."""
    from govreach.catalogue.management.commands.demo import StepReport

    report = govstack_seed(reset=True)
    lines = [
        f"Registration API:       {ctx.url(reverse('govstack:services'))} "
        f"(OpenAPI: {ctx.url(reverse('govstack:registration_openapi'))})",
        f"Digital Registries API: {ctx.url(reverse('govstack:databases'))} "
        f"(OpenAPI: {ctx.url(reverse('govstack:registries_openapi'))})",
        "send 'Authorization: Bearer <key>' and 'Information-Mediator-Client: <client system>'",
        *report.lines,
    ]
    return StepReport("GovStack APIs (client systems and demo data)", lines, warnings=report.warnings)
