"""Writes to the registry: area hierarchies, registry imports, record links and clerical decisions.

Each service owns its transactions. An import commits one transaction per batch, together with the
run's progress, so that a killed import restarts where it stopped and ends in the same state.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone

from govreach.audit.log import audit_record
from govreach.registry.mapping import (
    HOUSEHOLD_ROLES,
    PERSON_FIELD_TYPES,
    MappingSpec,
    RowValidator,
    row_digest,
)
from govreach.registry.models import (
    AREA_PATH_SEPARATOR,
    Area,
    Household,
    ImportRun,
    Membership,
    Person,
    QuarantinedRow,
    RecordLink,
    RegistrySource,
    SourceRecord,
)
from govreach.registry.readers import file_sha256, registry_file_open

#: Keys per ``IN (...)`` lookup: below SQLite's and PostgreSQL's bound-parameter limits.
LOOKUP_CHUNK = 900
#: Person model fields an import may fill directly (``area_code`` resolves to ``area``).
PERSON_DIRECT_FIELDS = tuple(name for name in PERSON_FIELD_TYPES if name != "area_code")


class AreaFileError(ValueError):
    """An areas.csv that cannot be loaded; the message names the line and the fix."""


class LinkPersistError(ValueError):
    """Links that cannot be stored (unknown record ids, bad status); the message says which."""


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _max_params() -> int:
    """Bound parameters one statement may carry on this database."""
    if connection.vendor == "sqlite":
        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):
            return min(int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)), 32_000)
        return 999
    return 60_000  # PostgreSQL's limit is 65,535


def _column_adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How one Python value becomes a database value for ``field`` (None: pass it through)."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateTimeField):
        # A batch stamps one or two distinct times on every row: adapt each once.
        return functools.lru_cache(maxsize=64)(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def _statement_sizes(total: int, largest: int) -> Iterator[tuple[int, int]]:
    """Split ``total`` rows into (start, size) statements whose sizes are powers of two.

    The database driver caches one prepared statement per distinct SQL text; a large INSERT of
    every possible row count would fill that cache with big statements and grow memory batch after
    batch. Powers of two bound the distinct shapes to about log2(largest) per table.
    """
    size = 1 << (largest.bit_length() - 1)
    start = 0
    while start < total:
        while size > total - start:
            size >>= 1
        yield start, size
        start += size


def _insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    return_ids: bool = False,
    conflict_do_nothing: Sequence[str] = (),
) -> list[int]:
    """Multi-row INSERT of plain tuples (``columns`` are attnames), returning new ids in order.

    The ORM's ``bulk_create`` builds and prepares a model instance per row, about five times the
    cost of the insert itself at national scale; this prepares only the columns that need it.
    """
    if not rows:
        return []
    meta = model._meta
    fields = [next(f for f in meta.concrete_fields if f.attname == c) for c in columns]
    adapters = [_column_adapter(f) for f in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    column_sql = ", ".join(quote(str(f.column)) for f in fields)
    conflict = ""
    if conflict_do_nothing:
        conflict = f" ON CONFLICT ({', '.join(quote(c) for c in conflict_do_nothing)}) DO NOTHING"
    assert meta.pk is not None
    returning = f" RETURNING {quote(str(meta.pk.column))}" if return_ids else ""
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start, size in _statement_sizes(len(rows), max(1, min(1024, _max_params() // len(columns)))):
            chunk = rows[start : start + size]
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    value if adapt is None or value is None else adapt(value)
                    for value, adapt in zip(row, adapters, strict=True)
                )
            # Identifiers come from the model's metadata, quoted; every value is a bound parameter.
            values_sql = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {table} ({column_sql}) VALUES {values_sql}{conflict}{returning}"  # noqa: S608
            cursor.execute(sql, params)
            if return_ids:
                ids.extend(int(r[0]) for r in cursor.fetchall())
    return ids


# --------------------------------------------------------------------------- areas


@transaction.atomic
def area_import_csv(*, csv_path: Path) -> int:
    """Create or update the area hierarchy from an ``areas.csv`` (``code,name,level,parent_code``).

    Parents may appear after their children; paths and depths are recomputed for every area in the
    file. Returns how many areas the file held. Raises ``AreaFileError`` naming the bad line.
    """
    rows: dict[str, tuple[str, str, str]] = {}
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "name", "level", "parent_code"} - set(reader.fieldnames or [])
        if missing:
            raise AreaFileError(
                f"{csv_path}: missing column(s) {sorted(missing)}; expected code,name,level,parent_code"
            )
        for line, row in enumerate(reader, start=2):
            code = (row["code"] or "").strip()
            if not code or AREA_PATH_SEPARATOR in code:
                raise AreaFileError(f"{csv_path}, line {line}: code {code!r} must be non-empty, without '/'")
            if code in rows:
                raise AreaFileError(f"{csv_path}, line {line}: code {code!r} appears twice")
            rows[code] = (
                (row["name"] or "").strip(),
                (row["level"] or "").strip(),
                (row["parent_code"] or "").strip(),
            )
    existing = {a.code: a for a in Area.objects.all()}
    paths: dict[str, str] = {}

    def path_of(code: str, trail: tuple[str, ...] = ()) -> str:
        if code in paths:
            return paths[code]
        if code in trail:
            raise AreaFileError(f"{csv_path}: areas {' > '.join((*trail, code))} form a cycle")
        if code in rows:
            parent = rows[code][2]
        elif code in existing:
            return existing[code].path
        else:
            raise AreaFileError(
                f"{csv_path}: parent_code {trail[-1] if trail else code!r} is not a known area"
            )
        prefix = path_of(parent, (*trail, code)) if parent else AREA_PATH_SEPARATOR
        paths[code] = f"{prefix}{code}{AREA_PATH_SEPARATOR}"
        return paths[code]

    for code in rows:
        path_of(code)
    # Parents first, so each parent row exists when its children point at it.
    ordered = sorted(rows, key=lambda c: paths[c].count(AREA_PATH_SEPARATOR))
    for code in ordered:
        name, level, parent_code = rows[code]
        area = existing.get(code) or Area(code=code)
        area.name, area.level = name, level
        area.parent = existing[parent_code] if parent_code else None
        area.path = paths[code]
        area.depth = paths[code].count(AREA_PATH_SEPARATOR) - 2
        area.save()
        existing[code] = area
    return len(rows)


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportOptions:
    """How to run an import: batch size, where to write the error report, the extract's date."""

    batch_size: int = 50_000
    error_report_path: Path | None = None
    extracted_at: dt.datetime | None = None


