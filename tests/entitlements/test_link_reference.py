"""The cycle's link step (written for national scale) against a straightforward reference.

The reference is the plain form of the same rules: every address normalised as one string, the first
listing of a supply point and the first record of a tax number picked by ROW_NUMBER, one join per
address rule and the household's addresses as a DISTINCT table. On a generated population with extra
defects (abbreviated, comma-less and missing addresses, missing postcodes, names and tax numbers), both
give the same link of every supply point and the same mismatch kinds of every record.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from govreach.entitlements import steps
from govreach.entitlements.config import CycleConfig, load_cycle_config
from govreach.entitlements.engines import Free, SqlDialect, View, is_scratch
from govreach.entitlements.selectors import cycle_mismatches
from govreach.entitlements.services import cycle_run, cycles_dir, pack_path
from govreach.packs.loader import load_pack
from govreach.population import generate_population

from .conftest import FIRST_ON, PACK, edit_registry

ACCENTED = "áàâãäéèêëíìîïóòôõöúùûüçñ"
PLAIN = "aaaaaeeeeiiiiooooouuuucn"


def _config() -> CycleConfig:
    return load_cycle_config(pack_path(PACK))


def _reference_address_key(value: str, config: CycleConfig) -> str:
    """The address key of one address as a single string, the abbreviations as a chain of replaces."""
    parts = max(config.linkage.address_parts, 1)
    pattern = "^([^,]*" + "(,[^,]*)?" * (parts - 1) + ")"
    key = f"trim(regexp_replace(regexp_extract(translate(lower({value}), '{ACCENTED}', '{PLAIN}'), '{pattern}', 1), '[^a-z0-9]+', ' ', 'g'))"
    for short, long in sorted(config.linkage.abbreviations.items()):
        token = short.strip(".").lower()
        if token and token.isalnum():
            key = f"regexp_replace({key}, '^{token} ', '{long} ')"
    return key


def _reference_links(
    registries: Path, config: CycleConfig
) -> tuple[dict[str, tuple[str | None, str | None]], set[tuple[str, str, str]]]:
    """``cpe -> (tax household, link method)`` and ``(record id, cpe, kind)`` of a first cycle."""
    folder = registries / "registries"
    name_key = "regexp_replace(translate(lower({0}), '" + ACCENTED + "', '" + PLAIN + "'), '[^a-z]', '', 'g')"
    person_name = f"concat(coalesce({name_key.format('given_name')}, ''), coalesce({name_key.format('family_name')}, ''))"
    postcode = f"substr(postcode, 1, {config.linkage.postcode_digits})"
    statements = f"""
        CREATE TABLE tax AS SELECT * FROM read_parquet('{folder}/at_household_income.parquet');
        CREATE TABLE customers AS SELECT * FROM read_parquet('{folder}/electricity_customers.parquet');
        CREATE TABLE tax_norm AS
            SELECT record_id, national_id, tax_household_id, {person_name} AS name_key, {postcode} AS postcode_key,
                   CASE WHEN address IS NOT NULL THEN {_reference_address_key("address", config)} END AS address_key
            FROM tax;
        CREATE TABLE nif_index AS
            SELECT national_id, tax_household_id, name_key FROM (
                SELECT *, row_number() OVER (PARTITION BY national_id ORDER BY record_id) AS rn
                FROM tax_norm WHERE national_id IS NOT NULL)
            WHERE rn = 1;
        CREATE TABLE customers_norm AS
            SELECT c.record_id, c.national_id, c.cpe, {person_name.replace("given_name", "c.given_name").replace("family_name", "c.family_name")} AS name_key,
                   {postcode.replace("postcode", "c.postcode")} AS postcode_key,
                   CASE WHEN c.address IS NOT NULL THEN {_reference_address_key("c.address", config)} END AS address_key,
                   n.national_id IS NOT NULL AS is_nif_known, n.tax_household_id AS nif_household, n.name_key AS nif_name_key
            FROM customers c LEFT JOIN nif_index n ON n.national_id = c.national_id;
        CREATE TABLE ranked AS
            SELECT *, row_number() OVER (
                PARTITION BY cpe
                ORDER BY CASE WHEN is_nif_known THEN 0 WHEN national_id IS NOT NULL THEN 1 ELSE 2 END, record_id
            ) AS listing_rank
            FROM customers_norm;
        CREATE TABLE contracts AS SELECT * FROM ranked WHERE listing_rank = 1;
        CREATE TABLE by_address_and_name AS
            SELECT c.cpe, min(t.tax_household_id) AS hh, count(DISTINCT t.tax_household_id) AS n
            FROM contracts c JOIN tax_norm t ON t.address_key = c.address_key AND t.postcode_key = c.postcode_key
                AND t.name_key = c.name_key
            WHERE NOT c.is_nif_known GROUP BY c.cpe;
        CREATE TABLE by_address AS
            SELECT c.cpe, min(t.tax_household_id) AS hh, count(DISTINCT t.tax_household_id) AS n
            FROM contracts c JOIN tax_norm t ON t.address_key = c.address_key AND t.postcode_key = c.postcode_key
            WHERE NOT c.is_nif_known GROUP BY c.cpe;
        CREATE TABLE links AS
            SELECT c.*,
                   CASE WHEN c.is_nif_known THEN c.nif_household WHEN an.n = 1 THEN an.hh WHEN a.n = 1 THEN a.hh END
                       AS tax_household_id,
                   CASE WHEN c.is_nif_known THEN 'tax_number' WHEN an.n = 1 THEN 'address_and_name'
                        WHEN a.n = 1 THEN 'address' END AS link_method,
                   an.n AS address_and_name_hits, a.n AS address_hits
            FROM contracts c LEFT JOIN by_address_and_name an USING (cpe) LEFT JOIN by_address a USING (cpe);
        CREATE TABLE household_addresses AS SELECT DISTINCT tax_household_id, address_key, postcode_key FROM tax_norm;
        CREATE TABLE kinds AS
            SELECT record_id, cpe, 'no_tax_number' AS kind FROM links WHERE national_id IS NULL
            UNION ALL SELECT record_id, cpe, 'unknown_tax_number' FROM links WHERE national_id IS NOT NULL AND NOT is_nif_known
            UNION ALL SELECT l.record_id, l.cpe, 'address_mismatch' FROM links l
                LEFT JOIN household_addresses h ON h.tax_household_id = l.nif_household
                    AND h.address_key = l.address_key AND h.postcode_key = l.postcode_key
                WHERE l.is_nif_known AND h.tax_household_id IS NULL
            UNION ALL SELECT record_id, cpe, 'name_mismatch' FROM links WHERE is_nif_known AND name_key <> nif_name_key
            UNION ALL SELECT record_id, cpe, 'ambiguous_address' FROM links
                WHERE link_method IS NULL AND (coalesce(address_hits, 0) > 1 OR coalesce(address_and_name_hits, 0) > 1)
            UNION ALL SELECT record_id, cpe, 'no_address_match' FROM links
                WHERE link_method IS NULL AND address_hits IS NULL AND NOT is_nif_known
            UNION ALL SELECT record_id, cpe, 'duplicate_supply_point' FROM ranked WHERE listing_rank > 1;
    """
    with duckdb.connect() as con:
        for statement in filter(str.strip, statements.split(";")):
            con.execute(statement)
        links = {
            cpe: (household, method)
            for cpe, household, method in con.execute(
                "SELECT cpe, tax_household_id, link_method FROM links"
            ).fetchall()
        }
        kinds = {tuple(row) for row in con.execute("SELECT record_id, cpe, kind FROM kinds").fetchall()}
    return links, kinds


@pytest.fixture(scope="module")
def defective_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 households, and records the generator does not make: abbreviated streets, addresses without
    commas or starting with one, missing addresses, postcodes, names and tax numbers."""
    out = tmp_path_factory.mktemp("pt-defects")
    generate_population(country="pt", households=2000, seed=7, out_dir=out)
    n = "CAST(substr(record_id, 4) AS INTEGER)"
    edit_registry(
        out,
        "electricity_customers",
        f"""SELECT * REPLACE (
            CASE WHEN {n} % 11 = 0 THEN regexp_replace(regexp_replace(address, '^Rua ', 'R. '), '^Avenida ', 'Av ')
                 WHEN {n} % 13 = 0 THEN replace(address, ',', '')
                 WHEN {n} % 17 = 0 THEN ', ' || address
                 WHEN {n} % 19 = 0 THEN NULL
                 WHEN {n} % 23 = 0 THEN upper(address) || ',,'
                 ELSE address END AS address,
            CASE WHEN {n} % 29 = 0 THEN NULL ELSE postcode END AS postcode,
            CASE WHEN {n} % 31 = 0 THEN NULL ELSE given_name END AS given_name,
            CASE WHEN {n} % 37 = 0 THEN NULL WHEN {n} % 41 = 0 THEN '999999990' ELSE national_id END AS national_id)
        FROM src""",
    )
    edit_registry(
        out,
        "at_household_income",
        f"""SELECT * REPLACE (
            CASE WHEN {n} % 7 = 0 THEN regexp_replace(address, '^Travessa ', 'Tv. ')
                 WHEN {n} % 43 = 0 THEN NULL
                 WHEN {n} % 47 = 0 THEN replace(address, ', ', ' , ')
                 ELSE address END AS address,
            CASE WHEN {n} % 53 = 0 THEN NULL ELSE family_name END AS family_name)
        FROM src""",
    )
    return out


