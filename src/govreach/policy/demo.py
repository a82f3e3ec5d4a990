"""``govreach demo setup`` step: a pilot of the tariff's higher income limit, ready to evaluate and roll back.

The story: the country decides under 0.9.0 (the income limit of EUR 5,808), and 1.0.0 (EUR 6,272.64) is
piloted in the Lisboa district from the second cycle of the month. Two policy officers do it, as the
four-eyes rule wants: ``pt-policy-proposer`` takes up the version the system loaded and reviews it,
``pt-policy-approver`` approves it, puts it in force and starts the pilot. A cycle on the pilot's first
day gives the evaluation its "after"; the demo's first tariff cycle is the "before". Only in DEBUG.
Running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.catalogue.models import PackPilot, ServicePack
from govreach.catalogue.services import (
    pack_version_activate,
    pack_version_approve,
    pack_version_review,
    service_pack_load,
)
from govreach.entitlements.models import Cycle
from govreach.entitlements.services import cycle_run
from govreach.packs.loader import load_pack, pack_versions
from govreach.policy.selectors import POLICY_ROLE
from govreach.policy.services import pilot_start
from govreach.registry.models import Area
from govreach.web.demo import DEMO_PASSWORD, _staff_user

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

PACK_ID = "pt-social-energy-tariff"
NATIONAL = "0.9.0"
PILOTED = "1.0.0"
PILOT_AREA = "PT-11"  # Lisboa district
PROPOSER, APPROVER = "pt-policy-proposer", "pt-policy-approver"


def step_policy(ctx: DemoContext) -> StepReport:
    """Two policy officers, 0.9.0 in force, 1.0.0 piloted in Lisboa, and the pages to evaluate it."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "Rule changes: dry run, approval, pilot (pt-social-energy-tariff)"
    if not settings.DEBUG:
        return StepReport(title, [], warnings=["skipped: demo accounts are made only with GOVREACH_DEBUG=1"])
    base = ServicePack.objects.filter(pack_id=PACK_ID, version_dir="").first()
    if base is not None:
        # The versions the pack keeps, as drafts (what `govreach packs load` records; idempotent).
        for kept in pack_versions(base.path):
            service_pack_load(pack=load_pack(base.path, version=kept))
    versions = {v.version: v for v in ServicePack.objects.filter(pack_id=PACK_ID)}
    country, area = Area.objects.filter(code="PT").first(), Area.objects.filter(code=PILOT_AREA).first()
    if NATIONAL not in versions or PILOTED not in versions or country is None or area is None:
        return StepReport(title, [f"skipped: load {PACK_ID} and its versions, and the PT population, first"])
    proposer, approver = _staff_user(PROPOSER), _staff_user(APPROVER)
    for user in (proposer, approver):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        StaffAssignment.objects.get_or_create(
            user=user,
            pack_id=PACK_ID,
            role=POLICY_ROLE,
            area=country,
            defaults={"starts_on": timezone.localdate()},
        )
    lines: list[str] = []
    national = versions[NATIONAL]
    if national.state == ServicePack.State.DRAFT:
        national = pack_version_review(service_pack=national, by=proposer, note="demo")
    if national.state == ServicePack.State.REVIEWED:
        national = pack_version_approve(service_pack=national, by=approver, note="demo")
    pilot = PackPilot.objects.filter(service_pack__pack_id=PACK_ID).order_by("-pk").first()
    if pilot is None:
        pack_version_activate(service_pack=national, by=approver)
        before = (
            Cycle.objects.filter(pack_id=PACK_ID, status=Cycle.Status.COMPLETED)
            .order_by("decided_on")
            .first()
        )
        first_day = (before.decided_on if before else timezone.localdate().replace(day=1)) + dt.timedelta(
            days=1
        )
        pilot = pilot_start(
            service_pack=ServicePack.objects.get(pk=versions[PILOTED].pk),
            areas=[area],
            starts_on=max(first_day, timezone.localdate()),
            by=approver,
        )
        registries = Path(settings.VAR_DIR) / "populations" / "pt"
        if (registries / "registries").is_dir():
            cycle = cycle_run(pack=PACK_ID, decided_on=pilot.starts_on, registries=registries)
            lines.append(
                f"cycle {cycle.pk} of {cycle.decided_on}: Lisboa on {PILOTED}, the rest on {NATIONAL}"
            )
    staff_login = ctx.url(reverse("accounts:staff_login"))
    for username in (PROPOSER, APPROVER):
        secret = StaffTOTPDevice.objects.get(user__username=username).secret
        lines.append(f"{username}: {staff_login}, password {DEMO_PASSWORD}, TOTP secret {secret}")
    diff = ctx.url(reverse("policy:diff", kwargs={"pack_id": PACK_ID}))
    version = ctx.url(reverse("policy:version", kwargs={"pack_id": PACK_ID, "version": PILOTED}))
    registries = Path(settings.VAR_DIR) / "populations" / "pt"
    lines += [
        f"versions:   {ctx.url(reverse('policy:index'))}",
        f"dry run:    {diff}?from={NATIONAL}&to={PILOTED}&on={timezone.localdate()}",
        f"pilot:      {ctx.url(reverse('policy:pilot', kwargs={'pk': pilot.pk}))} (evaluate, then roll back)",
        f"  after the roll-back, start another from {version}",
        f"  0.8.0 is still a draft: {PROPOSER} reviews it, {APPROVER} approves it",
        f"command line: govreach rules diff {PACK_ID} --from {NATIONAL} --to {PILOTED} "
        f"--registries {registries} --on {timezone.localdate()} --out var/review",
    ]
    return StepReport(title, lines)
