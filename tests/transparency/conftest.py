"""Builders for transparency tests: a Bangladeshi area tree, the e-Mutation pack in the catalogue, and
applications in chosen numbers per union (submitted, decided, approved, on time, filed with help)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import staff_totp_device_start
from govreach.cases.models import Application, Decision
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

PACK_ID = "bd-land-mutation"
PASSWORD = "a-long-test-password-1"
NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)

AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
    ("BD-302602", "Dhamrai", "upazila", "BD-3026"),
    ("BD-30260201", "Kulla", "union", "BD-302602"),
]


@cache
def _bd_pack() -> Pack:
    return load_pack(settings.BASE_DIR / "packs" / PACK_ID)


@pytest.fixture
def bd_pack() -> Pack:
    return _bd_pack()


@pytest.fixture
def bd_service_pack(db: None, bd_pack: Pack) -> ServicePack:
    return service_pack_load(pack=bd_pack)


@pytest.fixture(autouse=True)
def opendata_dir(settings: Any, tmp_path: Path) -> Path:
    settings.GOVREACH_TRANSPARENCY_OPENDATA_DIR = str(tmp_path / "opendata")
    return tmp_path / "opendata"


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", *(",".join(row) for row in AREAS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def applicant(db: None) -> User:
    return User.objects.create_user(username="applicant", password=PASSWORD)


@pytest.fixture
def helper(db: None) -> User:
    return User.objects.create_user(username="udc-operator", password=PASSWORD)


MakeApplications = Callable[..., list[Application]]


@pytest.fixture
def make_applications(areas: dict[str, Area], applicant: User, helper: User) -> MakeApplications:
    """``make(area_code, n, state=..., outcome=..., days=..., assisted=...)``: ``n`` applications started
    in 2026 in that union: ``draft``, ``pending`` (submitted, undecided, ``overdue`` or not) or
    ``decided`` ``days`` after submission with ``outcome``, against a 28-day deadline."""
    counter = iter(range(1, 100000))

    def make(
        area_code: str,
        n: int,
        *,
        state: str = "decided",
        outcome: str = "approved",
        days: float = 10,
        overdue: bool = False,
        assisted: bool = False,
    ) -> list[Application]:
        made = []
        for _ in range(n):
            i = next(counter)
            submitted_at = NOW - dt.timedelta(days=60)
            app = Application.objects.create(
                pack_id=PACK_ID,
                pack_version="1.0.0",
                form_id="mutation",
                applicant=applicant,
                submitted_by=helper if assisted else applicant,
                area=areas[area_code],
                state="draft" if state == "draft" else ("closed" if state == "decided" else "submitted"),
                reference=None if state == "draft" else f"BD-2026-{i:06d}",
                submitted_at=None if state == "draft" else submitted_at,
                due_at=(NOW - dt.timedelta(days=1)) if overdue else submitted_at + dt.timedelta(days=28),
                decided_at=submitted_at + dt.timedelta(days=days) if state == "decided" else None,
            )
            Application.objects.filter(pk=app.pk).update(created_at=submitted_at)
            if state == "decided":
                Decision.objects.create(
                    application=app,
                    outcome=outcome,
                    reasons="test",
                    pack_version="1.0.0",
                    decided_by=helper,
                    decided_at=submitted_at + dt.timedelta(days=days),
                )
            made.append(app)
        return made

    return make


def totp_code(user: User) -> str:
    device = StaffTOTPDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(time.time())


@pytest.fixture
def make_staff(areas: dict[str, Area]) -> Callable[[str, str, str], User]:
    """``make_staff(username, role, area_code)``: staff of the e-Mutation pack with an authenticator."""

    def make(username: str, role: str, area_code: str) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD)
        device = staff_totp_device_start(user=user)
        StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        StaffAssignment.objects.create(
            user=user, pack_id=PACK_ID, role=role, area=areas[area_code], starts_on=dt.date(2020, 1, 1)
        )
        return user

    return make


def signed_in(user: User) -> Client:
    """A client signed in with both factors through HTTP, as a browser would."""
    client = Client()
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    response = client.post("/staff/login/verify/", {"code": totp_code(user)})
    assert response.status_code == 302, response.content.decode()[:500]
    return client
