"""The synthetic population generator: determinism, contract, defects, truth and realism."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from govreach.population import (
    DEFECT_NAMES,
    DefectRates,
    PopulationError,
    generate_population,
    parse_defect_spec,
)

STANDARD = ["record_id", "national_id", "given_name", "family_name", "birth_date", "sex"]
STANDARD += ["address", "postcode", "area_code", "phone"]
EXPECTED_DATASETS = {
    "pt": {"civil_register", "at_household_income", "ss_benefits", "electricity_customers", "gas_customers"},
    "bd": {"nid_register", "khatians", "khatian_owners", "deeds", "deed_parties", "heir_certificates"},
    "kr": {"resident_register", "income_status", "chronic_disease", "hospital_discharges"},
    "br": {"cpf_register", "school_enrolment", "student_guardians", "cadunico_families", "schools"},
}
SIZES = {"pt": 2000, "bd": 600, "kr": 1500, "br": 1000}


_GENERATED: dict[str, Path] = {}


def _generate(country: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One small population per country, generated once per test module."""
    if country not in _GENERATED:
        out = tmp_path_factory.mktemp(f"pop_{country}")
        generate_population(country=country, households=SIZES[country], seed=11, out_dir=out)
        _GENERATED[country] = out
    return country, _GENERATED[country]


@pytest.fixture(scope="module", params=["pt", "bd", "kr", "br"])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return _generate(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def pt_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return _generate("pt", tmp_path_factory)


@pytest.fixture(scope="module")
def bd_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return _generate("bd", tmp_path_factory)


@pytest.fixture(scope="module")
def kr_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return _generate("kr", tmp_path_factory)


@pytest.fixture(scope="module")
def br_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return _generate("br", tmp_path_factory)


def _one(sql: str) -> tuple[object, ...]:
    row = duckdb.connect().execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def _manifest(out: Path) -> dict[str, object]:
    manifest: dict[str, object] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def _datasets(out: Path) -> list[dict[str, object]]:
    datasets = _manifest(out)["datasets"]
    assert isinstance(datasets, list)
    return datasets


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    for run in ("a", "b"):
        generate_population(country="pt", households=300, seed=5, out_dir=tmp_path / run)
    generate_population(country="pt", households=300, seed=6, out_dir=tmp_path / "c")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) > 10
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    changed = (tmp_path / "a" / "registries/civil_register.parquet").read_bytes()
    assert changed != (tmp_path / "c" / "registries/civil_register.parquet").read_bytes()


def test_manifest_lists_every_dataset_with_its_row_count_and_columns(generated: tuple[str, Path]) -> None:
    country, out = generated
    manifest = _manifest(out)
    assert manifest["country"] == country
    assert manifest["households"] == SIZES[country]
    names = set()
    for entry in _datasets(out):
        table = pq.read_table(out / str(entry["path"]))
        assert table.num_rows == entry["rows"]
        assert [c["name"] for c in entry["columns"]] == table.column_names  # type: ignore[attr-defined]
        assert entry["agency"]
        assert entry["licence"]
        assert entry["extracted_on"]
        names.add(entry["name"])
    assert EXPECTED_DATASETS[country] | {"households", "household_members"} <= names
    persons = pq.read_table(out / "truth/persons.parquet")
    assert persons.num_rows == manifest["persons"]
    assert pq.read_table(out / "registries/households.parquet").num_rows == SIZES[country]
    assert pq.read_table(out / "registries/household_members.parquet").num_rows == persons.num_rows


def test_person_registries_start_with_the_standard_columns(generated: tuple[str, Path]) -> None:
    _, out = generated
    person_datasets = 0
    for entry in _datasets(out):
        schema = pq.read_schema(out / str(entry["path"]))
        if "given_name" not in schema.names:
            continue
        person_datasets += 1
        assert schema.names[: len(STANDARD)] == STANDARD, entry["name"]
        assert str(schema.field("birth_date").type) == "date32[day]"
        sexes = set(pq.read_table(out / str(entry["path"]), columns=["sex"])["sex"].to_pylist())
        assert sexes <= {"F", "M", "X"}
    assert person_datasets >= 3


def test_every_record_maps_to_exactly_one_known_person(generated: tuple[str, Path]) -> None:
    country, out = generated
    con = duckdb.connect()
    record_person = str(out / "truth/record_person.parquet")
    known = {int(x) for x in pq.read_table(out / "truth/persons.parquet")["person_id"].to_numpy()}
    if country == "bd":
        deceased = pq.read_table(out / "truth/bd_deceased_owners.parquet")["person_id"].to_numpy()
        known |= {int(x) for x in deceased}
    for entry in _datasets(out):
        schema = pq.read_schema(out / str(entry["path"]))
        if "given_name" not in schema.names:
            continue
        path = str(out / str(entry["path"]))
        unmatched, duplicated, total = con.execute(
            f"""
            with t as (select * from '{record_person}' where dataset = ?)
            select
              (select count(*) from '{path}' r anti join t using (record_id)),
              (select count(*) - count(distinct record_id) from t),
              (select count(*) from t)
            """,
            [entry["name"]],
        ).fetchone() or (None, None, None)
        assert unmatched == 0, entry["name"]
        assert duplicated == 0, entry["name"]
        assert total == entry["rows"], entry["name"]
    person_ids = pq.read_table(record_person)["person_id"].to_numpy()
    assert set(np.unique(person_ids).tolist()) <= known


