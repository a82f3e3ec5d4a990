"""Link two person registries: deterministic on shared ids, then probabilistic with Splink.

Steps, each timed: prepare (normalise the standard person columns), deterministic (equal ids),
train (u by random sampling, m by EM, on all records), predict (score the records the ids did not
link, re-estimating the prior on them), resolve (thresholds and one accepted link per record).
"""

# SQL here is assembled from fixed column names and numbers; every value from the data is
# escaped (_sql_str) or bound as a parameter, so string-built queries are safe.
# ruff: noqa: S608

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import Linker

from govreach.linkage.engine import Engine, open_engine, require_engine
from govreach.linkage.model import FieldComparison, field_comparisons, splink_settings, training_rules
from govreach.linkage.settings import LinkageSettings

PERSON_COLUMNS = (
    "national_id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "address",
    "postcode",
    "area_code",
    "phone",
)
#: Columns a clerk sees beside a deterministic link, to spot an id typed against the wrong person.
CONTEXT_COLUMNS = ("given_name", "family_name", "birth_date")
STATUSES = ("accepted", "review", "rejected")
LINKS_SCHEMA = pa.schema(
    [
        ("left_id", pa.string()),
        ("right_id", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("method", pa.string()),
        ("status", pa.string()),
        ("evidence", pa.string()),
    ]
)


@dataclass(frozen=True)
class LinkResult:
    """One candidate pair: the probability the two records are the same person, and why."""

    left_id: str
    right_id: str
    match_probability: float
    match_weight: float | None
    method: str
    status: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class LinkageOutcome:
    """Candidate pairs (`links`, schema `LINKS_SCHEMA`), their count per status and step timings (s)."""

    links: pa.Table
    counts: dict[str, int]
    timings: dict[str, float]
    pairs_compared: int = 0
    prior: float | None = None
    model: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def results(self) -> Iterator[LinkResult]:
        """The links as `LinkResult`s, evidence decoded."""
        for row in self.links.to_pylist():
            yield LinkResult(**{**row, "evidence": json.loads(row["evidence"])})


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _normalise(column: str, present: bool) -> str:
    """SQL that puts one standard column into the comparable form (or NULL when the input lacks it)."""
    if not present:
        kind = "DATE" if column == "birth_date" else "VARCHAR"
        return f"CAST(NULL AS {kind}) AS {column}"
    text = f'CAST("{column}" AS VARCHAR)'
    if column == "birth_date":
        expr = f"TRY_CAST({text} AS DATE)"
    elif column in ("given_name", "family_name"):
        expr = f"trim(regexp_replace(lower(strip_accents({text})), '[^a-z]+', ' ', 'g'))"
    elif column == "address":
        expr = f"trim(regexp_replace(lower(strip_accents({text})), '[^a-z0-9]+', ' ', 'g'))"
    elif column == "phone":
        expr = f"regexp_replace({text}, '[^0-9]', '', 'g')"
    else:  # ids, postcode, sex, area code: case and punctuation carry no meaning
        expr = f"upper(regexp_replace({text}, '[^0-9A-Za-z]', '', 'g'))"
    if column != "birth_date":
        expr = f"NULLIF({expr}, '')"
    return f"{expr} AS {column}"


def _prepare(con: duckdb.DuckDBPyConnection, table: pa.Table, name: str, columns: list[str]) -> None:
    if "record_id" not in table.column_names:
        raise ValueError(f"the {name} registry has no record_id column")
    con.register(f"{name}_raw", table)
    select = ", ".join(_normalise(c, c in table.column_names) for c in columns)
    con.execute(
        f'CREATE TABLE "{name}" AS SELECT CAST(record_id AS VARCHAR) AS record_id, {select} FROM "{name}_raw"'
    )
    con.unregister(f"{name}_raw")
    bad = con.execute(
        "SELECT count(*) FILTER (WHERE record_id IS NULL), count(*) - count(DISTINCT record_id) "
        f'FROM "{name}"'
    ).fetchall()[0]
    if bad[0] or bad[1]:
        raise ValueError(f"the {name} registry has {bad[0]} null and {bad[1]} duplicate record_id values")


def _non_null_everywhere(con: duckdb.DuckDBPyConnection, column: str) -> bool:
    counts = con.execute(
        f'SELECT (SELECT count("{column}") FROM reg_left), (SELECT count("{column}") FROM reg_right)'
    ).fetchall()[0]
    return bool(counts[0] > 0 and counts[1] > 0)


def _values_json(columns: list[str], left: str, right: str) -> str:
    """SQL json_object of `{column: {left, right}}` for the given columns of two aliases."""
    parts = [
        f"{_sql_str(c)}, json_object('left', CAST({left}.\"{c}\" AS VARCHAR), "
        f"'right', CAST({right}.\"{c}\" AS VARCHAR))"
        for c in columns
    ]
    return f"json_object({', '.join(parts)})"


def _deterministic(
    con: duckdb.DuckDBPyConnection, settings: LinkageSettings, id_columns: list[str], columns: list[str]
) -> None:
    """Fill `det_links` with one link per left record sharing an id; leave the rest in `pool_*`."""
    con.execute("CREATE TABLE pool_left AS FROM reg_left")
    con.execute("CREATE TABLE pool_right AS FROM reg_right")
    con.execute(
        "CREATE TABLE det_links (left_id VARCHAR, right_id VARCHAR, match_probability DOUBLE, "
        "match_weight DOUBLE, method VARCHAR, evidence VARCHAR)"
    )
    context = [c for c in CONTEXT_COLUMNS if c in columns]
    for column in id_columns:
        per_right = (
            "QUALIFY row_number() OVER (PARTITION BY right_id ORDER BY left_id) = 1"
            if settings.one_to_one
            else ""
        )
        con.execute(
            f"""
            INSERT INTO det_links
            WITH per_left AS (
                SELECT l.record_id AS left_id, r.record_id AS right_id,
                       json_object('rule', 'equal ' || {_sql_str(column)},
                                   'fields', {_values_json([column, *context], "l", "r")}) AS evidence
                FROM pool_left l JOIN pool_right r ON l."{column}" = r."{column}"
                QUALIFY row_number() OVER (PARTITION BY l.record_id ORDER BY r.record_id) = 1
            )
            SELECT left_id, right_id, 1.0, NULL, 'deterministic', CAST(evidence AS VARCHAR)
            FROM per_left {per_right}
            """
        )
        con.execute("DELETE FROM pool_left WHERE record_id IN (SELECT left_id FROM det_links)")
        con.execute("DELETE FROM pool_right WHERE record_id IN (SELECT right_id FROM det_links)")


def _logit2(p: float) -> float:
    return math.log2(p / (1.0 - p))


def _count(splink_df: Any, sql: str) -> float:
    records = splink_df.query_sql(sql).as_record_list()
    value = records[0]["n"]
    return float(value or 0.0)


@dataclass
class _Scored:
    pairs_compared: int
    prior: float
    model: dict[str, Any]


def _probabilistic(
    engine: Engine,
    settings: LinkageSettings,
    comparisons: list[FieldComparison],
    rules: list[tuple[str, ...]],
    timings: dict[str, float],
) -> _Scored | None:
    """Train on all records, score the pool, and leave candidate pairs in the local table `prob_links`."""
    con = engine.con
    sizes = con.execute(
        "SELECT (SELECT count(*) FROM reg_left), (SELECT count(*) FROM reg_right), "
        "(SELECT count(*) FROM pool_left), (SELECT count(*) FROM pool_right)"
    ).fetchall()[0]
    n_left, n_right, pool_left, pool_right = (int(s) for s in sizes)
    if not comparisons or pool_left == 0 or pool_right == 0:
        return None

    started = time.perf_counter()
    train_prior = 1.0 / max(n_left, n_right, 2)
    trainer = Linker(
        [
            engine.register("reg_left", dataset="left", name="train_left"),
            engine.register("reg_right", dataset="right", name="train_right"),
        ],
        splink_settings(settings, comparisons, prior=train_prior),
        log_level=None,
    )
    trainer.training.estimate_u_using_random_sampling(
        max_pairs=settings.max_pairs_u, seed=settings.seed, num_chunks=settings.u_chunks
    )
    for rule in training_rules(rules):
        trainer.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=settings.max_pairs_em
        )
    model: dict[str, Any] = trainer.misc.save_model_to_json()
    timings["train"] = time.perf_counter() - started

    started = time.perf_counter()
    # Nearly every pooled record has its counterpart in the other pool (both copies lacked a
    # shared id), so start from one match per record of the larger pool and let the data refine it.
    prior = 1.0 / max(pool_left, pool_right, 2)
    model = {**model, "probability_two_random_records_match": prior}
    model.pop("linker_uid", None)
    scorer = Linker(
        [
            engine.register("pool_left", dataset="left", name="score_left"),
            engine.register("pool_right", dataset="right", name="score_right"),
        ],
        model,
        log_level=None,
    )
    predictions = scorer.inference.predict(warning_mode="never")
    pairs = int(_count(predictions, "SELECT count(*) AS n FROM {this}"))
    prior = _refine_prior(predictions, prior, pool_left * pool_right)
    shift = _logit2(prior) - _logit2(model["probability_two_random_records_match"])
    floor = _logit2(max(settings.min_candidate_probability, 1e-12))
    candidates = predictions.query_sql(
        f"SELECT * FROM {{this}} WHERE match_weight + {shift!r} >= {floor!r}"
    ).as_pyarrow_table()  # type: ignore[no-untyped-call]
    timings["predict"] = time.perf_counter() - started

    con.register("candidates", candidates)
    con.execute(_candidates_sql(comparisons, shift, _logit2(prior)))
    con.unregister("candidates")
    return _Scored(pairs_compared=pairs, prior=prior, model=model)


