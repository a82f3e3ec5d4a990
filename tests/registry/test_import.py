"""Importing registry files: quarantine of bad rows, idempotent re-import, Parquet, resumable runs."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govreach.registry.mapping import MappingSpec, mapping_parse
from govreach.registry.models import (
    Household,
    ImportRun,
    Membership,
    Person,
    QuarantinedRow,
    RegistrySource,
    SourceRecord,
)
from govreach.registry.services import ImportOptions, registry_source_import

from .conftest import mapping_data, person_row

pytestmark = pytest.mark.django_db


def run_import(
    path: Path, mapping: MappingSpec, *, source: str = "pt-tax", batch_size: int = 4, **kw: object
) -> ImportRun:
    return registry_source_import(
        source_name=source,
        file_path=path,
        mapping=mapping,
        options=ImportOptions(batch_size=batch_size),
        **kw,  # type: ignore[arg-type]
    )


def test_bad_rows_are_quarantined_by_row_and_field_and_the_rest_imports(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int, tmp_path: Path
) -> None:
    rows = [person_row(i) for i in range(1, 11)]
    rows[2] = person_row(3, dob="1950-03-03")  # row 3: wrong date format
    rows[5] = person_row(6, first="")  # row 6: required name missing
    rows[7] = person_row(8, sex="W", area="XX-99")  # row 8: two bad fields
    rows.insert(9, [*person_row(99), "extra"])  # row 10: one column too many
    path = write_csv(rows)

    run = run_import(path, mapping)

    assert run.status == ImportRun.Status.FINISHED
    assert (run.read_count, run.inserted_count, run.quarantined_count) == (11, 7, 4)
    quarantined = set(QuarantinedRow.objects.filter(run=run).values_list("row_number", "field"))
    assert quarantined == {(3, "birth_date"), (6, "given_name"), (8, "sex"), (10, "(row)")}
    assert SourceRecord.objects.count() == Person.objects.count() == 7
    # Row 11 comes after the broken line and keeps its own number: R00010 was imported.
    assert SourceRecord.objects.filter(source_key="R00010").exists()
    with Path(run.error_report).open(newline="", encoding="utf-8") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["row_number"], r["field"]) for r in report] == [
        ("3", "birth_date"),
        ("6", "given_name"),
        ("8", "sex"),
        ("10", "(row)"),
    ]
    assert "YYYY" not in report[0]["reason"]
    assert "%d/%m/%Y" in report[0]["reason"]


def test_unknown_area_code_is_quarantined_for_a_population_register(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    run = run_import(write_csv([person_row(1, area="PT-NOWHERE"), person_row(2)]), mapping)
    assert list(QuarantinedRow.objects.filter(run=run).values_list("row_number", "field")) == [
        (1, "area_code")
    ]
    assert run.inserted_count == 1


def test_reimporting_the_same_file_changes_nothing(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    path = write_csv([person_row(i) for i in range(1, 10)])
    first = run_import(path, mapping)
    snapshot = list(
        SourceRecord.objects.order_by("pk").values_list("pk", "digest", "updated_by_run", "last_seen_at")
    )
    persons = list(Person.objects.order_by("pk").values_list("pk", "updated_at"))
    memberships = list(Membership.objects.order_by("pk").values_list("pk", "household", "role", "valid_to"))

    second = run_import(path, mapping)

    assert second.pk != first.pk
    assert (second.read_count, second.inserted_count, second.updated_count, second.unchanged_count) == (
        9,
        0,
        0,
        9,
    )
    assert (
        list(
            SourceRecord.objects.order_by("pk").values_list("pk", "digest", "updated_by_run", "last_seen_at")
        )
        == snapshot
    )
    assert list(Person.objects.order_by("pk").values_list("pk", "updated_at")) == persons
    assert (
        list(Membership.objects.order_by("pk").values_list("pk", "household", "role", "valid_to"))
        == memberships
    )


def test_a_changed_row_updates_its_record_and_person(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    run_import(write_csv([person_row(1), person_row(2)]), mapping)
    second = run_import(write_csv([person_row(1, addr="Rua Nova 5"), person_row(2)], name="v2.csv"), mapping)
    assert (second.inserted_count, second.updated_count, second.unchanged_count) == (0, 1, 1)
    record = SourceRecord.objects.get(source_key="R00001")
    assert record.data["address"] == "Rua Nova 5"
    assert record.updated_by_run_id == second.pk
    assert record.created_by_run_id != second.pk
    assert record.person is not None
    assert record.person.address == "Rua Nova 5"


def test_provenance_records_source_extract_and_run(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    run = run_import(write_csv([person_row(1)]), mapping)
    source = RegistrySource.objects.get(name="pt-tax")
    assert (source.agency, source.dataset, source.licence, source.key_column) == (
        "Tax authority",
        "tax_persons",
        "restricted",
        "id",
    )
    assert source.schema["fields"]["birth_date"]["format"] == "%d/%m/%Y"
    record = SourceRecord.objects.get()
    extracted = dt.datetime(2024, 6, 30, tzinfo=dt.UTC)
    assert record.first_seen_at == record.last_seen_at == extracted
    assert record.created_by_run_id == run.pk
    assert record.person is not None
    assert record.person.area is not None
    assert record.person.area.code == "PT-110601"
    assert str(record.person) == f"Person {record.person.pk}"  # no personal data
    assert run.file_digest
    assert len(run.file_digest) == 64


def test_a_newer_extract_with_the_same_rows_only_moves_last_seen(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    path = write_csv([person_row(1)])
    first = run_import(path, mapping)
    later = registry_source_import(
        source_name="pt-tax",
        file_path=path,
        mapping=mapping,
        options=ImportOptions(extracted_at=dt.datetime(2024, 7, 31, tzinfo=dt.UTC)),
    )
    record = SourceRecord.objects.get()
    assert later.unchanged_count == 1
    assert record.first_seen_at.date() == dt.date(2024, 6, 30)
    assert record.last_seen_at.date() == dt.date(2024, 7, 31)
    assert record.updated_by_run_id == first.pk


def test_households_and_memberships_come_from_the_register(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    run_import(write_csv([person_row(i) for i in range(2, 6)]), mapping)  # H1: 2,3  H2: 4,5
    assert Household.objects.count() == 2
    heads = Membership.objects.filter(role="head").count()
    assert heads == 2
    assert Membership.objects.count() == 4
    # Person 3 moves to household H2: the old membership is closed, a new one opened.
    run_import(
        write_csv([person_row(i, **({"hh": "H2"} if i == 3 else {})) for i in range(2, 6)], name="v2.csv"),
        mapping,
    )
    person = SourceRecord.objects.get(source_key="R00003").person
    open_ = Membership.objects.get(person=person, valid_to__isnull=True)
    assert open_.household.reference == "pt-tax:H2"
    assert Membership.objects.filter(person=person, valid_to__isnull=False).count() == 1


def test_records_sharing_a_national_id_are_one_person(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    run = run_import(write_csv([person_row(1), person_row(2, nif="100000001")]), mapping)
    assert run.inserted_count == 2
    assert Person.objects.count() == 1
    assert SourceRecord.objects.filter(person__isnull=False).values("person").distinct().count() == 1


def test_a_duplicate_key_in_one_file_is_quarantined(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> None:
    run = run_import(
        write_csv([person_row(1), person_row(2), person_row(1, addr="Other")]), mapping, batch_size=10
    )
    assert list(QuarantinedRow.objects.filter(run=run).values_list("row_number", "field")) == [(3, "id")]


def test_parquet_import_reads_typed_columns(tmp_path: Path, db: None) -> None:
    table = pa.table(
        {
            "rid": ["a", "b", "c"],
            "born": pa.array([dt.date(1940, 1, 2), None, dt.date(1950, 5, 6)], pa.date32()),
            "income": [100.5, 200.0, None],
            "name": ["Ana", "Rui", None],
        }
    )
    path = tmp_path / "benefits.parquet"
    pq.write_table(table, path)
    spec = mapping_parse(
        {
            "source": {"agency": "Social security", "dataset": "benefits"},
            "key_column": "rid",
            "fields": {
                "birth_date": {"column": "born", "type": "date"},
                "income_eur": {"column": "income", "type": "number"},
                "given_name": {"column": "name", "required": True},
            },
        }
    )
    run = run_import(path, spec, source="pt-ss", batch_size=2)
    assert (run.inserted_count, run.quarantined_count) == (2, 1)
    assert SourceRecord.objects.get(source_key="a").data == {
        "birth_date": "1940-01-02",
        "income_eur": 100.5,
        "given_name": "Ana",
    }
    assert Person.objects.count() == 0  # not a population register: records only


def test_missing_columns_are_named_before_anything_is_written(
    write_csv: Callable[..., Path], mapping: MappingSpec
) -> None:
    path = write_csv([["1", "x"]], header=["id", "first"])
    with pytest.raises(ValueError, match=r"column\(s\) \['addr'"):
        run_import(path, mapping)
    assert ImportRun.objects.count() == 0


class Crash(RuntimeError):
    pass


def test_a_restarted_import_completes_and_ends_in_the_same_state(
    write_csv: Callable[..., Path], areas: int
) -> None:
    rows = [person_row(i) for i in range(1, 21)]
    rows[4] = person_row(5, dob="bad")
    rows[13] = person_row(14, sex="?")
    path = write_csv(rows)
    crashing, clean = (mapping_parse(mapping_data()) for _ in range(2))
    calls = 0

    def crash_after_two_batches(run: ImportRun) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # the first call is the start, then one per committed batch
            raise Crash("killed")

    with pytest.raises(Crash):
        run_import(path, crashing, source="crashy", on_progress=crash_after_two_batches)
    interrupted = ImportRun.objects.get()
    assert interrupted.status == ImportRun.Status.FAILED
    assert interrupted.rows_done == 8
    assert SourceRecord.objects.count() == 7

    resumed = run_import(path, crashing, source="crashy")

    assert resumed.pk == interrupted.pk
    assert resumed.status == ImportRun.Status.FINISHED
    # Same counts as an uninterrupted run: nothing counted twice, nothing missed.
    assert (
        resumed.read_count,
        resumed.inserted_count,
        resumed.unchanged_count,
        resumed.quarantined_count,
    ) == (20, 18, 0, 2)
    assert QuarantinedRow.objects.filter(run=resumed).count() == 2
    crash_records = set(
        SourceRecord.objects.filter(source__name="crashy").values_list("source_key", "digest")
    )
    Membership.objects.all().delete()
    SourceRecord.objects.all().delete()
    Person.objects.all().delete()
    reference = run_import(path, clean, source="clean")
    assert (reference.inserted_count, reference.quarantined_count) == (18, 2)
    assert (
        set(SourceRecord.objects.filter(source__name="clean").values_list("source_key", "digest"))
        == crash_records
    )


def test_insert_statements_come_in_few_shapes_so_the_statement_cache_stays_small() -> None:
    from govreach.registry.services import _statement_sizes

    sizes = list(_statement_sizes(50_000, 1000))
    assert sum(size for _, size in sizes) == 50_000
    assert [start for start, _ in sizes] == [sum(s for _, s in sizes[:i]) for i in range(len(sizes))]
    shapes = {size for _, size in sizes}
    assert all(size & (size - 1) == 0 for size in shapes)  # powers of two only
    assert max(shapes) == 512


def test_a_crash_inside_a_batch_leaves_nothing_of_that_batch(
    write_csv: Callable[..., Path], areas: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govreach.registry import services

    path = write_csv([person_row(i) for i in range(1, 11)])
    spec = mapping_parse(mapping_data())
    original = services._BatchWriter._memberships
    calls = 0

    def fail_second_batch(self: services._BatchWriter, *args: object) -> None:
        nonlocal calls
        calls += 1
        original(self, *args)  # type: ignore[arg-type]
        if calls == 2:
            raise Crash("power cut after persons and records were written")

    monkeypatch.setattr(services._BatchWriter, "_memberships", fail_second_batch)
    with pytest.raises(Crash):
        run_import(path, spec)
    assert ImportRun.objects.get().rows_done == 4
    assert (SourceRecord.objects.count(), Person.objects.count(), Membership.objects.count()) == (4, 4, 4)
    monkeypatch.undo()
    resumed = run_import(path, spec)
    assert (resumed.inserted_count, SourceRecord.objects.count(), Membership.objects.count()) == (10, 10, 10)
