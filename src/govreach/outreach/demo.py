"""``govreach demo setup`` step: outreach demo accounts, targeting over the demo population, a week planned.

For every loaded outreach pack with an imported demo population: a nurse and a welfare official for the
neighbourhood with the most targeted people, a hospital partner and a coordinator for the district
(areas looked up by the levels of the pack's roles), a targeting run and a week of visits. Idempotent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.catalogue.selectors import active_pack, service_pack_list
from govreach.outreach.models import OutreachRegistration, TargetingRun
from govreach.outreach.services import NotAnOutreachPack, outreach_of, targeting_run, visit_plan_schedule
from govreach.registry.models import Area, RegistrySource

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

DEMO_PASSWORD = "govreach-demo"  # noqa: S105 - printed for the tester; demo accounts exist only in DEBUG


def _demo_user(username: str) -> tuple[User, str]:
    """A staff user with the demo password and a confirmed authenticator; returns it and its secret."""
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    device, _ = StaffTOTPDevice.objects.get_or_create(user=user, defaults={"secret": pyotp.random_base32(32)})
    if device.confirmed_at is None:
        StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return user, device.secret


def _assign(user: User, pack_id: str, role: str, area: Area) -> None:
    StaffAssignment.objects.get_or_create(
        user=user, pack_id=pack_id, role=role, area=area, defaults={"starts_on": timezone.localdate()}
    )


def step_outreach(ctx: DemoContext) -> StepReport:
    """Demo accounts for each outreach pack, targeting on its demo population, a week of visits."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "Outreach visits (demo accounts)"
    if not settings.DEBUG:
        return StepReport(title, [], warnings=["skipped: demo accounts are made only with GOVREACH_DEBUG=1"])
    lines: list[str] = []
    problems: list[str] = []
    today = timezone.localdate()
    for row in service_pack_list():
        try:
            pack = active_pack(row.pack_id)
            outreach = outreach_of(pack)
        except NotAnOutreachPack:
            continue
        except Exception as exc:  # a broken pack is reported by the packs step; say why here too
            problems.append(f"{row.pack_id}: {exc}")
            continue
        country = pack.service.country.lower()
        registries_dir = Path(settings.VAR_DIR) / "populations" / country / "registries"
        source = (
            RegistrySource.objects.filter(dataset=outreach.registries.population)
            .order_by("-updated_at")
            .first()
        )
        if source is None or not registries_dir.is_dir():
            lines.append(f"{pack.id}: no demo population imported yet (the populations step makes it)")
            continue
        if not TargetingRun.objects.filter(pack_id=pack.id, decided_on=today).exists():
            run = targeting_run(pack=pack, registries_dir=registries_dir, on=today, source=source)
        else:
            run = TargetingRun.objects.filter(pack_id=pack.id, decided_on=today).first()  # type: ignore[assignment]
        levels = pack.service.area_levels or []
        busiest = (
            OutreachRegistration.objects.filter(pack_id=pack.id)
            .values("area_id")
            .annotate(n=Count("pk"))
            .order_by("-n", "area_id")
            .first()
        )
        if busiest is None:
            lines.append(f"{pack.id}: nobody targeted in the demo population")
            continue
        neighbourhood = Area.objects.get(pk=busiest["area_id"])
        prefix = pack.id.split("-")[0]
        accounts: list[tuple[str, str, Area]] = []
        for role, spec in outreach.roles.items():
            depth = levels.index(spec.area_level) if spec.area_level in levels else 0
            area = (
                neighbourhood
                if depth >= neighbourhood.depth
                else Area.objects.get(code=neighbourhood.path.strip("/").split("/")[depth])
            )
            accounts.append((f"{prefix}-{role.replace('_', '-')}", role, area))
        secrets: dict[str, str] = {}
        for username, role, area in accounts:
            user, secret = _demo_user(username)
            _assign(user, pack.id, role, area)
            secrets[username] = secret
        summary = visit_plan_schedule(area=neighbourhood, start=today, days=7, pack_id=pack.id)
        lines.append(
            f"{pack.id}: {run.eligible_count if run else 0} people targeted in the demo population; "
            f"{summary.planned} visits newly planned this week in {neighbourhood.name}"
        )
        for username, role, area in accounts:
            lines.append(
                f"  {username:<28} {role} of {area.name} ({area.code})  TOTP secret {secrets[username]}"
            )
        lines.append(
            f"  sign in at {ctx.url(reverse('accounts:staff_login'))} with the password {DEMO_PASSWORD};"
        )
        lines.append(
            "    the code: uv run --frozen python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\""
        )
        lines.append("    (or add the secret to an authenticator app)")
        lines.append(f"  nurse's day:       {ctx.url(reverse('outreach:visit_list'))}")
        lines.append(f"  referral form:     {ctx.url(reverse('outreach:referral_new'))}")
        lines.append(f"  coordinator:       {ctx.url(reverse('outreach:figures'))}")
    return StepReport(title, lines, problems)