def test_area_hierarchy_is_a_tree_and_records_use_leaf_areas(generated: tuple[str, Path]) -> None:
    _, out = generated
    with (out / "areas.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    codes = {row["code"] for row in rows}
    assert len(codes) == len(rows)
    roots = [row for row in rows if not row["parent_code"]]
    assert len(roots) == 1
    assert roots[0]["level"] == "country"
    parents = {row["parent_code"] for row in rows if row["parent_code"]}
    assert parents <= codes
    level_of = {row["code"]: row["level"] for row in rows}
    depth_levels: dict[str, set[str]] = {}
    for row in rows:
        depth, code = 0, row["code"]
        parent_of = {r["code"]: r["parent_code"] for r in rows}
        while parent_of[code]:
            code, depth = parent_of[code], depth + 1
        depth_levels.setdefault(str(depth), set()).add(level_of[row["code"]])
    assert all(len(levels) == 1 for levels in depth_levels.values())
    leaves = codes - parents
    used = set(pq.read_table(out / "truth/persons.parquet")["area_code"].to_pylist())
    assert used <= leaves


def test_default_defect_rates_keep_the_clean_truth_apart(tmp_path: Path) -> None:
    rates = parse_defect_spec("name_typo=0.2,missing_id=0.3,duplicate=0.1,date_swap=0.5,stale_address=0.2")
    generate_population(country="pt", households=2500, seed=3, out_dir=tmp_path, defects=rates)
    con = duckdb.connect()
    row = con.execute(
        f"""
        select count(*) as n,
          avg((r.given_name <> p.given_name or r.family_name <> p.family_name)::int) as typo,
          avg((r.national_id is null)::int) filter (where p.national_id is not null) as missing,
          avg((r.birth_date <> p.birth_date)::int)
            filter (where day(p.birth_date) <= 12 and day(p.birth_date) <> month(p.birth_date)) as swapped,
          avg((r.address <> p.address)::int) as stale,
          count(distinct t.person_id) as people
        from '{tmp_path}/registries/civil_register.parquet' r
        join '{tmp_path}/truth/record_person.parquet' t
          on t.dataset = 'civil_register' and t.record_id = r.record_id
        join '{tmp_path}/truth/persons.parquet' p using (person_id)
        """
    ).fetchone()
    assert row is not None
    n, typo, missing, swapped, stale, people = row
    assert n / people == pytest.approx(1.1, abs=0.02)
    assert typo == pytest.approx(0.2, abs=0.02)
    assert missing == pytest.approx(0.3, abs=0.02)
    assert swapped == pytest.approx(0.5, abs=0.04)
    assert stale == pytest.approx(0.2, abs=0.02)


def test_supply_addresses_differ_from_the_tax_address_at_the_given_rate(tmp_path: Path) -> None:
    rates = DefectRates(stale_address=0.0, supply_address_mismatch=0.25)
    generate_population(country="pt", households=2500, seed=4, out_dir=tmp_path, defects=rates)
    (share,) = _one(
        f"""
        select avg((e.address <> p.address or e.postcode <> p.postcode)::int)
        from '{tmp_path}/registries/electricity_customers.parquet' e
        join '{tmp_path}/truth/record_person.parquet' t
          on t.dataset = 'electricity_customers' and t.record_id = e.record_id
        join '{tmp_path}/truth/persons.parquet' p using (person_id)
        where e.is_permanent_home and e.is_own_name
        """
    )
    assert share == pytest.approx(0.25, abs=0.03)


def test_portugal_eligibility_share_is_realistic(pt_generated: tuple[str, Path]) -> None:
    _country, out = pt_generated
    (eligible_households,) = _one(
        f"""select count(distinct household_id) from '{out}/truth/pt_expected_eligibility.parquet'
            where is_electricity_eligible"""
    )
    assert 0.13 <= eligible_households / SIZES["pt"] <= 0.21
    electricity = pq.read_table(out / "registries/electricity_customers.parquet")
    ladder = {1.15, 2.3, 3.45, 4.6, 5.75, 6.9, 10.35, 13.8, 17.25, 20.7}
    assert set(electricity["power_kva"].to_pylist()) <= ladder
    assert all(len(c) == 20 and c.startswith("PT0002") for c in electricity["cpe"].to_pylist())


def test_portuguese_nifs_carry_a_valid_check_digit(pt_generated: tuple[str, Path]) -> None:
    _country, out = pt_generated
    nifs = [n for n in pq.read_table(out / "truth/persons.parquet")["national_id"].to_pylist() if n]
    for nif in nifs[:500]:
        remainder = sum(int(d) * w for d, w in zip(nif[:8], range(9, 1, -1), strict=True)) % 11
        assert int(nif[8]) == (0 if remainder < 2 else 11 - remainder)
    assert len(set(nifs)) == len(nifs)


def test_seongdong_has_realistic_shares_of_older_residents(kr_generated: tuple[str, Path]) -> None:
    _country, out = kr_generated
    ages = pq.read_table(out / "truth/persons.parquet")["age_years"].to_numpy()
    assert 0.12 <= np.mean(ages >= 65) <= 0.20
    assert 0.045 <= np.mean(ages >= 75) <= 0.08  # Seongdong: 18,643 of ~300,000 (6.2%)


def test_bangladesh_deeds_point_at_khatians_and_have_parties(bd_generated: tuple[str, Path]) -> None:
    _country, out = bd_generated
    (orphans,) = _one(
        f"""select count(*) from '{out}/registries/deeds.parquet' d
            anti join '{out}/registries/khatians.parquet' k on k.record_id = d.khatian_record_id"""
    )
    assert orphans == 0
    (without_buyer,) = _one(
        f"""select count(*) from '{out}/registries/deeds.parquet' d
            anti join (select * from '{out}/registries/deed_parties.parquet' where party_role = 'buyer') p
            on p.deed_record_id = d.record_id"""
    )
    assert without_buyer == 0


def test_brazil_enrols_ninth_graders_with_a_hub(br_generated: tuple[str, Path]) -> None:
    _country, out = br_generated
    enrolment = pq.read_table(out / "registries/school_enrolment.parquet")
    grades = enrolment["grade"].to_numpy()
    assert set(np.unique(grades).tolist()) <= set(range(1, 10))
    assert (grades == 9).sum() > 0
    assert set(enrolment["hub_id"].to_pylist()) <= {f"HUB-{i}" for i in range(1, 7)}


def test_bad_country_and_defect_spec_name_the_option_and_accepted_values(tmp_path: Path) -> None:
    with pytest.raises(PopulationError, match=r"--country: unknown country 'fr'; accepted: pt, bd, kr, br"):
        generate_population(country="fr", households=10, seed=1, out_dir=tmp_path)
    with pytest.raises(PopulationError, match="--defects: unknown defect 'typos'; accepted: name_typo"):
        parse_defect_spec("typos=0.1")
    with pytest.raises(PopulationError, match=r"rate of missing_id must be in \[0, 1\]"):
        parse_defect_spec("missing_id=1.5")
    assert parse_defect_spec("name_typo=0.05,missing_id=0.10").missing_id == 0.10
    assert set(DEFECT_NAMES) == set(DefectRates().as_dict())


def test_command_generates_files_and_reports_bad_options(tmp_path: Path) -> None:
    call_command(
        "population",
        "generate",
        "--country",
        "kr",
        "--households",
        "50",
        "--seed",
        "2",
        "--out",
        str(tmp_path),
    )
    assert (tmp_path / "manifest.json").exists()
    assert (tmp_path / "areas.csv").exists()
    with pytest.raises(CommandError, match="accepted: pt, bd, kr, br"):
        call_command("population", "generate", "--country", "xx", "--households", "5", "--out", str(tmp_path))


def test_population_built_in_chunks_is_deterministic_and_keeps_ids_distinct(tmp_path: Path) -> None:
    for run in ("a", "b"):
        generate_population(
            country="pt", households=2001, seed=7, out_dir=tmp_path / run, chunk_households=700
        )
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    out = tmp_path / "a"
    assert pq.ParquetFile(out / "registries/electricity_customers.parquet").metadata.num_row_groups == 3
    for entry in _datasets(out):
        assert pq.read_metadata(out / str(entry["path"])).num_rows == entry["rows"]
    assert pq.read_table(out / "registries/households.parquet").num_rows == 2001
    distinct = {
        "registries/households.parquet": "household_id",
        "registries/civil_register.parquet": "record_id",
        "registries/at_household_income.parquet": "record_id",
        "registries/electricity_customers.parquet": "record_id",
        "truth/persons.parquet": "national_id",
        "truth/pt_expected_eligibility.parquet": "cpe",
        "truth/pt_expected_gas_eligibility.parquet": "cui",
    }
    for relative, column in distinct.items():
        (rows, values) = _one(f"select count({column}), count(distinct {column}) from '{out / relative}'")
        assert rows == values, relative
    persons = pq.read_table(out / "truth/persons.parquet")["person_id"].to_numpy()
    assert persons.tolist() == list(range(_manifest(out)["persons"]))  # type: ignore[arg-type]
    (orphans,) = _one(
        f"select count(*) from '{out}/truth/record_person.parquet' anti join '{out}/truth/persons.parquet' "
        "using (person_id)"
    )
    assert orphans == 0


def test_population_in_one_chunk_is_the_population_written_at_once(tmp_path: Path) -> None:
    generate_population(country="pt", households=300, seed=5, out_dir=tmp_path / "a")
    generate_population(country="pt", households=300, seed=5, out_dir=tmp_path / "b", chunk_households=300)
    for path in (tmp_path / "a").rglob("*.parquet"):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()
