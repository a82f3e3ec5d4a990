"""Builders for outreach tests: Seongdong's areas, small Korean registries imported into the registry,
the HYO pack (and a second outreach pack made only of YAML) in the catalogue, and staff who sign in."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pyotp
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache as django_cache
from django.test import Client
from django.utils import timezone

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import staff_totp_device_start
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import Pack, load_pack
from govreach.registry.mapping import mapping_parse
from govreach.registry.models import Area, RegistrySource
from govreach.registry.services import area_import_csv, registry_source_import

KR_PACK_DIR = settings.BASE_DIR / "packs" / "kr-hyo-home-visits"
TEST_PACK_DIR = Path(__file__).parent / "packs" / "zz-village-visits"
PASSWORD = "a-long-test-password-1"

KR_AREAS = [
    ("KR", "Korea", "country", ""),
    ("KR-11", "Seoul", "city", "KR"),
    ("KR-11200", "Seongdong-gu", "district", "KR-11"),
    ("KR-11200550", "Haengdang 1-dong", "dong", "KR-11200"),
    ("KR-11200610", "Oksu-dong", "dong", "KR-11200"),
]
TODAY = dt.date(2025, 3, 3)  # a Monday


def years_ago(years: int, on: dt.date = TODAY) -> dt.date:
    return on.replace(year=on.year - years) - dt.timedelta(days=10)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Sign-in throttle counters live in the cache; every test starts with none."""
    django_cache.clear()
    yield
    django_cache.clear()


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs on the same Monday, so weekdays, ages and deadlines are fixed."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def import_areas(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    path.write_text("code,name,level,parent_code\n" + "\n".join(",".join(r) for r in rows) + "\n", "utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


def write_parquet(folder: Path, dataset: str, rows: list[dict[str, Any]], schema: pa.Schema) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dataset}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def import_register(path: Path, dataset: str) -> RegistrySource:
    """Import a population register (standard person columns) so its records become persons."""
    mapping = mapping_parse(
        {
            "source": {"agency": "test", "dataset": dataset, "extracted_on": "2025-01-01", "licence": "test"},
            "key_column": "record_id",
            "creates_persons": True,
            "fields": {
                "national_id": {"column": "national_id"},
                "given_name": {"column": "given_name", "required": True},
                "family_name": {"column": "family_name"},
                "birth_date": {"column": "birth_date", "type": "date"},
                "address": {"column": "address"},
                "area_code": {"column": "area_code"},
            },
        }
    )
    registry_source_import(source_name=f"test_{dataset}", file_path=path, mapping=mapping)
    return RegistrySource.objects.get(name=f"test_{dataset}")


PERSON_SCHEMA = [
    ("record_id", pa.string()),
    ("national_id", pa.string()),
    ("given_name", pa.string()),
    ("family_name", pa.string()),
    ("birth_date", pa.date32()),
    ("address", pa.string()),
    ("area_code", pa.string()),
]


@pytest.fixture
def kr_pack(db: None) -> Pack:
    pack = load_pack(KR_PACK_DIR)
    service_pack_load(pack=pack)
    return pack


@pytest.fixture
def kr_areas(db: None, tmp_path: Path) -> dict[str, Area]:
    return import_areas(tmp_path, KR_AREAS)


@pytest.fixture
def kr_registries(kr_pack: Pack, kr_areas: dict[str, Area], tmp_path: Path) -> Path:
    """Six residents: two aged 80 (one in each dong), a 70-year-old living alone, a 68-year-old with
    diabetes on basic livelihood, a 50-year-old and a 40-year-old; a diabetes record and an income record."""
    folder = tmp_path / "registries"
    people = [
        ("RR-1", "800101-1000001", "Minsu", "Kim", years_ago(80), "Haengdang-ro 1", "KR-11200550", False),
        ("RR-2", "800101-2000002", "Jiyoung", "Lee", years_ago(80), "Oksu-ro 9", "KR-11200610", False),
        ("RR-3", "550101-2000003", "Sunja", "Park", years_ago(70), "Haengdang-ro 20", "KR-11200550", True),
        ("RR-4", "570101-1000004", "Youngho", "Choi", years_ago(68), "Haengdang-ro 33", "KR-11200550", False),
        ("RR-5", "750101-1000005", "Hana", "Jung", years_ago(50), "Haengdang-ro 45", "KR-11200550", False),
        ("RR-6", "850101-2000006", "Eunji", "Kang", years_ago(40), "Oksu-ro 2", "KR-11200610", True),
    ]
    schema = pa.schema([*PERSON_SCHEMA, ("is_living_alone", pa.bool_())])
    rows = [dict(zip(schema.names, p, strict=True)) for p in people]
    register = write_parquet(folder, "resident_register", rows, schema)
    base = {k: rows[3][k] for k, _t in PERSON_SCHEMA}
    write_parquet(
        folder, "chronic_disease",
        [{**base, "record_id": "NHIS-1", "disease_code": "E11"}],
        pa.schema([*PERSON_SCHEMA, ("disease_code", pa.string())]),
    )  # fmt: skip
    write_parquet(
        folder, "income_status",
        [{**base, "record_id": "SS-1", "income_level": "basic_livelihood", "medical_aid_type": None}],
        pa.schema([*PERSON_SCHEMA, ("income_level", pa.string()), ("medical_aid_type", pa.int64())]),
    )  # fmt: skip
    write_parquet(
        folder, "hospital_discharges", [],
        pa.schema([*PERSON_SCHEMA, ("hospital_id", pa.string()), ("discharged_on", pa.date32())]),
    )  # fmt: skip
    import_register(register, "resident_register")
    return folder


def totp_code(user: User) -> str:
    device = StaffTOTPDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(time.time())


@pytest.fixture
def make_staff(db: None) -> Callable[[str, str, str, str], User]:
    """``make_staff(username, pack_id, role, area_code)``: a user with a confirmed authenticator."""

    def make(username: str, pack_id: str, role: str, area_code: str) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD)
        device = staff_totp_device_start(user=user)
        StaffTOTPDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        StaffAssignment.objects.create(
            user=user, pack_id=pack_id, role=role, area=Area.objects.get(code=area_code), starts_on=TODAY
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


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