def _refine_prior(predictions: Any, prior: float, possible_pairs: int) -> float:
    """EM on the prior alone: the expected number of matches among scored pairs, until stable."""
    base = _logit2(prior)
    for _ in range(50):
        shift = _logit2(prior) - base
        expected = _count(
            predictions,
            f"SELECT SUM(1.0 / (1.0 + POWER(2.0, -(match_weight + {shift!r})))) AS n FROM {{this}}",
        )
        updated = min(max(expected / possible_pairs, 1e-12), 0.5)
        if abs(_logit2(updated) - _logit2(prior)) < 1e-4:
            return updated
        prior = updated
    return prior


def _candidates_sql(comparisons: list[FieldComparison], shift: float, prior_weight: float) -> str:
    """SQL turning Splink's scored pairs (either side first) into links with per-field evidence."""

    def side(column: str, want: str) -> str:
        other = "r" if want == "l" else "l"
        return f'CASE WHEN source_dataset_l = \'left\' THEN "{column}_{want}" ELSE "{column}_{other}" END'

    fields = []
    for c in comparisons:
        labels = " ".join(
            f"WHEN {len(c.levels) - 1 - i} THEN {_sql_str(label)}" for i, (label, _) in enumerate(c.levels)
        )
        tf = f' + coalesce("mw_tf_adj_{c.column}", 0)' if c.has_tf else ""
        fields.append(
            f"{_sql_str(c.column)}, json_object("
            f"'level', CASE \"gamma_{c.column}\" {labels} ELSE 'missing on one side' END, "
            f"'gamma', \"gamma_{c.column}\", "
            f"'match_weight', round(\"mw_{c.column}\"{tf}, 3), "
            f"'left', CAST({side(c.column, 'l')} AS VARCHAR), "
            f"'right', CAST({side(c.column, 'r')} AS VARCHAR))"
        )
    weight = f"match_weight + {shift!r}"
    return f"""
        CREATE TABLE prob_links AS
        SELECT {side("record_id", "l")} AS left_id,
               {side("record_id", "r")} AS right_id,
               1.0 / (1.0 + POWER(2.0, -({weight}))) AS match_probability,
               {weight} AS match_weight,
               'probabilistic' AS method,
               CAST(json_object('prior_match_weight', round({prior_weight!r}, 3),
                                'fields', json_object({", ".join(fields)})) AS VARCHAR) AS evidence
        FROM candidates
    """


