"""Builders for programme tests: Jaboatão's areas, the br-prepara pack in the catalogue, programme staff
signed in with both factors, a cohort, and students with the rules' facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.services import staff_assignment_create
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import Pack, load_pack
from govreach.programmes import services
from govreach.programmes.models import Cohort, Registration
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

PACK_ID = "br-prepara"
YEAR = 2026
ON = dt.date(YEAR, 3, 10)
AREAS = [
    ("BR", "Brasil", "country", ""),
    ("BR-26", "Pernambuco", "state", "BR"),
    ("BR-2607901", "Jaboatão dos Guararapes", "municipality", "BR-26"),
    ("BR-2611606", "Recife", "municipality", "BR-26"),
]


def facts(**overrides: Any) -> dict[str, Any]:
    """A municipal 9th-grader of Jaboatão from a poor family on Bolsa Família: eligible, 30+20+10 points."""
    base: dict[str, Any] = {
        "student.school_network": "jaboatao_municipal",
        "student.grade": 9,
        "student.school_year": YEAR,
        "student.municipality_ibge": "2607901",
        "student.has_disability": False,
        "student.attendance_pct": 90,
        "family.income_per_capita_brl": 300,
        "family.cadunico_income_band": "poverty",
        "family.cash_transfer": True,
    }
    base.update({k.replace("__", "."): v for k, v in overrides.items()})
    return base


@cache
def _pack(path: str) -> Pack:
    return load_pack(Path(path))


def pack_dir() -> Path:
    return Path(settings.BASE_DIR) / "packs" / PACK_ID


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    path.write_text(
        "\n".join(["code,name,level,parent_code", *(",".join(r) for r in AREAS)]) + "\n", encoding="utf-8"
    )
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def service_pack(db: None) -> ServicePack:
    return service_pack_load(pack=_pack(str(pack_dir())))


@pytest.fixture
def cohort(service_pack: ServicePack, areas: dict[str, Area]) -> Cohort:
    return services.cohort_create(pack_id=PACK_ID, year=YEAR, area=areas["BR-2607901"], places=3)


@pytest.fixture
def make_staff(areas: dict[str, Area]) -> Callable[..., User]:
    def make(username: str, role: str | None, area_code: str = "BR-2607901", pack_id: str = PACK_ID) -> User:
        user = User.objects.create_user(username=username, password="not used in these tests")
        if role is not None:
            staff_assignment_create(
                user=user, pack_id=pack_id, role=role, area=areas[area_code], starts_on=dt.date(2020, 1, 1)
            )
        return user

    return make


def signed_in(user: User) -> Client:
    """A client signed in as a staff user who passed both factors (the login itself is tested in accounts)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


@pytest.fixture
def register(cohort: Cohort) -> Callable[..., Registration]:
    counter = iter(range(1, 100_000))

    def make(
        priority_facts: dict[str, Any] | None = None, *, phone: str = "", hub: str = "HUB-1"
    ) -> Registration:
        n = next(counter)
        return services.registration_create(
            cohort=cohort,
            identity=services.StudentIdentity(
                f"Aluno{n}", "Silva", dt.date(2011, 1, 1 + n % 28), f"9{n:010d}"
            ),
            facts=facts(**(priority_facts or {})),
            channel="school",
            registered_by=None,
            guardian_phone=phone,
            hub_code=hub,
            on=ON,
        )

    return make
