"""Client systems with their API keys, the e-Mutation service with its areas and officers, and a small
person registry: what a GovStack client meets in GovReach."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.cases.conftest import AREAS, PACK_ID, _bd_pack

from govreach.accounts.models import StaffAssignment
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.govstack.clients import client_token_create
from govreach.govstack.models import (
    APPLY,
    DATA_USAGE,
    DELETE,
    OPERATE,
    READ,
    REGISTRIES_MANAGE,
    STATISTICS,
    WRITE,
    ClientSystem,
)
from govreach.govstack.seed import MCTS_RECORDS, MCTS_SCHEMA
from govreach.registry.models import Area, Household, Membership, Person
from govreach.registry.services import area_import_csv

PORTAL = "eGovStack/GOV/90000009/portal"
OFFICE = "eGovStack/GOV/90000009/land-office"
ADMIN = "eGovStack/GOV/90000009/registry-admin"
STRANGER = "eGovStack/GOV/90000009/stranger"


@dataclass
class Caller:
    """A client system as it calls: its identifier and its key, sent as headers on every request."""

    client: ClientSystem
    key: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", "Information-Mediator-Client": self.client.identifier}

    def http(self) -> dict[str, str]:
        return {
            "HTTP_AUTHORIZATION": f"Bearer {self.key}",
            "HTTP_INFORMATION_MEDIATOR_CLIENT": self.client.identifier,
        }


def make_caller(
    identifier: str, permissions: list[str], registries: dict[str, list[str]], operator: Any = None
) -> Caller:
    client = ClientSystem.objects.create(
        identifier=identifier,
        name=identifier.rsplit("/", 1)[-1],
        permissions=permissions,
        registries=registries,
        operator=operator,
    )
    _token, raw = client_token_create(client=client, name="test")
    return Caller(client, raw)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", *(",".join(row) for row in AREAS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def land_service(db: None, areas: dict[str, Area]) -> ServicePack:
    return service_pack_load(pack=_bd_pack())


@pytest.fixture
def ac_land(land_service: ServicePack, areas: dict[str, Area]) -> User:
    user = User.objects.create_user(username="ac-land-savar", password=uuid.uuid4().hex)
    StaffAssignment.objects.create(user=user, pack_id=PACK_ID, role="ac_land", area=areas["BD-302601"])
    return user


@pytest.fixture
def other_ac_land(land_service: ServicePack, areas: dict[str, Area]) -> User:
    """An Assistant Commissioner of another sub-district: Ashulia's cases are not theirs."""
    Area.objects.create(code="BD-302602", name="Dhamrai", level="upazila", parent=areas["BD-3026"])
    user = User.objects.create_user(username="ac-land-dhamrai", password=uuid.uuid4().hex)
    StaffAssignment.objects.create(
        user=user, pack_id=PACK_ID, role="ac_land", area=Area.objects.get(code="BD-302602")
    )
    return user


@pytest.fixture
def portal(db: None) -> Caller:
    return make_caller(PORTAL, [APPLY, DATA_USAGE], {"persons": [READ], "households": [READ], "mcts": [READ]})


@pytest.fixture
def office(ac_land: User) -> Caller:
    return make_caller(OFFICE, [OPERATE, STATISTICS], {}, operator=ac_land)


@pytest.fixture
def admin(db: None) -> Caller:
    return make_caller(ADMIN, [REGISTRIES_MANAGE], {"mcts": [READ, WRITE, DELETE]})


@pytest.fixture
def stranger(db: None) -> Caller:
    """A known system with no permission at all."""
    return make_caller(STRANGER, [], {})


@pytest.fixture
def http() -> Client:
    return Client()


@pytest.fixture
def people(db: None, areas: dict[str, Area]) -> list[Person]:
    """Two fictitious persons in one household."""
    household = Household.objects.create(
        reference="HH-1", address="House 1, Ashulia", area=areas["BD-30260101"]
    )
    persons = [
        Person.objects.create(
            national_id="1990123456789",
            given_name="Rahima",
            family_name="Begum",
            birth_date=dt.date(1990, 5, 1),
            sex="F",
            area=areas["BD-30260101"],
        ),
        Person.objects.create(
            national_id="1988123456789",
            given_name="Karim",
            family_name="Uddin",
            birth_date=dt.date(1988, 2, 3),
            sex="M",
            area=areas["BD-30260101"],
        ),
    ]
    for person, role in zip(persons, ("head", "spouse"), strict=True):
        Membership.objects.create(person=person, household=household, role=role)
    return persons


@pytest.fixture
def mcts(admin: Caller, http: Client) -> str:
    """The example registry ``mcts`` created through the database API, with its three records."""
    response = http.post(
        "/govstack/digital-registries/database/modify",
        {"code": "mcts", "groupName": "Demo", "catalogName": "Mother and Child", "schema": MCTS_SCHEMA},
        content_type="application/json",
        **admin.http(),
    )
    assert response.status_code == 200, response.content
    for content in MCTS_RECORDS:
        created = http.post(
            "/govstack/digital-registries/data/mcts/1.0/create",
            {"write": {"content": content}},
            content_type="application/json",
            **admin.http(),
        )
        assert created.status_code == 200, created.content
    return "mcts"
