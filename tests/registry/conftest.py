"""Shared builders for registry tests: small files, a mapping, an area hierarchy."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from govreach.registry.mapping import MappingSpec, mapping_parse
from govreach.registry.services import area_import_csv

AREAS = [
    ("PT", "Portugal", "country", ""),
    ("PT-11", "Lisboa", "district", "PT"),
    ("PT-1106", "Lisboa (município)", "municipality", "PT-11"),
    ("PT-110601", "Arroios", "parish", "PT-1106"),
    ("PT-110602", "Belém", "parish", "PT-1106"),
    ("PT-13", "Porto", "district", "PT"),
    ("PT-1312", "Porto (município)", "municipality", "PT-13"),
]

HEADER = [
    "id",
    "nif",
    "first",
    "last",
    "dob",
    "sex",
    "addr",
    "zip",
    "area",
    "phone",
    "hh",
    "role",
    "disabled",
]


def mapping_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": {
            "agency": "Tax authority",
            "dataset": "tax_persons",
            "extracted_on": "2024-06-30",
            "licence": "restricted",
        },
        "key_column": "id",
        "creates_persons": True,
        "fields": {
            "national_id": {"column": "nif"},
            "given_name": {"column": "first", "required": True},
            "family_name": {"column": "last", "required": True},
            "birth_date": {"column": "dob", "type": "date", "format": "%d/%m/%Y"},
            "sex": {"column": "sex", "allowed": ["F", "M", "X"]},
            "address": {"column": "addr"},
            "postcode": {"column": "zip"},
            "area_code": {"column": "area"},
            "phone": {"column": "phone"},
            "household_key": {"column": "hh"},
            "household_role": {"column": "role"},
            "has_disability": {"column": "disabled", "type": "boolean"},
        },
    }
    data.update(overrides)
    return data


@pytest.fixture
def mapping() -> MappingSpec:
    return mapping_parse(mapping_data())


def person_row(i: int, **changes: str) -> list[str]:
    row = {
        "id": f"R{i:05d}",
        "nif": f"{100000000 + i}",
        "first": f"Ana{i}",
        "last": "Silva",
        "dob": f"{(i % 28) + 1:02d}/03/1950",
        "sex": "F" if i % 2 else "M",
        "addr": f"Rua {i}",
        "zip": "1000-001",
        "area": "PT-110601" if i % 3 else "PT-1312",
        "phone": f"+35191{i:07d}",
        "hh": f"H{i // 2}",
        "role": "head" if i % 2 == 0 else "spouse",
        "disabled": "no",
    }
    row.update(changes)
    return [row[h] for h in HEADER]


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(
        rows: Sequence[Sequence[str]], name: str = "persons.csv", header: Sequence[str] = HEADER
    ) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def areas(tmp_path: Path, db: None) -> int:
    path = tmp_path / "areas.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(reversed(AREAS))  # children before parents on purpose
    return area_import_csv(csv_path=path)
