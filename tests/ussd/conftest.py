"""Builders for the USSD and inbound SMS tests: gateway secrets, packs in the catalogue, a submitted
application with its tracking code, and active entitlements whose holder has a known phone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.cache import cache as django_cache
from django.test import Client
from django.utils import timezone

from govreach.cases.models import Application, CaseEvent
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.entitlements.models import Cycle, Entitlement, EntitlementPerson
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Person

USSD_SECRET = "ussd-test-secret-1234"
SMS_SECRET = "sms-test-secret-5678"
BD_PACK = "bd-land-mutation"
PT_PACK = "pt-social-energy-tariff"
REFERENCE = "BD-2026-000123"
TRACKING_CODE = "ABCD2345"
HOLDER_PHONE = "+351912345678"
OTHER_PHONE = "+351919999999"
UK_PHONE = "+447700900123"  # a country GovReach has no language for: English
SUPPLY_POINTS = ("PT0002000012345678AB", "PT0002000087654321CD")


@cache
def pack(pack_id: str) -> Pack:
    return load_pack(Path(settings.BASE_DIR) / "packs" / pack_id)


@pytest.fixture(autouse=True)
def gateway_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREACH_USSD_SECRET", USSD_SECRET)
    monkeypatch.setenv("GOVREACH_SMS_INBOUND_SECRET", SMS_SECRET)
    monkeypatch.delenv("GOVREACH_USSD_SERVICE_CODES", raising=False)
    monkeypatch.delenv("GOVREACH_USSD_SESSION_SECONDS", raising=False)


@pytest.fixture(autouse=True)
def clear_throttles() -> None:
    django_cache.clear()


@pytest.fixture
def load_packs(db: None) -> Callable[..., list[ServicePack]]:
    def load(*pack_ids: str) -> list[ServicePack]:
        return [service_pack_load(pack=pack(pack_id)) for pack_id in pack_ids]

    return load


@pytest.fixture
def application(load_packs: Callable[..., list[ServicePack]]) -> Application:
    """A submitted e-Mutation application, as application_submit leaves it (model factory)."""
    load_packs(BD_PACK)
    user = User.objects.create_user(username="applicant")
    now = timezone.now()
    application = Application.objects.create(
        reference=REFERENCE,
        status_secret_hash=make_password(TRACKING_CODE),
        pack_id=BD_PACK,
        pack_version=pack(BD_PACK).version,
        form_id="application",
        applicant=user,
        submitted_by=user,
        state="submitted",
        state_entered_at=now,
        submitted_at=now,
        due_at=now + dt.timedelta(days=28),
    )
    CaseEvent.objects.create(
        application=application, actor=user, action="submit", from_state="draft", to_state="submitted"
    )
    return application


@pytest.fixture
def entitlements(load_packs: Callable[..., list[ServicePack]]) -> list[Entitlement]:
    """Two active tariffs whose contract holder's registry phone is HOLDER_PHONE."""
    load_packs(PT_PACK)
    cycle = Cycle.objects.create(
        pack_id=PT_PACK,
        pack_version=pack(PT_PACK).version,
        decided_on=dt.date(2025, 1, 1),
        status=Cycle.Status.COMPLETED,
        registries_dir="",
        workdir="",
    )
    holder = Person.objects.create(
        national_id="123456789", given_name="Ana", phone=HOLDER_PHONE, preferred_language="pt"
    )
    found = []
    for i, cpe in enumerate(SUPPLY_POINTS):
        entitlement = Entitlement.objects.create(
            pack_id=PT_PACK,
            unit_key=cpe,
            household_key=f"H{i}",
            supply_point_code=cpe,
            area_code="PT-1106",
            valid_from=dt.date(2025, 1, 1),
            granted_in=cycle,
        )
        EntitlementPerson.objects.create(
            entitlement=entitlement,
            national_id=holder.national_id or "",
            person=holder,
            is_contract_holder=True,
        )
        found.append(entitlement)
    return found


class Gateway:
    """Posts as an Africa's Talking style USSD gateway does: form-encoded, one request per input."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(
        self,
        text: str,
        *,
        session: str = "ATUid_1",
        phone: str = UK_PHONE,
        code: str = "*384*1#",
        secret: str | None = USSD_SECRET,
    ) -> Any:
        headers = {"HTTP_X_GATEWAY_SECRET": secret} if secret is not None else {}
        data = {"sessionId": session, "serviceCode": code, "phoneNumber": phone, "text": text}
        return self.client.post("/ussd/", data, **headers)

    def reply(self, text: str, **kwargs: Any) -> str:
        response = self.post(text, **kwargs)
        assert response.status_code == 200, response.content
        body: str = response.content.decode()
        return body


@pytest.fixture
def gateway(db: None) -> Gateway:
    # A gateway sends no CSRF token: the client enforces CSRF checks to prove the view is exempt.
    return Gateway(Client(enforce_csrf_checks=True))
