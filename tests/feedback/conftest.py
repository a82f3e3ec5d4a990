"""Builders for feedback tests: a Bangladeshi area tree (country > division > district > upazila >
union), the e-Mutation pack in the catalogue, a citizen, decided applications, and grievance officers
assigned at each level of the escalation matrix."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.models import CitizenAccount, StaffAssignment
from govreach.accounts.services import citizen_account_get_or_create
from govreach.cases.models import Application
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.feedback.conf import grievance_pack_id
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

PACK_ID = "bd-land-mutation"
PHONE = "+8801712345678"
OTHER_PHONE = "+8801798765432"

AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
]


@cache
def _bd_pack() -> Pack:
    return load_pack(settings.BASE_DIR / "packs" / PACK_ID)


@pytest.fixture
def bd_service_pack(db: None) -> ServicePack:
    return service_pack_load(pack=_bd_pack())


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", *(",".join(row) for row in AREAS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def citizen(areas: dict[str, Area]) -> CitizenAccount:
    account, _created = citizen_account_get_or_create(phone=PHONE, language="en")
    return account


@pytest.fixture
def other_citizen(areas: dict[str, Area]) -> CitizenAccount:
    account, _created = citizen_account_get_or_create(phone=OTHER_PHONE, language="en")
    return account


@pytest.fixture
def make_application(bd_service_pack: ServicePack, areas: dict[str, Area]) -> Callable[..., Application]:
    """``make_application(account, state="approved", by=None)``: a submitted application in a state."""
    counter = iter(range(1, 1000))

    def make(account: CitizenAccount, state: str = "record_issued", by: User | None = None) -> Application:
        now = timezone.now()
        return Application.objects.create(
            reference=f"BD-2026-{next(counter):06d}",
            pack_id=PACK_ID,
            pack_version=bd_service_pack.version,
            form_id="application",
            applicant=account.user,
            submitted_by=by or account.user,
            area=areas["BD-30260101"],
            state=state,
            submitted_at=now,
            decided_at=now if state in ("approved", "rejected", "record_issued") else None,
        )

    return make


def make_staff_user(username: str) -> User:
    return User.objects.create_user(username=username, password=uuid.uuid4().hex)


@pytest.fixture
def handlers(areas: dict[str, Area]) -> dict[str, User]:
    """A grievance officer per level for Ashulia's chain, and a local one for the neighbouring union."""
    made = {}
    for key, role, code in (
        ("local", "grievance_local", "BD-30260101"),
        ("local_other", "grievance_local", "BD-30260102"),
        ("district", "grievance_district", "BD-302601"),
        ("regional", "grievance_regional", "BD-30"),
        ("national", "grievance_national", "BD"),
    ):
        user = make_staff_user(f"grv-{key}")
        StaffAssignment.objects.create(user=user, pack_id=grievance_pack_id(), role=role, area=areas[code])
        made[key] = user
    return made


def staff_client(user: User) -> Client:
    """A client signed in as staff who passed both factors (the login itself is tested in accounts)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


def citizen_client(account: CitizenAccount) -> Client:
    client = Client()
    client.force_login(account.user)
    return client


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"
