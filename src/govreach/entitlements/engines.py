"""Where a cycle's steps run: DuckDB (one working database file) or Spark SQL (local or a cluster).

An engine creates named tables from SELECT statements, loads Parquet and Arrow, and hands results back
as Arrow. Dialect differences are the few helpers of :class:`SqlDialect`; the steps are written once.

Three kinds of table, all made by ``create_table``:

- a table (the default): durable once ``create_table`` returns, so a restarted cycle resumes after the
  last finished step;
- a step's scratch table, named ``tmp_*`` (:data:`SCRATCH_PREFIX`): read by its own step only, so DuckDB
  keeps it in memory (spilling to the temp directory), never in the cycle's file. A restarted step makes
  its scratch tables again; a finished step's never matter, and :meth:`DuckDBEngine.has_table` counts
  them as present;
- a view (the SELECT wrapped by :func:`view`): over durable tables only, computed where it is read,
  for a result read once or twice that is cheaper to compute than to write.
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

SCRATCH_PREFIX = "tmp_"


class View(str):
    """The SELECT of a table a step keeps as a view: see :func:`view`."""

    __slots__ = ()
    counted = True


class _UncountedView(View):
    __slots__ = ()
    counted = False


def view(select_sql: str, *, counted: bool = True) -> View:
    """Mark ``select_sql`` to be kept as a view (DuckDB) rather than written out; Spark writes it.

    ``counted=False`` for a view as costly to count as to compute: its row count is then -1.
    """
    return View(select_sql) if counted else _UncountedView(select_sql)


class Free(str):
    """In place of a SELECT: free the scratch table of that name (see :func:`free`)."""

    __slots__ = ()


def free() -> Free:
    """Free a scratch table nothing further reads: ``create_table(name, free())`` drops it and returns
    its rows (so a step's row counts keep the table's size)."""
    return Free("")


def is_scratch(name: str) -> bool:
    """A step's scratch table: read by its own step only (see the module docstring)."""
    return name.startswith(SCRATCH_PREFIX)


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

    def explode(self, values: list[str]) -> str:
        """One row per value of the list (in a SELECT list): the row is repeated for each."""
        if self.name == "duckdb":
            return f"unnest([{', '.join(values)}])"
        return f"explode(array({', '.join(values)}))"

    def comma_parts(self, value: str) -> str:
        """The comma-separated parts of ``value`` as a list (empty parts kept)."""
        if self.name == "duckdb":
            return f"string_split({value}, ',')"
        return f"split({value}, ',', -1)"

    def item(self, values: str, index: int) -> str:
        """The ``index``-th (from 1) item of the list ``values``; NULL when it has fewer."""
        if self.name == "duckdb":
            return f"{values}[{int(index)}]"
        return f"try_element_at({values}, {int(index)})"

    def explode_first(self, values: str, count: int) -> str:
        """One row per item among the first ``count`` of the list ``values`` (in a SELECT list)."""
        if self.name == "duckdb":
            return f"unnest({values}[1:{int(count)}])"
        return f"explode(slice({values}, 1, {int(count)}))"

    def first_by(self, value: str, order: str) -> str:
        """``value`` of the row with the lowest ``order`` (a NULL value counts like any other)."""
        if self.name == "duckdb":
            return f"arg_min_null({value}, {order})"
        return f"min_by({value}, {order})"