def _as_aware(value: dt.date | dt.datetime | None) -> dt.datetime:
    if value is None:
        return timezone.now()
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time.min)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


@transaction.atomic
def registry_source_upsert(*, name: str, mapping: MappingSpec) -> RegistrySource:
    """Create or update the registry source ``name`` from a mapping's source description."""
    src = mapping.source
    source, _ = RegistrySource.objects.update_or_create(
        name=name,
        defaults={
            "agency": src.agency,
            "dataset": src.dataset,
            "description": src.description,
            "licence": src.licence,
            "extracted_at": _as_aware(src.extracted_on) if src.extracted_on else None,
            "schema": mapping.model_dump(mode="json"),
            "key_column": mapping.key_column,
            "creates_persons": mapping.creates_persons,
        },
    )
    return source


class _Existing(NamedTuple):
    """What a batch needs to know of a record already stored (read without building models)."""

    pk: int
    digest: str
    person_id: int | None
    household_id: int | None
    last_seen_at: dt.datetime
    updated_by_run_id: int
    created_by_run_id: int


class _BatchWriter:
    """Applies one batch of rows to the database; used inside the batch's transaction."""

    def __init__(
        self, *, run: ImportRun, source: RegistrySource, spec: MappingSpec, seen_at: dt.datetime
    ) -> None:
        self.run = run
        self.source = source
        self.spec = spec
        self.validator = RowValidator(spec)
        self.seen_at = seen_at
        self.creates_persons = spec.creates_persons
        self.maps_area = "area_code" in spec.fields
        self.maps_household = "household_key" in spec.fields
        self.created_person_ids: set[int] = set()
        self.area_ids: dict[str, int] = (
            dict(Area.objects.values_list("code", "id")) if self.creates_persons and self.maps_area else {}
        )

    # -- helpers
    def _quarantine(
        self, out: list[QuarantinedRow], row_number: int, raw: dict[str, Any], problems: list[tuple[str, str]]
    ) -> None:
        safe_raw = {
            k: (v if v is None or isinstance(v, str | int | float | bool) else str(v)) for k, v in raw.items()
        }
        for field_name, reason in problems:
            out.append(
                QuarantinedRow(
                    run=self.run, row_number=row_number, field=field_name, reason=reason, raw=safe_raw
                )
            )

    def _person_values(self, values: dict[str, Any], *, complete: bool = False) -> dict[str, Any]:
        """Person column values from a converted row: the mapped ones, or every column (``complete``)."""
        person: dict[str, Any] = {}
        for name in PERSON_DIRECT_FIELDS:
            if name not in self.spec.fields and not complete:
                continue
            value = values.get(name)
            if name == "birth_date":
                person[name] = dt.date.fromisoformat(value) if value else None
            elif name in ("has_disability", "is_literate"):
                person[name] = value
            elif name == "national_id":
                person[name] = value or None
            else:
                person[name] = value or ""
        if self.maps_area or complete:
            code = values.get("area_code")
            person["area_id"] = self.area_ids.get(code) if code else None
        return person

    def apply(self, rows: list[tuple[int, dict[str, Any]]]) -> dict[str, int]:
        counts = {"read": len(rows), "inserted": 0, "updated": 0, "unchanged": 0, "quarantined": 0}
        quarantined: list[QuarantinedRow] = []
        good: dict[str, tuple[int, dict[str, Any], str]] = {}
        first_row_of_key: dict[str, int] = {}
        for row_number, raw in rows:
            key, values, problems = self.validator.convert(raw)
            issues = [(p.field, p.reason) for p in problems]
            if not issues and key is not None:
                if key in first_row_of_key:
                    issues.append((self.spec.key_column, f"key {key!r} repeats row {first_row_of_key[key]}"))
                elif (
                    self.creates_persons
                    and self.maps_area
                    and values.get("area_code")
                    and values["area_code"] not in self.area_ids
                ):
                    issues.append(
                        (
                            "area_code",
                            f"{values['area_code']!r} is not in the area hierarchy; load areas.csv first",
                        )
                    )
                elif (
                    self.maps_household
                    and values.get("household_role")
                    and values["household_role"] not in HOUSEHOLD_ROLES
                ):
                    issues.append(
                        (
                            "household_role",
                            f"{values['household_role']!r} is not one of {list(HOUSEHOLD_ROLES)}",
                        )
                    )
            if issues:
                self._quarantine(quarantined, row_number, raw, issues)
                counts["quarantined"] += 1
                continue
            assert key is not None
            first_row_of_key[key] = row_number
            good[key] = (row_number, values, row_digest(key, values))

        existing: dict[str, _Existing] = {}
        keys = list(good)
        for chunk in _chunks(keys):
            for row in SourceRecord.objects.filter(source=self.source, source_key__in=chunk).values_list(
                "source_key",
                "id",
                "digest",
                "person_id",
                "household_id",
                "last_seen_at",
                "updated_by_run_id",
                "created_by_run_id",
            ):
                existing[row[0]] = _Existing(*row[1:])

        # A key seen earlier in this same run (an earlier batch) is a duplicate in the file.
        by_number = dict(rows)
        for key in keys:
            seen = existing.get(key)
            if (
                seen is not None
                and self.run.pk in (seen.updated_by_run_id, seen.created_by_run_id)
                and seen.digest != good[key][2]
            ):
                row_number = good[key][0]
                self._quarantine(
                    quarantined,
                    row_number,
                    by_number[row_number],
                    [(self.spec.key_column, f"key {key!r} repeats an earlier row of this file")],
                )
                counts["quarantined"] += 1
                del good[key]

        new_keys = [k for k in good if k not in existing]
        changed_keys = [k for k in good if k in existing and existing[k].digest != good[k][2]]
        unchanged_keys = [k for k in good if k in existing and existing[k].digest == good[k][2]]

        person_for_key: dict[str, int | None] = {}
        if self.creates_persons:
            self._persons_for_new(new_keys, good, person_for_key)
            new_keys = [k for k in new_keys if k in good]
            self._persons_for_changed(changed_keys, good, existing, quarantined, counts, by_number)
            changed_keys = [k for k in changed_keys if k in good]

        household_for_key: dict[str, int | None] = {}
        if self.maps_household:
            household_for_key = self._households(new_keys + changed_keys, good)

        _insert_rows(
            SourceRecord,
            (
                "source_id",
                "source_key",
                "data",
                "digest",
                "person_id",
                "household_id",
                "first_seen_at",
                "last_seen_at",
                "created_by_run_id",
                "updated_by_run_id",
            ),
            [
                (
                    self.source.pk,
                    k,
                    good[k][1],
                    good[k][2],
                    person_for_key.get(k),
                    household_for_key.get(k),
                    self.seen_at,
                    self.seen_at,
                    self.run.pk,
                    self.run.pk,
                )
                for k in new_keys
            ],
        )
        changed_records = []
        for k in changed_keys:
            old = existing[k]
            changed_records.append(
                SourceRecord(
                    pk=old.pk,
                    data=good[k][1],
                    digest=good[k][2],
                    last_seen_at=max(old.last_seen_at, self.seen_at),
                    updated_by_run=self.run,
                    household_id=household_for_key.get(k) if self.maps_household else old.household_id,
                )
            )
        SourceRecord.objects.bulk_update(
            changed_records,
            ["data", "digest", "last_seen_at", "updated_by_run", "household"],
            batch_size=2000,
        )
        if self.maps_household and self.creates_persons:
            self._memberships([*new_keys, *changed_keys], good, person_for_key, existing, household_for_key)
        # A newer extract saying the same thing only moves last_seen_at; the same extract writes nothing.
        stale = [existing[k].pk for k in unchanged_keys if existing[k].last_seen_at < self.seen_at]
        for pk_chunk in _chunks(stale):
            SourceRecord.objects.filter(pk__in=pk_chunk).update(last_seen_at=self.seen_at)
        QuarantinedRow.objects.bulk_create(quarantined, batch_size=2000)
        counts["inserted"] += len(new_keys)
        counts["updated"] += len(changed_keys)
        counts["unchanged"] += len(unchanged_keys)
        return counts

    def _owners_of_national_ids(self, nids: list[str]) -> dict[str, int]:
        owners: dict[str, int] = {}
        for chunk in _chunks(nids):
            owners.update(Person.objects.filter(national_id__in=chunk).values_list("national_id", "id"))  # type: ignore[arg-type]
        return owners

    def _persons_for_new(
        self,
        new_keys: list[str],
        good: dict[str, tuple[int, dict[str, Any], str]],
        person_for_key: dict[str, int | None],
    ) -> None:
        # A record whose national id already belongs to a person is that person (a deterministic link).
        owners = self._owners_of_national_ids(
            sorted({nid for k in new_keys if (nid := good[k][1].get("national_id"))})
        )
        to_create: list[tuple[str, dict[str, Any]]] = []
        first_key_for_nid: dict[str, str] = {}
        followers: dict[str, str] = {}
        for k in new_keys:
            nid = good[k][1].get("national_id")
            if nid and nid in owners:
                person_for_key[k] = owners[nid]
            elif nid and nid in first_key_for_nid:
                followers[k] = first_key_for_nid[nid]
            else:
                to_create.append((k, self._person_values(good[k][1], complete=True)))
                if nid:
                    first_key_for_nid[nid] = k
        now = timezone.now()
        columns = [*to_create[0][1].keys(), "created_at", "updated_at"] if to_create else []
        ids = _insert_rows(
            Person, columns, [(*values.values(), now, now) for _, values in to_create], return_ids=True
        )
        for (k, _), pk in zip(to_create, ids, strict=True):
            person_for_key[k] = pk
        self.created_person_ids = set(ids)
        for k, first in followers.items():
            person_for_key[k] = person_for_key[first]

    def _persons_for_changed(
        self,
        changed_keys: list[str],
        good: dict[str, tuple[int, dict[str, Any], str]],
        existing: dict[str, _Existing],
        quarantined: list[QuarantinedRow],
        counts: dict[str, int],
        by_number: dict[int, dict[str, Any]],
    ) -> None:
        person_ids = [pid for k in changed_keys if (pid := existing[k].person_id) is not None]
        persons: dict[int, Person] = {}
        for id_chunk in _chunks(person_ids):
            persons.update({p.pk: p for p in Person.objects.filter(pk__in=id_chunk)})
        owners = self._owners_of_national_ids(
            sorted({nid for k in changed_keys if (nid := good[k][1].get("national_id"))})
        )
        to_update: list[Person] = []
        fields: set[str] = set()
        for k in changed_keys:
            pid = existing[k].person_id
            if pid is None or pid not in persons:
                continue
            values = self._person_values(good[k][1])
            nid = values.get("national_id")
            if nid and owners.get(nid, pid) != pid:
                row_number = good[k][0]
                self._quarantine(
                    quarantined,
                    row_number,
                    dict(by_number[row_number]),
                    [
                        (
                            "national_id",
                            "this national id belongs to another person; resolve the duplicate first",
                        )
                    ],
                )
                counts["quarantined"] += 1
                del good[k]
                continue
            person = persons[pid]
            for name, value in values.items():
                setattr(person, name, value)
            fields.update(values)
            person.updated_at = timezone.now()
            to_update.append(person)
        if to_update:
            Person.objects.bulk_update(to_update, sorted(fields | {"updated_at"}), batch_size=1000)

    def _households(
        self, keys: list[str], good: dict[str, tuple[int, dict[str, Any], str]]
    ) -> dict[str, int | None]:
        refs = {k: f"{self.source.name}:{hk}" for k in keys if (hk := good[k][1].get("household_key"))}
        wanted = sorted(set(refs.values()))
        now = timezone.now()
        _insert_rows(
            Household,
            ("reference", "address", "postcode", "created_at", "updated_at"),
            [(r, "", "", now, now) for r in wanted],
            conflict_do_nothing=("reference",),
        )
        ids: dict[str, int] = {}
        for chunk in _chunks(wanted):
            ids.update(Household.objects.filter(reference__in=chunk).values_list("reference", "id"))
        return {k: ids[refs[k]] if k in refs else None for k in keys}

    def _memberships(
        self,
        keys: list[str],
        good: dict[str, tuple[int, dict[str, Any], str]],
        person_for_key: dict[str, int | None],
        existing: dict[str, _Existing],
        household_for_key: dict[str, int | None],
    ) -> None:
        wanted: dict[int, tuple[int, str]] = {}
        for k in keys:
            pid = person_for_key.get(k) or (existing[k].person_id if k in existing else None)
            hid = household_for_key.get(k)
            if pid and hid:
                wanted[pid] = (hid, good[k][1].get("household_role") or Membership.Role.OTHER)
        open_by_person: dict[int, list[Membership]] = {}
        # A person created in this batch has no membership yet: look up only the others.
        for chunk in _chunks([pid for pid in wanted if pid not in self.created_person_ids]):
            for m in Membership.objects.filter(person_id__in=chunk, valid_to__isnull=True):
                open_by_person.setdefault(m.person_id, []).append(m)
        to_create: list[tuple[int, int, str, dt.date]] = []
        to_update: list[Membership] = []
        on = self.seen_at.date()
        for pid, (hid, role) in wanted.items():
            current = open_by_person.get(pid, [])
            same = [m for m in current if m.household_id == hid]
            for m in current:
                if m.household_id != hid:
                    m.valid_to = max(on, m.valid_from) if m.valid_from else on
                    to_update.append(m)
                elif m.role != role:
                    m.role = role
                    to_update.append(m)
            if not same:
                to_create.append((pid, hid, role, on))
        Membership.objects.bulk_update(to_update, ["valid_to", "role"], batch_size=2000)
        _insert_rows(Membership, ("person_id", "household_id", "role", "valid_from"), to_create)


