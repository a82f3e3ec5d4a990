"""``govreach demo setup`` step: demo accounts for the e-Mutation journey (bd-land-mutation).

On the Bangladeshi areas already in the registry (the demo population step imports generated ones),
else on a minimal hierarchy created here with the same codes, it creates: a union land assistant, an
assistant commissioner (land) on the upazila, a supervisor on the district, a Union Digital Centre
operator, and a citizen. Staff get a password and a confirmed authenticator. Only in DEBUG: the
password is printed and the same for every demo account. Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import Intermediary, StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import (
    citizen_account_get_or_create,
    intermediary_create,
    staff_assignment_create,
)
from govreach.catalogue.models import ServicePack
from govreach.registry.models import AREA_PATH_SEPARATOR, Area

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

PACK_ID = "bd-land-mutation"
DEMO_PASSWORD = "govreach-demo"  # noqa: S105 - printed for the tester; demo accounts exist only in DEBUG
DEMO_CITIZEN_PHONE = "+8801711000001"
PREFERRED_UNION = "BD-30261111"

# The codes the population generator gives Dhaka > Dhaka > Savar > its first two unions.
FALLBACK_AREAS = (
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka", "district", "BD-30"),
    ("BD-302611", "Savar", "upazila", "BD-3026"),
    ("BD-30261111", "Ramnagar", "union", "BD-302611"),
    ("BD-30261121", "Nayanpur", "union", "BD-302611"),
)


@dataclass(frozen=True)
class DemoStaff:
    username: str
    role: str  # a role of the pack's workflow.yaml, or "intermediary"
    level: str
    description: str


DEMO_STAFF = (
    DemoStaff("demo-ulao", "union_land_assistant", "union", "union land assistant officer"),
    DemoStaff("demo-ac-land", "ac_land", "upazila", "assistant commissioner (land)"),
    DemoStaff("demo-adc", "adc_revenue", "district", "additional deputy commissioner (revenue), supervisor"),
    DemoStaff("demo-udc", "intermediary", "union", "Union Digital Centre operator (assisted channel)"),
)


def _ensure_fallback_areas() -> None:
    """Create the minimal BD hierarchy, reusing every area that already exists by code."""
    for code, name, level, parent_code in FALLBACK_AREAS:
        if Area.objects.filter(code=code).exists():
            continue
        parent = Area.objects.get(code=parent_code) if parent_code else None
        prefix = parent.path if parent is not None else AREA_PATH_SEPARATOR
        path = f"{prefix}{code}{AREA_PATH_SEPARATOR}"
        Area.objects.create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            path=path,
            depth=path.count(AREA_PATH_SEPARATOR) - 2,
        )


def _ancestor(area: Area, level: str) -> Area | None:
    if area.level == level:
        return area
    return area.ancestors().filter(level=level).first()


def demo_areas() -> dict[str, Area]:
    """The union, upazila and district the demo staff work in (created when no BD union exists)."""
    union = Area.objects.filter(code=PREFERRED_UNION, level="union").first() or (
        Area.objects.filter(level="union", path__startswith=f"{AREA_PATH_SEPARATOR}BD{AREA_PATH_SEPARATOR}")
        .order_by("path")
        .first()
    )
    if union is None:
        _ensure_fallback_areas()
        union = Area.objects.get(code=PREFERRED_UNION)
    upazila = _ancestor(union, "upazila")
    district = _ancestor(union, "district")
    if upazila is None or district is None:
        raise RuntimeError(f"the union {union.code} has no upazila or district above it")
    return {"union": union, "upazila": upazila, "district": district}


def _staff_user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
    device = StaffTOTPDevice.objects.filter(user=user).first()
    if device is None:
        StaffTOTPDevice.objects.create(user=user, secret=pyotp.random_base32(32), confirmed_at=timezone.now())
    elif not device.is_confirmed:
        StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return user


@transaction.atomic
def demo_accounts_ensure() -> dict[str, Area]:
    """Create (once) the demo staff, the intermediary and the citizen; returns the areas they work in."""
    areas = demo_areas()
    for staff in DEMO_STAFF:
        user = _staff_user(staff.username)
        area = areas[staff.level]
        if staff.role == "intermediary":
            if not Intermediary.objects.filter(user=user).exists():
                intermediary_create(user=user, centre_name=f"{area.name} Union Digital Centre", area=area)
            continue
        if not StaffAssignment.objects.filter(
            user=user, pack_id=PACK_ID, role=staff.role, area=area
        ).exists():
            staff_assignment_create(user=user, pack_id=PACK_ID, role=staff.role, area=area)
    citizen_account_get_or_create(phone=DEMO_CITIZEN_PHONE, language="en")
    return areas


def totp_command(username: str) -> str:
    return f"GOVREACH_DEBUG=1 uv run --frozen govreach demo_totp {username}"


def step_demo_accounts(ctx: DemoContext) -> StepReport:
    """Demo accounts for the e-Mutation journey, and how to sign in with each."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "e-Mutation demo accounts (bd-land-mutation)"
    if not settings.DEBUG:
        return StepReport(title, [], warnings=["skipped: demo accounts are made only with GOVREACH_DEBUG=1"])
    if not ServicePack.objects.filter(pack_id=PACK_ID, is_active=True).exists():
        return StepReport(title, [], warnings=[f"skipped: load {PACK_ID} first (govreach packs load packs/)"])
    areas = demo_accounts_ensure()
    lines = [
        f"staff sign in at {ctx.url(reverse('accounts:staff_login'))} with password '{DEMO_PASSWORD}',",
        "  then the 6-digit authenticator code printed by: " + totp_command("<username>"),
        "  (or add the secret below to an authenticator app)",
    ]
    for staff in DEMO_STAFF:
        area = areas[staff.level]
        secret = StaffTOTPDevice.objects.get(user__username=staff.username).secret
        lines.append(f"{staff.username:<13} {staff.description}, {area.name} ({staff.level} {area.code})")
        lines.append(f"{'':<13} authenticator secret {secret}")
    login = ctx.url(reverse("accounts:citizen_login"))
    lines += [
        f"citizen: sign in at {login} with the phone {DEMO_CITIZEN_PHONE};",
        f"  read the SMS code on {ctx.url(reverse('web:staff_outbox'))} (signed in as any demo staff),",
        "  or run `govreach notify send`, which prints queued SMS with the console backend",
        f"apply:   {ctx.url(reverse('web:apply_start', kwargs={'pack_id': PACK_ID}))}",
        f"cases:   {ctx.url(reverse('web:staff_queue'))}",
        f"assist:  {ctx.url(reverse('accounts:assist'))} (as demo-udc; consent code: outbox page)",
    ]
    return StepReport(title, lines)