class Engine(Protocol):
    """What the cycle needs of an engine; tables are durable once ``create_table`` returns."""

    dialect: SqlDialect
    # Whether ``export_select`` may run in another thread while ``fetch_batches`` is read.
    exports_beside_writes: bool

    def share_cores_with_writes(self, sharing: bool) -> None: ...
    def has_table(self, name: str) -> bool: ...
    def create_table(self, name: str, select_sql: str) -> int: ...  # rows; -1 for an uncounted view
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

    Sized for a small machine: one thread per core, at most ``memory_limit`` of memory (scratch tables,
    large joins and sorts spill to ``<workdir>.tmp`` beside the file), and no promise of row order
    (every step that needs an order says ORDER BY). The durable tables are written with the cheap
    encodings only: FSST string compression costs more time than the smaller file saves.
    """

    FAST_WRITE_DISABLED = "fsst,dict_fsst"
    # Each export and each batch read runs on a cursor of its own (DuckDB runs them side by side).
    exports_beside_writes = True

    def __init__(self, path: Path, *, memory_limit: str = "6GB", threads: int | None = None) -> None:
        self.dialect = SqlDialect("duckdb")
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        self.threads = int(threads or os.cpu_count() or 2)
        self.run(f"SET threads = {self.threads}")
        self.run(f"SET memory_limit = '{memory_limit}'")
        self.run("SET preserve_insertion_order = false")
        self.run(f"SET temp_directory = {_quoted_path(path.with_suffix('.tmp'))}")
        self.run(f"SET disabled_compression_methods = '{self.FAST_WRITE_DISABLED}'")

    def run(self, sql: str) -> None:
        """Execute a statement and finish its result (DuckDB keeps a pending result otherwise)."""
        self.con.execute(sql).fetchall()

    def share_cores_with_writes(self, sharing: bool) -> None:
        """While the write step's one thread sends rows to the database, DuckDB keeps to one thread (the
        exports beside it then take the other core, not the writer's); afterwards every thread again.
        On two cores this makes the exports nearly free: with two threads they slowed the writer."""
        self.run(f"SET threads = {1 if sharing and self.threads > 1 else self.threads}")

    def has_table(self, name: str) -> bool:
        """Whether ``name`` is there; a scratch table counts as there (no later step reads it)."""
        if is_scratch(name):
            return True
        rows = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_catalog <> 'temp'",
            [name],
        ).fetchall()
        return bool(rows and rows[0][0])

    def _count(self, name: str) -> int:
        rows = self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()  # noqa: S608
        return int(rows[0][0]) if rows else 0

    def create_table(self, name: str, select_sql: str) -> int:
        """Make ``name`` from ``select_sql``: a scratch table, a view or a durable table (see the module)."""
        if is_scratch(name):
            if isinstance(select_sql, Free):
                rows = self._count(name)
                self.run(f'DROP TABLE "{name}"')
                return rows
            self.run(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {select_sql}')
            return self._count(name)
        if isinstance(select_sql, View):
            self.run(f'DROP TABLE IF EXISTS "{name}"')
            self.run(f'CREATE OR REPLACE VIEW "{name}" AS {select_sql}')
            self.run("CHECKPOINT")
            return self._count(name) if select_sql.counted else -1
        self.run(f'DROP VIEW IF EXISTS "{name}"')
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
        """Rows of ``sql`` as tuples, exactly ``rows`` at a time but the last (never the whole result in
        memory). Read as Arrow batches: turning Arrow columns into Python values costs less than
        fetching row by row."""
        cursor = self.con.cursor()
        try:
            pending: list[tuple[Any, ...]] = []
            for batch in cursor.sql(sql).to_arrow_reader(rows):
                pending.extend(zip(*(column.to_pylist() for column in batch.columns), strict=True))
                while len(pending) >= rows:
                    yield pending[:rows]
                    del pending[:rows]
            if pending:
                yield pending
        finally:
            cursor.close()

    def export_parquet(self, name: str, path: Path) -> None:
        self.export_select(f'SELECT * FROM "{name}"', path)  # noqa: S608

    def export_select(self, select_sql: str, path: Path) -> None:
        """Write the rows of ``select_sql`` to one Parquet file (replaced as a whole); Snappy, which
        takes about a quarter less time to write than zstd, for larger files."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial.parquet")
        cursor = self.con.cursor()
        try:
            copy = f"COPY ({select_sql}) TO {_quoted_path(tmp)} (FORMAT parquet, COMPRESSION snappy)"
            cursor.execute(copy).fetchall()
        finally:
            cursor.close()
        tmp.replace(path)

    def close(self) -> None:
        self.con.close()


def spark_session(*, app_name: str = "govreach-cycle", memory: str = "1g", cores: int = 2) -> Any:
    """A Spark local session for cycles: the process-wide one of :mod:`govreach.spark`."""
    from govreach.spark import spark_session as shared_session

    return shared_session(app_name=app_name, memory=memory, cores=cores)


class SparkEngine:
    """Spark SQL over Parquet: each table is written under ``workdir/<name>`` and read back as a view."""

    exports_beside_writes = False

    def share_cores_with_writes(self, sharing: bool) -> None:
        """Spark exports after the write step (``exports_beside_writes`` is false): nothing to share."""

    def __init__(self, workdir: Path, session: Any) -> None:
        self.dialect = SqlDialect("spark")
        self.workdir = workdir
        self.spark = session
        workdir.mkdir(parents=True, exist_ok=True)
        for table in sorted(workdir.iterdir()):
            if (table / "_SUCCESS").exists():
                self.spark.read.parquet(str(table)).createOrReplaceTempView(table.name)

    def has_table(self, name: str) -> bool:
        """Whether ``name`` is there; a scratch table counts as there (no later step reads it)."""
        return is_scratch(name) or (self.workdir / name / "_SUCCESS").exists()

    def _register(self, name: str) -> int:
        frame = self.spark.read.parquet(str(self.workdir / name))
        frame.createOrReplaceTempView(name)
        return int(frame.count())

    def create_table(self, name: str, select_sql: str) -> int:
        """Write ``name`` as Parquet; a view is written like a table, a freed scratch table removed."""
        target = self.workdir / name
        if isinstance(select_sql, Free):
            rows = int(self.spark.read.parquet(str(target)).count())
            self.spark.catalog.dropTempView(name)
            shutil.rmtree(target)
            return rows
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