def _resolve(con: duckdb.DuckDBPyConnection, settings: LinkageSettings, has_prob: bool) -> pa.Table:
    """Status by thresholds, then at most one accepted link per left (and right) record, best first."""
    union = "SELECT * FROM det_links" + (" UNION ALL SELECT * FROM prob_links" if has_prob else "")
    table = con.sql(
        f"""
        SELECT * FROM ({union})
        ORDER BY match_probability DESC, method, left_id, right_id
        """
    ).to_arrow_table()
    probability = table.column("match_probability").to_numpy()
    status = np.where(
        probability >= settings.upper_threshold,
        "accepted",
        np.where(probability >= settings.lower_threshold, "review", "rejected"),
    ).astype(object)
    evidence = table.column("evidence").to_pylist()
    left_ids = table.column("left_id").to_pylist()
    right_ids = table.column("right_id").to_pylist()
    used_left: dict[str, str] = {}
    used_right: dict[str, str] = {}
    for i in np.flatnonzero(status == "accepted"):
        left, right = left_ids[i], right_ids[i]
        rival = used_left.get(left) or (used_right.get(right) if settings.one_to_one else None)
        if rival is not None:
            status[i] = "review"
            detail = json.loads(evidence[i])
            detail["outranked_by"] = rival
            evidence[i] = json.dumps(detail)
            continue
        used_left[left] = f"{left}->{right}"
        used_right[right] = f"{left}->{right}"
    table = table.append_column("status", pa.array(status, pa.string()))
    table = table.set_column(table.schema.get_field_index("evidence"), "evidence", pa.array(evidence))
    return (
        table.select(LINKS_SCHEMA.names)
        .cast(LINKS_SCHEMA)
        .sort_by([("left_id", "ascending"), ("match_probability", "descending"), ("right_id", "ascending")])
    )