@pytest.mark.django_db
def test_links_and_mismatch_kinds_are_those_of_the_straightforward_reference(
    defective_population: Path, tmp_path: Path
) -> None:
    registries = tmp_path / "population"
    shutil.copytree(defective_population, registries)
    expected_links, expected_kinds = _reference_links(registries, _config())

    cycle = cycle_run(pack=PACK, decided_on=FIRST_ON, registries=registries)

    links = pq.read_table(cycles_dir() / str(cycle.pk) / "prev_links.parquet").to_pylist()
    assert {r["cpe"]: (r["tax_household_id"], r["link_method"]) for r in links} == expected_links
    kinds = {(m["record_id"], m["cpe"], m["kind"]) for m in cycle_mismatches(cycle)}
    assert kinds == expected_kinds
    # The population exercises every rule and kind the reference knows.
    assert {method for _, method in expected_links.values()} == {
        "tax_number",
        "address_and_name",
        "address",
        None,
    }
    assert {kind for _, _, kind in expected_kinds} == {
        "no_tax_number",
        "unknown_tax_number",
        "address_mismatch",
        "name_mismatch",
        "ambiguous_address",
        "no_address_match",
        "duplicate_supply_point",
    }


@pytest.mark.parametrize(
    "address",
    [
        "Rua da Alegria, 12, 3º Esq.",
        "R. da Alegria, 12",
        "r da alegria,12",
        "AV  Dr. António José d'Almeida ,  7-A , r/c",
        "Av. Brasil, 7",
        "Travessa do Açúcar 15",
        ", 9",
        ",",
        "",
        "  ",
        "Largo, ",
        "Lg. São João,,5",
        "Rua Ü-Ø-Å, 4",
        "r",
        "R ,1",
        "Praça, 3º",
    ],
)
def test_an_address_key_made_of_its_parts_is_the_key_of_the_whole_address(address: str) -> None:
    config = _config()
    d = SqlDialect("duckdb")
    with duckdb.connect() as con:
        con.execute("CREATE TABLE src AS SELECT ? AS address", [address])
        con.execute(f"CREATE TABLE tmp_address_parts AS {steps.address_part_keys(d, ('src',), config)}")
        key = steps._expand_abbreviations(steps.address_key_sql("c", config), config)
        records = f"(SELECT *, {d.comma_parts('address')} AS address_parts FROM src) c"
        (parts_key,) = con.execute(
            f"SELECT {key} FROM {records} {steps.address_key_joins(d, 'c', config)}"
        ).fetchone()
        (whole_key,) = con.execute(f"SELECT {_reference_address_key('address', config)} FROM src").fetchone()
    assert parts_key == whole_key