ProgressCallback = Callable[[ImportRun], None]


def registry_source_import(
    *,
    source_name: str,
    file_path: Path,
    mapping: MappingSpec,
    options: ImportOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportRun:
    """Import a registry file into source ``source_name`` (created or updated from the mapping).

    Streams the file in batches, one transaction per batch with the run's progress; bad rows go to
    ``QuarantinedRow`` and the CSV error report, the rest is upserted on the source key. An unfinished
    run for the same file and mapping is resumed; re-importing a finished file writes nothing.
    """
    options = options or ImportOptions()
    file_digest = file_sha256(file_path)
    source = registry_source_upsert(name=source_name, mapping=mapping)
    seen_at = _as_aware(options.extracted_at or mapping.source.extracted_on)
    registry_file = registry_file_open(file_path)
    try:
        missing = RowValidator(mapping).missing_columns(registry_file.columns)
        if missing:
            raise ValueError(
                f"{file_path}: column(s) {missing} named in the mapping are not in the file "
                f"(the file has {registry_file.columns}); fix the mapping's 'column:' entries"
            )
        run = _import_run_start(
            source=source,
            file_path=file_path,
            file_digest=file_digest,
            mapping=mapping,
            registry_file=registry_file,
        )
        writer = _BatchWriter(run=run, source=source, spec=mapping, seen_at=seen_at)
        if on_progress is not None:
            on_progress(run)
        try:
            for batch in registry_file.batches(options.batch_size, skip=run.rows_done):
                with transaction.atomic():
                    counts = writer.apply(batch)
                    run.rows_done += len(batch)
                    for name, value in counts.items():
                        setattr(run, f"{name}_count", getattr(run, f"{name}_count") + value)
                    run.save(update_fields=["rows_done", *(f"{n}_count" for n in counts)])
                if on_progress is not None:
                    on_progress(run)
        except BaseException:
            ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED)
            raise
    finally:
        registry_file.close()
    report = options.error_report_path or file_path.with_name(f"{file_path.name}.errors.csv")
    import_run_write_error_report(run=run, path=report)
    run.status = ImportRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.error_report = str(report)
    run.save(update_fields=["status", "finished_at", "error_report"])
    audit_record(action="registry.import", subject=run)
    return run


