"""The demo's transparency step: load the packs' budgets, recompute the published figures, export the
open data the download page serves. Idempotent: budget lines are upserted, files rewritten."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from govreach.transparency import conf
from govreach.transparency.figures import service_packs, snapshot_refresh
from govreach.transparency.opendata import opendata_export
from govreach.transparency.services import budget_load_pack


def step_transparency(ctx: Any) -> Any:
    """Budgets from data/budget.yaml, the figures' snapshots, and the open data files."""
    from govreach.catalogue.management.commands.demo import StepReport

    lines = []
    for pack in service_packs():
        loaded = budget_load_pack(pack=pack)
        if loaded:
            lines.append(f"{pack.id}: {loaded} budget line(s) loaded (illustrative figures)")
    snapshots = snapshot_refresh()
    out = opendata_export(out=conf.opendata_dir())
    lines.append(f"{len(snapshots)} service-year figure snapshot(s), open data in {out}")
    lines.append(f"dashboards: {ctx.url(reverse('transparency:index'))}")
    lines.append(f"open data:  {ctx.url(reverse('transparency:opendata'))}")
    return StepReport("Public figures and open data", lines)
