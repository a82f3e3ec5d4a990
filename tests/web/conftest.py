"""Packs loaded into the catalogue the way `govreach packs load` does: the Portuguese social energy tariff,
and e-Mutation (bd-land-mutation) with its areas, officers, an intermediary and sign-in through HTTP."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache as django_cache
from django.test import Client
from django.utils import timezone
from PIL import Image

from govreach.accounts.models import Intermediary, StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import intermediary_create
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

PT_PACK_DIR = settings.BASE_DIR / "packs" / "pt-social-energy-tariff"


@cache
def _pt_pack() -> Pack:
    return load_pack(PT_PACK_DIR)


@pytest.fixture
def pt_pack() -> Pack:
    return _pt_pack()


@pytest.fixture
def pt_service_pack(db: None, pt_pack: Pack) -> ServicePack:
    return service_pack_load(pack=pt_pack)


# --- e-Mutation (bd-land-mutation): areas, officers with authenticators, citizens, sign-in by HTTP ----


BD_PACK_ID = "bd-land-mutation"
BD_PACK_DIR = settings.BASE_DIR / "packs" / BD_PACK_ID
PASSWORD = "correct horse battery staple"
PHONE = "+8801712345678"
PHONE_LOCAL = "01712345678"
OTHER_PHONE = "+8801898765432"
APPLY = f"/services/{BD_PACK_ID}/apply/"

BD_AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
]


@cache
def _bd_pack() -> Pack:
    return load_pack(BD_PACK_DIR)


@pytest.fixture
def bd_service_pack(db: None) -> ServicePack:
    return service_pack_load(pack=_bd_pack())


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Sign-in throttles count in the cache: every test starts with none."""
    django_cache.clear()
    yield
    django_cache.clear()


@pytest.fixture
def bd_areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", *(",".join(row) for row in BD_AREAS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def emutation(
    bd_service_pack: ServicePack, bd_areas: dict[str, Area], media: Path, fresh_cache: None
) -> None:
    """Everything the e-Mutation pages need: the pack in force, the areas, a media folder, no throttles."""


def make_staff_user(username: str) -> User:
    """A staff user with a password and a confirmed authenticator."""
    user = User.objects.create_user(username=username, password=PASSWORD)
    StaffTOTPDevice.objects.create(user=user, secret=pyotp.random_base32(32), confirmed_at=timezone.now())
    return user


@pytest.fixture
def officers(emutation: None, bd_areas: dict[str, Area]) -> dict[str, User]:
    """The officer chain of Savar and a union land assistant of the neighbouring union."""
    made = {}
    for key, username, role, code in (
        ("ulao", "ulao-ashulia", "union_land_assistant", "BD-30260101"),
        ("ulao_other", "ulao-dhamsona", "union_land_assistant", "BD-30260102"),
        ("ac_land", "ac-land-savar", "ac_land", "BD-302601"),
        ("adc", "adc-dhaka", "adc_revenue", "BD-3026"),
    ):
        user = make_staff_user(username)
        StaffAssignment.objects.create(user=user, pack_id=BD_PACK_ID, role=role, area=bd_areas[code])
        made[key] = user
    return made


@pytest.fixture
def intermediary(emutation: None, bd_areas: dict[str, Area]) -> Intermediary:
    user = make_staff_user("udc-ashulia")
    return intermediary_create(
        user=user, centre_name="Ashulia Union Digital Centre", area=bd_areas["BD-30260101"]
    )


def totp_now(user: User) -> str:
    return pyotp.TOTP(StaffTOTPDevice.objects.get(user=user).secret).at(time.time())


def staff_client(user: User) -> Client:
    """A browser signed in as ``user`` with the password and the authenticator code, through HTTP."""
    client = Client()
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/staff/login/verify/"
    response = client.post("/staff/login/verify/", {"code": totp_now(user)})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def last_sms(phone: str, message_id: str) -> OutboxMessage:
    message = OutboxMessage.objects.filter(recipient=phone, message_id=message_id).order_by("-pk").first()
    assert message is not None, f"no {message_id} SMS to the phone"
    return message


def citizen_sign_in(client: Client, phone: str, *, next_url: str = "") -> Any:
    """Sign in by phone with the code the SMS carries (read from the outbox); returns the last response."""
    login = "/login/" + (f"?next={next_url}" if next_url else "")
    client.get(login)
    response = client.post("/login/", {"phone": phone})
    assert response.status_code == 302, response.content.decode()[:500]
    code = str(last_sms(phone, "login_code").context["code"])
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def pdf_bytes() -> bytes:
    """A small real PDF, made the way scanners save one page."""
    from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Deed of sale no. 4471")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 32), "#d0c0a0").save(buffer, format=kind)
    return buffer.getvalue()


def hidden(html: str, name: str) -> str:
    """The value of the hidden input ``name`` on a page (the idempotency key, a payment id)."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)