@transaction.atomic
def _import_run_start(
    *, source: RegistrySource, file_path: Path, file_digest: str, mapping: MappingSpec, registry_file: Any
) -> ImportRun:
    """Resume the unfinished run of this file and mapping, or start one (quarantining unparseable lines)."""
    mapping_digest = mapping.digest()
    run = (
        ImportRun.objects.select_for_update(of=("self",))
        .filter(source=source, file_digest=file_digest, mapping_digest=mapping_digest)
        .exclude(status=ImportRun.Status.FINISHED)
        .order_by("-started_at")
        .first()
    )
    if run is not None:
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["status"])
        return run
    run = ImportRun.objects.create(
        source=source,
        file_name=str(file_path),
        file_digest=file_digest,
        mapping_digest=mapping_digest,
        rows_total=registry_file.row_count + len({r.row_number for r in registry_file.rejected}),
    )
    rejected = {r.row_number: r for r in registry_file.rejected}
    QuarantinedRow.objects.bulk_create(
        QuarantinedRow(run=run, row_number=n, field="(row)", reason=r.reason, raw={"line": r.raw_line})
        for n, r in sorted(rejected.items())
    )
    run.read_count = run.quarantined_count = len(rejected)
    run.save(update_fields=["read_count", "quarantined_count"])
    return run