def _step_tables() -> list[tuple[str, list[tuple[str, str]]]]:
    pack = load_pack(pack_path(PACK))
    ctx = steps.StepContext(
        ruleset=pack.ruleset,
        config=load_cycle_config(pack.path),
        decided_on=dt.date(2025, 2, 1),
        previous_on=dt.date(2025, 1, 1),
        dialect=SqlDialect("duckdb"),
        cycle_id=2,
        pack_id=PACK,
    )
    builders = (steps.link_tables, steps.facts_tables, steps.decide_tables, steps.compare_tables)
    return [(builder.__name__, builder(ctx)) for builder in builders]


def test_no_step_reads_another_steps_scratch_tables_and_views_read_durable_tables_only() -> None:
    # A resumed cycle skips the finished steps, whose scratch tables are gone: nothing may need them.
    created_before: set[str] = set()
    for step, tables in _step_tables():
        live: set[str] = set()
        for name, sql in tables:
            read = set(re.findall(r"\btmp_\w+", sql))
            assert read <= live, f"{step}: {name} reads {read - live}, not made earlier in the step"
            if isinstance(sql, View):
                assert not read, f"{step}: the view {name} reads scratch tables {read}"
            if isinstance(sql, Free):
                assert name in live, f"{step}: frees {name}, which it did not make"
                live.discard(name)
            elif is_scratch(name):
                live.add(name)
            else:
                created_before.add(name)
        assert not live, f"{step}: scratch tables {live} are never freed"
    assert {"links", "tax_members", "mismatches", "plan"} <= created_before
