"""Builders for ops tests: a Bangladeshi area tree, staff signed in with both factors, failed messages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.models import StaffAssignment
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

BD = "bd-land-mutation"
AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
]


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    path.write_text("\n".join(["code,name,level,parent_code", *(",".join(r) for r in AREAS)]) + "\n")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def staff(areas: dict[str, Area]) -> Callable[..., User]:
    """``staff(username, pack_id, area_code)``: a user with a role on that pack and area today."""

    def make(username: str, pack_id: str | None = None, area_code: str | None = None) -> User:
        user = User.objects.create_user(username=username, password=uuid.uuid4().hex)
        if pack_id and area_code:
            StaffAssignment.objects.create(user=user, pack_id=pack_id, role="officer", area=areas[area_code])
        return user

    return make


def signed_in(user: User) -> Client:
    """A browser of ``user`` past both factors of the staff login (the login itself is tested in accounts)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


@pytest.fixture
def failed_message(areas: dict[str, Area]) -> Callable[..., OutboxMessage]:
    def make(key: str, *, pack_id: str | None = BD, area_code: str | None = "BD-30260101") -> OutboxMessage:
        return OutboxMessage.objects.create(
            channel="sms", recipient="+8801712345678", language="bn", pack_id=pack_id,
            message_id="application_received", body="Received", dedupe_key=key, status="failed",
            attempts=6, last_error="the SMS gateway answered HTTP 503: busy",
            area=areas[area_code] if area_code else None,
        )  # fmt: skip

    return make