def import_run_write_error_report(*, run: ImportRun, path: Path) -> Path:
    """Write the run's quarantined rows as CSV (row_number, field, reason, raw_row JSON), streamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row_number", "field", "reason", "raw_row"])
        for row_number, field_name, reason, raw in (
            QuarantinedRow.objects.filter(run=run)
            .order_by("row_number", "id")
            .values_list("row_number", "field", "reason", "raw")
            .iterator(chunk_size=5000)
        ):
            writer.writerow(
                [row_number, field_name, reason, json.dumps(raw, ensure_ascii=False, default=str)]
            )
    return path


# --------------------------------------------------------------------------- links


class LinkTable(Protocol):
    """What ``record_links_save`` needs of a links table (a pyarrow Table fits)."""

    num_rows: int

    def to_batches(self, max_chunksize: int | None = None) -> Sequence[Any]: ...


@dataclass(frozen=True)
class LinkSaveCounts:
    """How many links a save created or changed, by status, and how many kept a clerk's decision."""

    accepted: int
    review: int
    rejected: int
    kept_clerical: int


def _status_for(probability: float, upper: float, lower: float) -> str:
    if probability >= upper:
        return RecordLink.Status.ACCEPTED
    if probability >= lower:
        return RecordLink.Status.REVIEW
    return RecordLink.Status.REJECTED


