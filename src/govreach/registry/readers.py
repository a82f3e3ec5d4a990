"""Streaming reads of registry files through DuckDB, in bounded memory (no Django here).

CSV is read as text so that the mapping, not DuckDB's type sniffer, decides what a value means;
rows DuckDB cannot even split into columns are reported, never silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class RejectedLine:
    """A line the CSV reader could not parse (wrong number of columns, bad quoting, bad encoding)."""

    row_number: int
    reason: str
    raw_line: str


@dataclass
class RegistryFile:
    """A file opened for streaming: its columns, row count and structurally rejected lines."""

    path: Path
    columns: list[str]
    row_count: int
    rejected: list[RejectedLine] = field(default_factory=list)
    _con: duckdb.DuckDBPyConnection | None = None

    def batches(self, batch_size: int, *, skip: int = 0) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """Yield readable rows in file order as ``(row_number, {column: value})``, a batch at a time.

        ``skip`` readable rows are passed over first (a resumed import); row numbers still count
        the rejected lines, so they match the file.
        """
        assert self._con is not None
        rejected_rows = sorted({r.row_number for r in self.rejected})
        next_reject = 0
        row_number = 0
        delivered = 0
        # The path is quoted by _scan_sql; DuckDB table functions take no bound parameters here.
        relation = self._con.sql(f"SELECT * FROM {_scan_sql(self.path, collect_rejects=False)}")  # noqa: S608
        for record_batch in relation.to_arrow_reader(batch_size):
            if delivered + record_batch.num_rows <= skip:
                # Still number the skipped rows, without converting them to Python.
                for _ in range(record_batch.num_rows):
                    row_number += 1
                    while next_reject < len(rejected_rows) and rejected_rows[next_reject] == row_number:
                        next_reject += 1
                        row_number += 1
                delivered += record_batch.num_rows
                continue
            out: list[tuple[int, dict[str, Any]]] = []
            for row in record_batch.to_pylist():
                row_number += 1
                while next_reject < len(rejected_rows) and rejected_rows[next_reject] == row_number:
                    next_reject += 1
                    row_number += 1
                delivered += 1
                if delivered > skip:
                    out.append((row_number, row))
            if out:
                yield out

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith(CSV_SUFFIXES)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scan_sql(path: Path, *, collect_rejects: bool) -> str:
    """The DuckDB table expression that reads ``path`` (CSV as text; Parquet and the rest as typed)."""
    quoted = _quote(str(path))
    if _is_csv(path):
        errors = "store_rejects=true" if collect_rejects else "ignore_errors=true"
        return f"read_csv({quoted}, header=true, all_varchar=true, {errors})"
    if path.name.lower().endswith(PARQUET_SUFFIXES):
        return f"read_parquet({quoted})"
    return quoted  # DuckDB's own detection: JSON, Excel via extensions, ...


def registry_file_open(path: Path, *, memory_limit: str = "512MB") -> RegistryFile:
    """Open a registry file for streaming: count its rows and collect unparseable CSV lines first.

    Row numbers are 1-based data rows (a CSV header is not counted; CSV line = row number + 1 when
    no value spans several lines).
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
    scan = _scan_sql(path, collect_rejects=True)
    columns = [str(c) for c in con.sql(f"SELECT * FROM {scan}").columns]  # noqa: S608
    # con.sql, not con.execute: only the relation API fills DuckDB's reject_errors table here.
    ((row_count,),) = con.sql(f"SELECT count(*) FROM (SELECT * FROM {scan})").fetchall()  # noqa: S608
    rejected: list[RejectedLine] = []
    if _is_csv(path):
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "reject_errors" in tables:
            for line, error_type, message, csv_line in con.execute(
                "SELECT line, error_type, error_message, csv_line FROM reject_errors "
                "WHERE scan_id = (SELECT max(scan_id) FROM reject_errors) ORDER BY line"
            ).fetchall():
                rejected.append(
                    RejectedLine(int(line) - 1, f"{error_type}: {message}", (csv_line or "").strip("\r\n"))
                )
    return RegistryFile(path=path, columns=columns, row_count=int(row_count), rejected=rejected, _con=con)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
