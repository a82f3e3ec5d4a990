"""Targeting in batch: the pack's registry facts as one SQL query, the compiled rules over it in DuckDB.

Nothing here loops over residents: ``outreach.yaml``'s ``registries`` become one query over the
Parquet files, ``govreach.rules.run_batch_duckdb`` decides every person at once, and only the
targeted rows come back to Python to be written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from govreach.packs.outreach import Outreach, RegistryFact
from govreach.rules import BatchTables, run_batch_duckdb
from govreach.rules.compile import column_for_criterion, column_for_decision, column_for_output
from govreach.rules.model import RuleSet


class RegistriesMissing(FileNotFoundError):
    """A registry the pack's outreach.yaml reads is not in the registries folder."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parquet(registries_dir: Path, dataset: str) -> str:
    path = registries_dir / f"{dataset}.parquet"
    if not path.exists():
        raise RegistriesMissing(f"no registry '{dataset}' at {path}: generate or import it first")
    return "read_parquet('" + path.as_posix().replace("'", "''") + "')"


def _linked_cte(fact: RegistryFact, source_sql: str, link_on: str) -> str:
    """One row per link key with the fact's aggregate over the linked registry's rows."""
    value = f"({fact.value})"
    if fact.aggregate == "list":
        agg = f"list_sort(list(DISTINCT {value}) FILTER (WHERE {value} IS NOT NULL))"
    elif fact.aggregate == "any":
        agg = f"bool_or({value})"
    else:
        agg = f"arg_max({value}, ({fact.order_by}))"
    key = _quote(link_on)
    # The SQL comes from the pack (checked as one expression when it loaded), never from a person.
    return f"SELECT {key} AS link_key, {agg} AS v FROM {source_sql} WHERE {key} IS NOT NULL GROUP BY {key}"  # noqa: S608


def units_sql(outreach: Outreach, ruleset: RuleSet, registries_dir: Path) -> str:
    """The population as rules units: ``unit_id`` (the register's record_id), ``area_code`` and a column
    per fact of rules.yaml (declared facts from SQL, the others unknown)."""
    reg = outreach.registries
    ctes = [f"pop AS (SELECT * FROM {_parquet(registries_dir, reg.population)})"]  # noqa: S608
    selects = ["p.record_id AS unit_id", f"p.{_quote(reg.area_column)} AS area_code"]
    joins: list[str] = []
    for i, (name, spec) in enumerate(sorted(ruleset.inputs.unit_fields.items())):
        fact = reg.facts.get(name)
        column = _quote(spec.column)
        if fact is None:
            selects.append(f"NULL AS {column}")
        elif fact.source is None:
            selects.append(f"({fact.expr}) AS {column}")
        else:
            alias = f"f{i}"
            ctes.append(
                f"{alias} AS ({_linked_cte(fact, _parquet(registries_dir, fact.source), reg.link_on)})"
            )
            joins.append(f"LEFT JOIN {alias} ON {alias}.link_key = p.{_quote(reg.link_on)}")
            value = f"{alias}.v" if fact.default is None else f"coalesce({alias}.v, {fact.default})"
            selects.append(f"{value} AS {column}")
    return f"WITH {', '.join(ctes)} SELECT {', '.join(selects)} FROM pop p {' '.join(joins)}"  # noqa: S608


@dataclass(frozen=True)
class TargetedRow:
    """One person the rules target: where they live, their tier, and the facts and criteria behind it."""

    record_id: str
    person_id: int
    area_id: int
    tier: str | None
    interval_weeks: float | None
    is_intensive: bool
    facts: dict[str, Any]
    criteria: dict[str, bool | None]
    decisions: dict[str, bool | None]