def record_links_save(
    *,
    left_source: RegistrySource,
    right_source: RegistrySource,
    links: LinkTable,
    upper_threshold: float,
    lower_threshold: float,
    batch_size: int = 5000,
) -> LinkSaveCounts:
    """Store linkage output (``left_id, right_id, match_probability, ...``) as ``RecordLink`` rows.

    The status comes from the output or, when missing, from the thresholds. Re-saving updates machine
    links in place; a link a clerk already decided keeps that decision. Accepted links give the
    right record the left record's person when it has none. Batches commit one by one; saving the
    same links again is safe (links are upserted on the record pair).
    """
    if not 0 <= lower_threshold <= upper_threshold <= 1:
        raise LinkPersistError("thresholds must satisfy 0 <= lower <= upper <= 1")
    totals = {"accepted": 0, "review": 0, "rejected": 0, "kept_clerical": 0}
    # One transaction per batch of links: bounded memory and lock time on a national run.
    for batch in links.to_batches(max_chunksize=batch_size):
        with transaction.atomic():
            _record_links_save_batch(
                batch.to_pylist(), left_source, right_source, upper_threshold, lower_threshold, totals
            )
    return LinkSaveCounts(**totals)


def _record_links_save_batch(
    rows: list[dict[str, Any]],
    left_source: RegistrySource,
    right_source: RegistrySource,
    upper: float,
    lower: float,
    totals: dict[str, int],
) -> None:
    left_keys = sorted({str(r["left_id"]) for r in rows})
    right_keys = sorted({str(r["right_id"]) for r in rows})
    left_ids: dict[str, tuple[int, int | None]] = {}
    right_ids: dict[str, tuple[int, int | None]] = {}
    for source, keys, out in ((left_source, left_keys, left_ids), (right_source, right_keys, right_ids)):
        for chunk in _chunks(keys):
            for key, pk, person_id in SourceRecord.objects.filter(
                source=source, source_key__in=chunk
            ).values_list("source_key", "id", "person_id"):
                out[key] = (pk, person_id)
        unknown = [k for k in keys if k not in out]
        if unknown:
            raise LinkPersistError(f"record id(s) {unknown[:5]} are not records of source {source.name!r}")
    pairs = [(left_ids[str(r["left_id"])][0], right_ids[str(r["right_id"])][0]) for r in rows]
    existing: dict[tuple[int, int], RecordLink] = {}
    lefts = sorted({p[0] for p in pairs})
    for id_chunk in _chunks(lefts):
        for known in RecordLink.objects.filter(left_record_id__in=id_chunk, right_record__isnull=False):
            assert known.right_record_id is not None
            existing[(known.left_record_id, known.right_record_id)] = known
    to_create: list[RecordLink] = []
    to_update: list[RecordLink] = []
    accepted_pairs: list[tuple[int, int]] = []
    now = timezone.now()
    for row, pair in zip(rows, pairs, strict=True):
        probability = float(row["match_probability"])
        status = str(row.get("status") or _status_for(probability, upper, lower))
        if status not in RecordLink.Status.values:
            raise LinkPersistError(
                f"status {status!r} of link {pair} is not one of {RecordLink.Status.values}"
            )
        evidence = row.get("evidence")
        if isinstance(evidence, str):
            evidence = json.loads(evidence) if evidence else {}
        fields = {
            "match_probability": probability,
            "match_weight": None if row.get("match_weight") is None else float(row["match_weight"]),
            "method": str(row.get("method") or RecordLink.Method.PROBABILISTIC),
            "status": status,
            "evidence": evidence or {},
        }
        link = existing.get(pair)
        if link is not None and link.decided_by_id is not None:
            totals["kept_clerical"] += 1
            continue
        if link is None:
            to_create.append(RecordLink(left_record_id=pair[0], right_record_id=pair[1], **fields))
        else:
            for name, value in fields.items():
                setattr(link, name, value)
            link.updated_at = now
            to_update.append(link)
        totals[status] += 1
        if status == RecordLink.Status.ACCEPTED:
            accepted_pairs.append(pair)
    RecordLink.objects.bulk_create(to_create, batch_size=2000)
    RecordLink.objects.bulk_update(
        to_update,
        ["match_probability", "match_weight", "method", "status", "evidence", "updated_at"],
        batch_size=2000,
    )
    _records_adopt_person(accepted_pairs)


