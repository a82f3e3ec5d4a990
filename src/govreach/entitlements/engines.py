"""Where a cycle's steps run: DuckDB (one working database file) or Spark SQL (local or a cluster).

An engine creates named tables from SELECT statements, loads Parquet and Arrow, and hands results back
as Arrow. Dialect differences are the few helpers of :class:`SqlDialect`; the steps are written once.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class SqlDialect:
    """The constructs that differ between DuckDB and Spark SQL; everything else is written once."""

    name: str

    def replace_all(self, value: str, pattern: str, replacement: str) -> str:
        if self.name == "duckdb":
            return f"regexp_replace({value}, '{pattern}', '{replacement}', 'g')"
        return f"regexp_replace({value}, '{pattern}', '{replacement}')"

    def sorted_distinct_list(self, value: str) -> str:
        if self.name == "duckdb":
            return f"list_sort(list_distinct(list({value})))"
        return f"sort_array(collect_set({value}))"

    def empty_text_list(self) -> str:
        return "CAST([] AS VARCHAR[])" if self.name == "duckdb" else "CAST(array() AS ARRAY<STRING>)"

    def add_days(self, value: str, days: str) -> str:
        if self.name == "duckdb":
            return f"CAST({value} + ({days}) * INTERVAL 1 DAY AS DATE)"
        return f"date_add({value}, {days})"

    def text(self) -> str:
        return "VARCHAR" if self.name == "duckdb" else "STRING"


class Engine(Protocol):
    """What the cycle needs of an engine; tables are durable once ``create_table`` returns."""

    dialect: SqlDialect

    def has_table(self, name: str) -> bool: ...
    def create_table(self, name: str, select_sql: str) -> int: ...
    def load_parquet(self, name: str, path: Path, columns: list[str]) -> int: ...
    def load_arrow(self, name: str, table: pa.Table) -> int: ...
    def fetch_arrow(self, sql: str) -> pa.Table: ...
    def fetch_batches(self, sql: str, rows: int) -> Iterator[list[tuple[Any, ...]]]: ...
    def export_parquet(self, name: str, path: Path) -> None: ...
    def export_select(self, select_sql: str, path: Path) -> None: ...
    def close(self) -> None: ...


def _quoted_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckDBEngine:
    """A cycle's working database in one DuckDB file: each step's tables survive a kill -9.

    Sized for a small machine: one thread per core, at most ``memory_limit`` of memory (large joins and
    sorts spill to ``<workdir>.tmp`` beside the file), and no promise of row order (every step that
    needs an order says ORDER BY).
    """

    def __init__(self, path: Path, *, memory_limit: str = "6GB", threads: int | None = None) -> None:
        self.dialect = SqlDialect("duckdb")
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        self.run(f"SET threads = {int(threads or os.cpu_count() or 2)}")
        self.run(f"SET memory_limit = '{memory_limit}'")
        self.run("SET preserve_insertion_order = false")
        self.run(f"SET temp_directory = {_quoted_path(path.with_suffix('.tmp'))}")

    def run(self, sql: str) -> None:
        """Execute a statement and finish its result (DuckDB keeps a pending result otherwise)."""
        self.con.execute(sql).fetchall()

    def has_table(self, name: str) -> bool:
        rows = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        return bool(rows and rows[0][0])

    def _count(self, name: str) -> int:
        rows = self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()  # noqa: S608
        return int(rows[0][0]) if rows else 0

    def create_table(self, name: str, select_sql: str) -> int:
        self.run(f'CREATE OR REPLACE TABLE "{name}" AS {select_sql}')
        self.run("CHECKPOINT")
        return self._count(name)

    def load_parquet(self, name: str, path: Path, columns: list[str]) -> int:
        """A view over the file, not a copy: the steps read the registries' Parquet directly."""
        cols = ", ".join(f'"{c}"' for c in columns)
        source = _quoted_path(path.resolve())
        self.run(f'CREATE OR REPLACE VIEW "{name}" AS SELECT {cols} FROM read_parquet({source})')  # noqa: S608
        self.run("CHECKPOINT")
        return self._count(name)

    def load_arrow(self, name: str, table: pa.Table) -> int:
        self.con.register("_govreach_arrow", table)
        try:
            return self.create_table(name, "SELECT * FROM _govreach_arrow")
        finally:
            self.con.unregister("_govreach_arrow")

    def fetch_arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def fetch_batches(self, sql: str, rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """Rows of ``sql`` as tuples, ``rows`` at a time (never the whole result in memory)."""
        cursor = self.con.cursor()
        try:
            result = cursor.execute(sql)
            while batch := result.fetchmany(rows):
                yield batch
        finally:
            cursor.close()

    def export_parquet(self, name: str, path: Path) -> None:
        self.export_select(f'SELECT * FROM "{name}"', path)  # noqa: S608

    def export_select(self, select_sql: str, path: Path) -> None:
        """Write the rows of ``select_sql`` to one Parquet file (replaced as a whole)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial.parquet")
        self.run(f"COPY ({select_sql}) TO {_quoted_path(tmp)} (FORMAT parquet, COMPRESSION zstd)")
        tmp.replace(path)

    def close(self) -> None:
        self.con.close()


def spark_session(*, app_name: str = "govreach-cycle", memory: str = "1g", cores: int = 2) -> Any:
    """A Spark local session for cycles: the process-wide one of :mod:`govreach.spark`."""
    from govreach.spark import spark_session as shared_session

    return shared_session(app_name=app_name, memory=memory, cores=cores)


class SparkEngine:
    """Spark SQL over Parquet: each table is written under ``workdir/<name>`` and read back as a view."""

    def __init__(self, workdir: Path, session: Any) -> None:
        self.dialect = SqlDialect("spark")
        self.workdir = workdir
        self.spark = session
        workdir.mkdir(parents=True, exist_ok=True)
        for table in sorted(workdir.iterdir()):
            if (table / "_SUCCESS").exists():
                self.spark.read.parquet(str(table)).createOrReplaceTempView(table.name)

    def has_table(self, name: str) -> bool:
        return (self.workdir / name / "_SUCCESS").exists()

    def _register(self, name: str) -> int:
        frame = self.spark.read.parquet(str(self.workdir / name))
        frame.createOrReplaceTempView(name)
        return int(frame.count())

    def create_table(self, name: str, select_sql: str) -> int:
        target = self.workdir / name
        staging = self.workdir / f".{name}.staging"
        self.spark.sql(select_sql).write.mode("overwrite").parquet(str(staging))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        return self._register(name)

    def load_parquet(self, name: str, path: Path, columns: list[str]) -> int:
        self.spark.read.parquet(str(path)).select(*columns).createOrReplaceTempView(f"_src_{name}")
        return self.create_table(name, f"SELECT * FROM _src_{name}")  # noqa: S608

    def load_arrow(self, name: str, table: pa.Table) -> int:
        target = self.workdir / name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        pq.write_table(table, target / "part-0.parquet")
        (target / "_SUCCESS").touch()
        return self._register(name)

    def fetch_arrow(self, sql: str) -> pa.Table:
        result: pa.Table = self.spark.sql(sql).toArrow()
        return result

    def fetch_batches(self, sql: str, rows: int) -> Iterator[list[tuple[Any, ...]]]:
        table = self.fetch_arrow(sql)
        for part in arrow_batches(table, rows):
            yield list(zip(*(column.to_pylist() for column in part.columns), strict=True))

    def export_parquet(self, name: str, path: Path) -> None:
        table = pq.read_table(str(self.workdir / name))
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)

    def export_select(self, select_sql: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.fetch_arrow(select_sql), path)

    def close(self) -> None:
        """The session belongs to the caller (one per process or per test module); nothing to close."""


def arrow_batches(table: pa.Table, rows: int) -> Iterator[pa.Table]:
    """``table`` in slices of at most ``rows`` rows, in order."""
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)