@dataclass(frozen=True)
class BatchResult:
    decided_on: dt.date
    eligible_by_area: dict[int, int]
    undetermined: int
    targeted: list[TargetedRow]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def run_targeting_batch(
    *,
    outreach: Outreach,
    ruleset: RuleSet,
    registries_dir: Path,
    person_map: pa.Table,
    on: dt.date,
) -> BatchResult:
    """Decide every person of the registries on ``on``; return counts by area and the targeted rows.

    ``person_map`` has ``record_id``, ``person_id``, ``area_id``: the registry's linkage of the population
    register's records to persons (records it does not know are left out).
    """
    con = duckdb.connect()
    try:
        con.register("person_map", person_map)
        con.execute(f"CREATE TEMP VIEW outreach_units AS {units_sql(outreach, ruleset, registries_dir)}")
        run_batch_duckdb(ruleset, on=on, con=con, tables=BatchTables(units="outreach_units"), into="decided")
        target = column_for_decision(outreach.decision)
        intensive = column_for_decision(outreach.intensive_decision)
        by_area = con.execute(
            f"SELECT m.area_id, count(*) FROM decided d JOIN person_map m ON m.record_id = d.unit_id "  # noqa: S608
            f"WHERE d.{target} IS TRUE AND m.area_id IS NOT NULL GROUP BY m.area_id"
        ).fetchall()
        undetermined = con.execute(f"SELECT count(*) FROM decided WHERE {target} IS NULL").fetchall()[0][0]  # noqa: S608
        fact_columns = {name: spec.column for name, spec in ruleset.inputs.unit_fields.items()}
        criteria_ids = [node.id for _d, node, _depth in ruleset.criteria()]
        interval_sql = (
            f"d.{column_for_output(outreach.interval_output)}" if outreach.interval_output else "NULL"
        )
        columns = [
            "d.unit_id",
            "m.person_id",
            "m.area_id",
            f"d.{column_for_output(outreach.tier_output)}",
            interval_sql,
            f"d.{intensive}",
            *(f"d.{column_for_decision(n)}" for n in ruleset.decisions),
            *(f'd."{column_for_criterion(c)}"' for c in criteria_ids),
            *(f'u."{col}"' for col in fact_columns.values()),
        ]
        cursor = con.execute(
            f"SELECT {', '.join(columns)} FROM decided d JOIN person_map m ON m.record_id = d.unit_id "  # noqa: S608
            f"JOIN outreach_units u ON u.unit_id = d.unit_id WHERE d.{target} IS TRUE ORDER BY d.unit_id"
        )
        rows: list[TargetedRow] = []
        n_dec = len(ruleset.decisions)
        n_crit = len(criteria_ids)
        for row in cursor.fetchall():
            decisions = dict(zip(ruleset.decisions, row[6 : 6 + n_dec], strict=True))
            criteria = dict(zip(criteria_ids, row[6 + n_dec : 6 + n_dec + n_crit], strict=True))
            facts = {
                name: _jsonable(v)
                for name, v in zip(fact_columns, row[6 + n_dec + n_crit :], strict=True)
                if v is not None
            }
            rows.append(
                TargetedRow(
                    record_id=str(row[0]),
                    person_id=int(row[1]),
                    area_id=int(row[2]),
                    tier=None if row[3] is None else str(row[3]),
                    interval_weeks=None if row[4] is None else float(row[4]),
                    is_intensive=row[5] is True,
                    facts=facts,
                    criteria=criteria,
                    decisions=decisions,
                )
            )
    finally:
        con.close()
    return BatchResult(on, {int(a): int(n) for a, n in by_area}, int(undetermined), rows)


def synthetic_coordinates(*, area_code: str, key: str) -> tuple[float, float]:
    """Deterministic stand-in coordinates when a person has none: the area's synthetic centre (from its
    code) plus an offset of at most about 600 m (from ``key``, e.g. the address). For route ordering only."""

    def unit(text: str, salt: str) -> float:
        digest = hashlib.sha256(f"{salt}:{text}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    centre_lat = 37.50 + 0.10 * unit(area_code, "lat")
    centre_lon = 127.00 + 0.10 * unit(area_code, "lon")
    return (
        round(centre_lat + 0.011 * (unit(key, "dlat") - 0.5), 6),
        round(centre_lon + 0.014 * (unit(key, "dlon") - 0.5), 6),
    )


def area_centre(area_code: str) -> tuple[float, float]:
    """The synthetic centre of an area (where a nurse's route starts: the neighbourhood office)."""
    lat, lon = synthetic_coordinates(area_code=area_code, key="")
    return lat, lon


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance: accurate enough within a district."""
    import math

    lat = math.radians((a[0] + b[0]) / 2)
    dx = math.radians(b[1] - a[1]) * math.cos(lat)
    dy = math.radians(b[0] - a[0])
    return 6371.0 * math.hypot(dx, dy)


def nearest_neighbour_route(
    start: tuple[float, float], stops: Mapping[int, tuple[float, float]]
) -> list[int]:
    """Stop ids in visiting order: always the nearest stop not yet visited (ties: the smaller id)."""
    remaining = dict(stops)
    here = start
    order: list[int] = []
    while remaining:
        best = min(remaining, key=lambda k: (distance_km(here, remaining[k]), k))
        order.append(best)
        here = remaining.pop(best)
    return order