def _records_adopt_person(pairs: list[tuple[int, int]]) -> int:
    """For accepted record pairs, give the record without a person the other record's person."""
    ids = sorted({i for pair in pairs for i in pair})
    person_of: dict[int, int | None] = {}
    for chunk in _chunks(ids):
        person_of.update(SourceRecord.objects.filter(pk__in=chunk).values_list("id", "person_id"))
    updates: dict[int, int] = {}
    for left, right in pairs:
        lp, rp = person_of.get(left), person_of.get(right)
        if lp and not rp:
            updates[right] = lp
        elif rp and not lp:
            updates[left] = rp
    records = [SourceRecord(pk=pk, person_id=pid) for pk, pid in updates.items()]
    SourceRecord.objects.bulk_update(records, ["person"], batch_size=2000)
    return len(records)


def _record_link_decide(*, link_id: int, acting_user: AbstractBaseUser, status: str, note: str) -> RecordLink:
    link = RecordLink.objects.select_for_update(of=("self",)).get(pk=link_id)
    if link.status != RecordLink.Status.REVIEW:
        raise LinkPersistError(f"link {link_id} is {link.status}, not waiting for review")
    link.status = status
    link.method = link.method or RecordLink.Method.CLERICAL
    link.decided_by_id = acting_user.pk
    link.decided_at = timezone.now()
    if note:
        link.evidence = {**link.evidence, "clerk_note": note}
    link.save(update_fields=["status", "method", "decided_by", "decided_at", "evidence", "updated_at"])
    if status == RecordLink.Status.ACCEPTED and link.right_record_id is not None:
        _records_adopt_person([(link.left_record_id, link.right_record_id)])
    return link


@transaction.atomic
def record_link_accept(*, link_id: int, acting_user: AbstractBaseUser, note: str = "") -> RecordLink:
    """A clerk confirms a link waiting in review: the two records are the same person."""
    return _record_link_decide(
        link_id=link_id, acting_user=acting_user, status=RecordLink.Status.ACCEPTED, note=note
    )


@transaction.atomic
def record_link_reject(*, link_id: int, acting_user: AbstractBaseUser, note: str = "") -> RecordLink:
    """A clerk rules out a link waiting in review: the two records are different people."""
    return _record_link_decide(
        link_id=link_id, acting_user=acting_user, status=RecordLink.Status.REJECTED, note=note
    )
