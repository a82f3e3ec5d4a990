"""The demo's transparency step: load the packs' budgets, recompute the published figures, export the
open data the download page serves. Idempotent: budget lines are upserted, files rewritten."""

from __future__ import annotations

from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import staff_assignment_create
from govreach.registry.models import Area
from govreach.transparency import conf
from govreach.transparency.figures import service_packs, snapshot_refresh
from govreach.transparency.opendata import opendata_export
from govreach.transparency.services import budget_load_pack

DEMO_FINANCE_USERNAME = "demo-finance"
DEMO_FINANCE_PACK = "bd-land-mutation"


def demo_finance_ensure() -> str | None:
    """Only in DEBUG: a finance officer of e-Mutation for the whole country (password and authenticator
    as the other demo staff), who may enter budget lines. Returns the username, or None."""
    from govreach.web.demo import DEMO_PASSWORD

    country = Area.objects.filter(code="BD", depth=0).first()
    if not settings.DEBUG or country is None:
        return None
    user = User.objects.filter(username=DEMO_FINANCE_USERNAME).first()
    if user is None:
        user = User.objects.create_user(username=DEMO_FINANCE_USERNAME, password=DEMO_PASSWORD)
    if not StaffTOTPDevice.objects.filter(user=user).exists():
        StaffTOTPDevice.objects.create(user=user, secret=pyotp.random_base32(32), confirmed_at=timezone.now())
    role = conf.finance_role()
    if not StaffAssignment.objects.filter(
        user=user, pack_id=DEMO_FINANCE_PACK, role=role, area=country
    ).exists():
        staff_assignment_create(user=user, pack_id=DEMO_FINANCE_PACK, role=role, area=country)
    return DEMO_FINANCE_USERNAME


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
    finance = demo_finance_ensure()
    if finance is not None:
        budget = ctx.url(reverse("transparency:budget", kwargs={"pack_id": DEMO_FINANCE_PACK}))
        lines.append(f"budgets:    {budget} (staff '{finance}', finance officer for Bangladesh)")
    return StepReport("Public figures and open data", lines)
