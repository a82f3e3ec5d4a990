"""Run a compiled rule set over whole registries in DuckDB, without the ORM and without Python loops."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import duckdb

from govreach.rules.compile import CompiledBatch, compile_batch
from govreach.rules.model import RuleSet

_counter = itertools.count()


@dataclass(frozen=True)
class BatchTables:
    """Where the batch reads: a table or view name, or a Parquet file or glob, for units and members."""

    units: str
    members: str | None = None


def _source_sql(source: str) -> str:
    if source.endswith(".parquet") or "*" in source:
        return "read_parquet(" + "'" + source.replace("'", "''") + "')"
    return '"' + source.replace('"', '""') + '"'


def run_batch_duckdb(
    ruleset: RuleSet,
    *,
    on: dt.date,
    con: duckdb.DuckDBPyConnection,
    tables: BatchTables,
    into: str | None = None,
) -> tuple[CompiledBatch, Any]:
    """Decide every unit of ``tables`` on ``on``. Returns the compiled query and a DuckDB relation,
    or writes the results to table ``into`` (replacing it) and returns its name as the second item."""
    n = next(_counter)
    units_view, members_view = f"govreach_units_{n}", f"govreach_members_{n}"
    # Names and paths are quoted by _source_sql; no value from a person reaches this SQL.
    con.execute(f"CREATE OR REPLACE TEMP VIEW {units_view} AS SELECT * FROM {_source_sql(tables.units)}")  # noqa: S608
    if tables.members is not None:
        members_sql = _source_sql(tables.members)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {members_view} AS SELECT * FROM {members_sql}")  # noqa: S608
    compiled = compile_batch(ruleset, on=on, units_table=units_view, members_table=members_view)
    if into is not None:
        con.execute(f'CREATE OR REPLACE TABLE "{into}" AS {compiled.sql}')
        return compiled, into
    return compiled, con.sql(compiled.sql)
