"""Builders for accounts tests: a Bangladeshi area tree, the e-Mutation pack, staff with authenticators,
intermediaries, and the SMS codes as the notification outbox holds them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pyotp
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache as django_cache
from django.test import Client
from django.utils import timezone

from govreach.accounts import services
from govreach.accounts.models import Intermediary, StaffTOTPDevice
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

PACK_ID = "bd-land-mutation"
PASSWORD = "correct horse battery staple"
PHONE = "+8801712345678"
OTHER_PHONE = "+8801898765432"

AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-3026010101", "Ashulia ward 1", "ward", "BD-30260101"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
    ("BD-3027", "Gazipur", "district", "BD-30"),
]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters live in the cache; every test starts with none."""
    django_cache.clear()
    yield
    django_cache.clear()


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", *(",".join(row) for row in AREAS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@cache
def _bd_pack() -> Pack:
    return load_pack(settings.BASE_DIR / "packs" / PACK_ID)


@pytest.fixture
def bd_service_pack(db: None) -> ServicePack:
    return service_pack_load(pack=_bd_pack())


@pytest.fixture
def media(settings: object, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined]
    return tmp_path / "media"


def totp_code(user: User, *, steps_ahead: int = 0) -> str:
    """The code the user's authenticator shows now (or ``steps_ahead`` 30-second steps later)."""
    device = StaffTOTPDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(time.time() + 30 * steps_ahead)


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """A user with a password and a confirmed authenticator."""

    def make(username: str = "officer", *, enrolled: bool = True) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD)
        if enrolled:
            device = services.staff_totp_device_start(user=user)
            StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        return user

    return make


def sign_in_staff(client: Client, user: User, *, steps_ahead: int = 0) -> None:
    """Both factors through HTTP, as a browser would."""
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/verify/"
    response = client.post("/staff/login/verify/", {"code": totp_code(user, steps_ahead=steps_ahead)})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def intermediary(make_staff: Callable[..., User], areas: dict[str, Area]) -> Intermediary:
    user = make_staff("udc-operator")
    return services.intermediary_create(
        user=user, centre_name="Ashulia Union Digital Centre", area=areas["BD-30260101"]
    )


@pytest.fixture
def intermediary_client(intermediary: Intermediary, bd_service_pack: ServicePack) -> Client:
    client = Client()
    sign_in_staff(client, intermediary.user)
    return client


def last_sms(phone: str, message_id: str) -> OutboxMessage:
    """The newest outbox SMS of ``message_id`` to ``phone``."""
    message = (
        OutboxMessage.objects.filter(recipient=phone, message_id=message_id, channel="sms")
        .order_by("-pk")
        .first()
    )
    assert message is not None, f"no {message_id} SMS in the outbox"
    return message


def last_code(phone: str, message_id: str = "login_code") -> str:
    """The code in the newest SMS of ``message_id`` to ``phone``."""
    return str(last_sms(phone, message_id).context["code"])
