"""``govreach demo setup`` step: a tariff cycle on the demo population, its notices, a demo supplier with a
partner user and an API token, a reviewer, and a citizen who holds a granted entitlement. Idempotent."""

from __future__ import annotations

import csv
import hashlib
import hmac
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import CitizenAccount, StaffAssignment, StaffTOTPDevice
from govreach.catalogue.selectors import service_pack_list
from govreach.entitlements.models import Cycle, EntitlementPerson, PartnerToken
from govreach.entitlements.notifications import entitlements_notify_cycle
from govreach.entitlements.partners import (
    PACK_ID,
    REQUIRED_COLUMNS,
    TOKEN_PREFIX,
    _hash,
    customers_dataset_path,
    partner_create,
    partner_member_add,
)
from govreach.entitlements.services import cycle_run
from govreach.registry.models import Area

if TYPE_CHECKING:
    from govreach.catalogue.management.commands.demo import DemoContext, StepReport

DEMO_PASSWORD = "govreach-demo"  # noqa: S105 - printed for the tester; demo accounts exist only in DEBUG
DEMO_CITIZEN_FALLBACK_PHONE = "+351910000001"


def _staff(username: str) -> tuple[User, str]:
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    device, _ = StaffTOTPDevice.objects.get_or_create(user=user, defaults={"secret": pyotp.random_base32(32)})
    if device.confirmed_at is None:
        StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return user, device.secret


def _demo_token(supplier_id: str) -> str:
    """The same token on every run (derived from the secret key), so the step can print it again."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-partner:{supplier_id}".encode(), hashlib.sha256)
    return TOKEN_PREFIX + digest.hexdigest()[:40]


def step_entitlements(ctx: DemoContext) -> StepReport:
    """Run the tariff cycle on the demo population and make the partner, reviewer and citizen accounts."""
    from govreach.catalogue.management.commands.demo import StepReport

    title = "Social energy tariff (cycle, supplier, citizen)"
    if not settings.DEBUG:
        return StepReport(title, [], warnings=["skipped: demo accounts are made only with GOVREACH_DEBUG=1"])
    if not any(row.pack_id == PACK_ID for row in service_pack_list()):
        return StepReport(title, [f"{PACK_ID} is not loaded"])
    registries = Path(settings.VAR_DIR) / "populations" / "pt"
    if not (registries / "registries").is_dir():
        return StepReport(title, ["no demo population for PT yet (the populations step makes it)"])
    lines: list[str] = []
    cycle = (
        Cycle.objects.filter(pack_id=PACK_ID, status=Cycle.Status.COMPLETED).order_by("-decided_on").first()
    )
    if cycle is None:
        cycle = cycle_run(pack=PACK_ID, decided_on=timezone.localdate().replace(day=1), registries=registries)
    notified = entitlements_notify_cycle(cycle=cycle)
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(cycle.counts.items()))
    lines.append(f"cycle {cycle.pk} of {cycle.decided_on}: {counts}")
    lines.append(
        f"  notices queued now: {notified.granted} grants, {notified.ended} ends ({notified.by_channel})"
    )
    holder = (
        EntitlementPerson.objects.filter(
            entitlement__pack_id=PACK_ID,
            entitlement__status="active",
            is_contract_holder=True,
            person__isnull=False,
        )
        .select_related("entitlement", "person")
        .order_by("entitlement__pk")
        .first()
    )
    if holder is None or holder.person is None:
        return StepReport(title, [*lines, "no granted holder found in the registry: no demo citizen"])
    person = holder.person
    entitlement = holder.entitlement
    phone = person.phone if person.phone.startswith("+") else DEMO_CITIZEN_FALLBACK_PHONE
    account = (
        CitizenAccount.objects.filter(person=person).first()
        or CitizenAccount.objects.filter(phone=phone).first()
    )
    if account is None:
        user, _ = User.objects.get_or_create(username=f"citizen-{phone}")
        account = CitizenAccount.objects.create(
            user=user, phone=phone, preferred_language="pt", person=person
        )
    elif account.person_id != person.pk:
        account.person = person
        account.save(update_fields=["person"])
    supplier_id = entitlement.supplier_id or "edp_comercial"
    partner = partner_create(supplier_id=supplier_id, name=f"Demo supplier {supplier_id}")
    partner_user, partner_secret = _staff(f"pt-supplier-{supplier_id}".replace("_", "-"))
    partner_member_add(partner=partner, user=partner_user)
    raw = _demo_token(supplier_id)
    PartnerToken.objects.get_or_create(
        key_hash=_hash(raw), defaults={"partner": partner, "name": "demo", "prefix": raw[:12]}
    )
    reviewer, reviewer_secret = _staff("pt-reviewer")
    country = Area.objects.filter(code="PT").first()
    if country is not None:
        for role in ("tariff_reviewer_national", "tariff_counter"):
            StaffAssignment.objects.get_or_create(
                user=reviewer,
                pack_id=PACK_ID,
                role=role,
                area=country,
                defaults={"starts_on": timezone.localdate()},
            )
    sample = Path(settings.VAR_DIR) / "demo" / f"customer-list-{supplier_id}.csv"
    sample.parent.mkdir(parents=True, exist_ok=True)
    rows = (
        duckdb.connect()
        .execute(
            # One row per supply point, as the upload requires (the population lists some twice).
            f"SELECT DISTINCT ON (cpe) {', '.join(REQUIRED_COLUMNS)} FROM read_parquet(?) "  # noqa: S608
            "WHERE supplier_id = ? ORDER BY cpe, record_id",
            [customers_dataset_path(registries).as_posix(), supplier_id],
        )
        .fetchall()
    )
    with sample.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(REQUIRED_COLUMNS)
        for row in rows:
            writer.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row])
    login = ctx.url(reverse("accounts:citizen_login"))
    staff_login = ctx.url(reverse("accounts:staff_login"))
    lines += [
        f"citizen: sign in at {login} with the phone {account.phone}",
        f"  (holder of {entitlement.supply_point_code}); the SMS code is on",
        f"  {ctx.url(reverse('web:staff_outbox'))};",
        f"  then {ctx.url(reverse('entitlements:mine'))} shows the tariff, its reasons and the Refuse button",
        f"supplier {supplier_id}: {partner_user.username} at {staff_login}, password {DEMO_PASSWORD}, "
        f"TOTP secret {partner_secret}",
        f"  partner page {ctx.url(reverse('entitlements:partner'))}; a list to upload: {sample}",
        f"  API token {raw}",
        f"  curl -H 'Authorization: Bearer {raw}' -F file=@{sample} "
        f"{ctx.url('/api/v1/partners/customer-lists')}",
        f"  curl -H 'Authorization: Bearer {raw}' '{ctx.url('/api/v1/partners/answers')}?cycle={cycle.pk}'",
        f"reviewer/counter: pt-reviewer, password {DEMO_PASSWORD}, TOTP secret {reviewer_secret}: "
        f"{ctx.url(reverse('entitlements:reviews', kwargs={'pack_id': PACK_ID}))}, "
        f"{ctx.url(reverse('entitlements:counter', kwargs={'pack_id': PACK_ID}))}",
        "  TOTP code: uv run --frozen python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
        f"take-up: {ctx.url(reverse('entitlements:take_up', kwargs={'pack_id': PACK_ID}))}",
    ]
    return StepReport(title, lines)
