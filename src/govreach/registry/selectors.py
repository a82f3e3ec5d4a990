"""Reads from the registry: area scopes, the review queue, and bulk exports for batch work.

Batch work (national cycles, linkage) reads Arrow/Parquet written here in bounded batches straight
from the database cursor, never the ORM row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection, models

from govreach.registry.models import (
    Area,
    Household,
    Membership,
    Person,
    RecordLink,
    RegistrySource,
    SourceRecord,
)

#: The standard person columns of docs/registries.md, in order, with their Arrow types.
STANDARD_PERSON_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("national_id", pa.string()),
        ("given_name", pa.string()),
        ("family_name", pa.string()),
        ("birth_date", pa.date32()),
        ("sex", pa.string()),
        ("address", pa.string()),
        ("postcode", pa.string()),
        ("area_code", pa.string()),
        ("phone", pa.string()),
    ]
)


def area_get(*, code: str) -> Area:
    """The area with this code (``Area.DoesNotExist`` when there is none)."""
    return Area.objects.get(code=code)


def person_list_in_area(*, area: Area) -> models.QuerySet[Person]:
    """Persons living in ``area`` or any area below it: one indexed prefix query on the area path."""
    return Person.objects.filter(area__path__startswith=area.path)


def record_link_list_for_review(*, limit: int = 50, offset: int = 0) -> list[RecordLink]:
    """Links waiting for a clerk, most probable first, with both records loaded."""
    return list(
        RecordLink.objects.filter(status=RecordLink.Status.REVIEW)
        .select_related("left_record__source", "right_record__source")
        .order_by("-match_probability", "id")[offset : offset + limit]
    )


def source_get(*, name: str) -> RegistrySource:
    """The registry source named ``name`` (``RegistrySource.DoesNotExist`` when unknown)."""
    return RegistrySource.objects.get(name=name)


def _date_or_none(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def source_records_as_arrow(*, source: RegistrySource, chunk_size: int = 20_000) -> pa.Table:
    """A source's records as an Arrow table with the standard person columns (``record_id`` = key).

    Fields the source's mapping does not fill are null.
    """
    names = [f.name for f in STANDARD_PERSON_SCHEMA]
    columns: dict[str, list[Any]] = {n: [] for n in names}
    rows = SourceRecord.objects.filter(source=source).order_by("id").values_list("source_key", "data")
    for key, data in rows.iterator(chunk_size=chunk_size):
        columns["record_id"].append(key)
        for name in names[1:]:
            value = data.get(name) if isinstance(data, dict) else None
            if name == "birth_date":
                columns[name].append(_date_or_none(value))
            else:
                columns[name].append(None if value is None or value == "" else str(value))
    return pa.Table.from_pydict(columns, schema=STANDARD_PERSON_SCHEMA)


@dataclass(frozen=True)
class _ExportSpec:
    model: type[models.Model]
    columns: Sequence[tuple[str, str, pa.DataType]]  # (output name, db column, arrow type)


_EXPORTS: dict[str, _ExportSpec] = {
    "persons": _ExportSpec(
        Person,
        [
            ("person_id", "id", pa.int64()),
            ("national_id", "national_id", pa.string()),
            ("given_name", "given_name", pa.string()),
            ("family_name", "family_name", pa.string()),
            ("birth_date", "birth_date", pa.date32()),
            ("sex", "sex", pa.string()),
            ("address", "address", pa.string()),
            ("postcode", "postcode", pa.string()),
            ("area_id", "area_id", pa.int64()),
            ("phone", "phone", pa.string()),
            ("preferred_language", "preferred_language", pa.string()),
            ("has_disability", "has_disability", pa.bool_()),
            ("is_literate", "is_literate", pa.bool_()),
        ],
    ),
    "households": _ExportSpec(
        Household,
        [
            ("household_id", "id", pa.int64()),
            ("reference", "reference", pa.string()),
            ("address", "address", pa.string()),
            ("postcode", "postcode", pa.string()),
            ("area_id", "area_id", pa.int64()),
        ],
    ),
    "memberships": _ExportSpec(
        Membership,
        [
            ("person_id", "person_id", pa.int64()),
            ("household_id", "household_id", pa.int64()),
            ("role", "role", pa.string()),
            ("valid_from", "valid_from", pa.date32()),
            ("valid_to", "valid_to", pa.date32()),
        ],
    ),
    "areas": _ExportSpec(
        Area,
        [
            ("area_id", "id", pa.int64()),
            ("code", "code", pa.string()),
            ("name", "name", pa.string()),
            ("level", "level", pa.string()),
            ("parent_id", "parent_id", pa.int64()),
            ("path", "path", pa.string()),
        ],
    ),
}


def _cursor_batches(spec: _ExportSpec, batch_size: int) -> Iterator[pa.RecordBatch]:
    table = connection.ops.quote_name(spec.model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(db) for _, db, _ in spec.columns)
    schema = pa.schema([(name, kind) for name, _, kind in spec.columns])
    converters = [(_date_or_none if pa.types.is_date(kind) else None) for _, _, kind in spec.columns]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cols} FROM {table} ORDER BY {connection.ops.quote_name('id')}")  # noqa: S608
        while rows := cursor.fetchmany(batch_size):
            arrays = []
            for index, (_, _, kind) in enumerate(spec.columns):
                convert = converters[index]
                values = [row[index] for row in rows]
                if convert is not None:
                    values = [convert(v) for v in values]
                elif pa.types.is_boolean(kind):
                    values = [None if v is None else bool(v) for v in values]
                arrays.append(pa.array(values, type=kind))
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def export_to_parquet(*, out_dir: Path, batch_size: int = 50_000) -> dict[str, Path]:
    """Write persons, households, memberships and areas as Parquet files in ``out_dir`` for DuckDB/Spark.

    Reads the database cursor in batches of ``batch_size`` rows, so memory stays bounded at any size.
    Returns the path written for each table name.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, spec in _EXPORTS.items():
        path = out_dir / f"{name}.parquet"
        schema = pa.schema([(col, kind) for col, _, kind in spec.columns])
        with pq.ParquetWriter(path, schema) as writer:
            for batch in _cursor_batches(spec, batch_size):
                writer.write_batch(batch)
        written[name] = path
    return written