def link_records(
    left: pa.Table, right: pa.Table, *, settings: LinkageSettings | None = None
) -> LinkageOutcome:
    """Link `left` to `right` (standard person columns, `record_id` required) under `settings`.

    Records sharing an id in `settings.deterministic_on` are linked first (probability 1); the rest
    are scored by a Splink model trained without labels. Each left record gets at most one
    accepted link; links between the thresholds go to review.
    """
    settings = settings or LinkageSettings()
    require_engine(settings.engine)
    timings: dict[str, float] = {}
    notes: list[str] = []
    started = total_started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        # Every standard column exists after preparation (NULL when absent), so rules can name it.
        columns = [*PERSON_COLUMNS, *(c for c in settings.deterministic_on if c not in PERSON_COLUMNS)]
        _prepare(con, left, "reg_left", columns)
        _prepare(con, right, "reg_right", columns)
        present = {c for c in columns if _non_null_everywhere(con, c)}
        id_columns = [c for c in settings.deterministic_on if c in present]
        timings["prepare"] = time.perf_counter() - started

        started = time.perf_counter()
        _deterministic(con, settings, id_columns, columns)
        timings["deterministic"] = time.perf_counter() - started

        comparisons = [c for c in field_comparisons(settings, id_columns) if c.column in present]
        engine = open_engine(settings.engine, con)
        rules = [
            r for r in settings.training_blocking_rules if all(c in present for c in r if c.isidentifier())
        ]
        if rules:
            scored = _probabilistic(engine, settings, comparisons, rules, timings)
        else:
            scored = None
            notes.append("probabilistic step skipped: no training blocking rule has data on both sides")

        started = time.perf_counter()
        links = _resolve(con, settings, scored is not None)
        timings["resolve"] = time.perf_counter() - started
    finally:
        con.close()
    timings["total"] = time.perf_counter() - total_started
    statuses = links.column("status").to_pylist()
    counts = {s: statuses.count(s) for s in STATUSES}
    return LinkageOutcome(
        links=links,
        counts=counts,
        timings=timings,
        pairs_compared=scored.pairs_compared if scored else 0,
        prior=scored.prior if scored else None,
        model=scored.model if scored else {},
        notes=tuple(notes),
    )
