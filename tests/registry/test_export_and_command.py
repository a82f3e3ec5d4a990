"""Parquet export for batch work, and the ``govreach registry`` command's two subcommands."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import duckdb
import pytest
import yaml
from django.core.management import CommandError, call_command

from govreach.registry.mapping import MappingSpec
from govreach.registry.models import ImportRun, SourceRecord
from govreach.registry.selectors import export_to_parquet
from govreach.registry.services import registry_source_import

from .conftest import mapping_data, person_row

pytestmark = pytest.mark.django_db


def test_export_writes_persons_households_memberships_for_duckdb(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int, tmp_path: Path
) -> None:
    registry_source_import(
        source_name="civil", file_path=write_csv([person_row(i) for i in range(2, 6)]), mapping=mapping
    )
    written = export_to_parquet(out_dir=tmp_path / "out", batch_size=3)
    con = duckdb.connect()
    persons = con.sql(f"SELECT count(*), min(birth_date) FROM '{written['persons']}'").fetchall()
    assert persons[0][0] == 4
    assert str(persons[0][1]) == "1950-03-03"
    joined = con.sql(
        f"SELECT count(*) FROM '{written['memberships']}' m "
        f"JOIN '{written['households']}' h USING (household_id) WHERE m.role = 'head'"
    ).fetchall()
    assert joined == [(2,)]
    assert con.sql(f"SELECT count(*) FROM '{written['areas']}'").fetchall() == [(7,)]


def write_mapping(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_import_command_reports_counts_and_the_error_report(
    write_csv: Callable[..., Path], areas: int, tmp_path: Path
) -> None:
    csv_path = write_csv([person_row(1), person_row(2, sex="?")])
    out = StringIO()
    call_command(
        "registry",
        "import",
        "civil",
        str(csv_path),
        "--mapping",
        str(write_mapping(tmp_path, mapping_data())),
        stdout=out,
    )
    text = out.getvalue()
    assert "1 row(s) quarantined" in text
    assert "persons.csv.errors.csv" in text
    assert ImportRun.objects.get().inserted_count == 1


def test_import_command_turns_a_bad_mapping_into_a_clear_error(
    write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    data = mapping_data()
    data["fields"]["sex"]["type"] = "enum"
    with pytest.raises(CommandError, match=r"fields\.sex\.type"):
        call_command(
            "registry",
            "import",
            "civil",
            str(write_csv([person_row(1)])),
            "--mapping",
            str(write_mapping(tmp_path, data)),
        )
    assert SourceRecord.objects.count() == 0


def test_link_command_refuses_an_unknown_source() -> None:
    with pytest.raises(CommandError, match="import it first"):
        call_command("registry", "link", "nope", "nada")
