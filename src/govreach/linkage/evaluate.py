"""Score accepted links against the known truth of a synthetic population."""

# SQL here is assembled from fixed column names and numbers; every value from the data is
# escaped (_sql_str) or bound as a parameter, so string-built queries are safe.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa


@dataclass(frozen=True)
class LinkageMetrics:
    """Accepted links judged against the truth: a true pair is two records with the same person_id."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def _side(con: duckdb.DuckDBPyConnection, links_column: str) -> str:
    rows = con.sql(
        f"""
        SELECT t.dataset, count(*) AS n FROM links l JOIN truth t ON t.record_id = l.{links_column}
        GROUP BY t.dataset ORDER BY n DESC, t.dataset LIMIT 1
        """
    ).fetchall()
    if not rows:
        raise ValueError(f"no {links_column} of the links appears in the truth; pass the dataset names")
    return str(rows[0][0])


def evaluate_links(
    links: pa.Table,
    truth: pa.Table,
    *,
    left_dataset: str | None = None,
    right_dataset: str | None = None,
) -> LinkageMetrics:
    """Precision, recall and F1 of the accepted `links` against `truth` (dataset, record_id, person_id).

    The true pairs are every left/right record pair sharing a person_id. Without dataset names, each
    side is the truth dataset holding most of that side's linked ids.
    """
    con = duckdb.connect()
    try:
        con.register("links_all", links)
        con.register("truth_all", truth)
        con.execute("CREATE TEMP VIEW links AS SELECT * FROM links_all WHERE status = 'accepted'")
        con.execute(
            "CREATE TEMP VIEW truth AS SELECT dataset, CAST(record_id AS VARCHAR) AS record_id, "
            "CAST(person_id AS VARCHAR) AS person_id FROM truth_all"
        )
        left_dataset = left_dataset or _side(con, "left_id")
        right_dataset = right_dataset or _side(con, "right_id")
        params = [left_dataset, right_dataset]
        accepted, tp = con.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE tl.person_id = tr.person_id)
            FROM links l
            LEFT JOIN truth tl ON tl.dataset = ? AND tl.record_id = l.left_id
            LEFT JOIN truth tr ON tr.dataset = ? AND tr.record_id = l.right_id
            """,
            params,
        ).fetchall()[0]
        (true_pairs,) = con.execute(
            """
            SELECT count(*) FROM truth tl JOIN truth tr USING (person_id)
            WHERE tl.dataset = ? AND tr.dataset = ?
            """,
            params,
        ).fetchall()[0]
    finally:
        con.close()
    fp = int(accepted) - int(tp)
    fn = int(true_pairs) - int(tp)
    precision = tp / accepted if accepted else 0.0
    recall = tp / true_pairs if true_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkageMetrics(precision=precision, recall=recall, f1=f1, tp=int(tp), fp=fp, fn=fn)
