"""Reads of the entitlements app: the entitlements in force as Arrow, a cycle's report and outcomes.

Every unit's outcome of a cycle and every link mismatch live in the cycle's own store,
``<cycles>/<cycle id>/outcomes.parquet`` (sorted by unit) and ``mismatches.parquet`` (sorted by supply
point), written by the report step; the database holds the entitlements, the report (with the counts of
mismatches per kind) and, per the pack's ``write.outcomes``, every unit's CycleOutcome (``all``) or only
new grants and ends.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection

from govreach.entitlements.models import Entitlement

if TYPE_CHECKING:
    from govreach.entitlements.engines import Engine
    from govreach.entitlements.models import Cycle

IN_FORCE_SCHEMA = pa.schema(
    [
        ("entitlement_id", pa.int64()),
        ("unit_key", pa.string()),
        ("status", pa.string()),
        ("decision_key", pa.string()),
        ("supplier_id", pa.string()),
        ("area_code", pa.string()),
    ]
)
MUNICIPALITY_CODE_LENGTH = 7  # PT-DDMM: district and municipality of a parish code PT-DDMMPP


def entitlements_in_force_arrow(pack_id: str, *, fetch_rows: int = 100_000) -> pa.Table:
    """Active and refused entitlements of ``pack_id``, read by a raw cursor in large fetches (no ORM rows)."""
    table = connection.ops.quote_name(Entitlement._meta.db_table)
    sql = (
        f"SELECT id, unit_key, status, decision_key, supplier_id, area_code FROM {table} "  # noqa: S608
        "WHERE pack_id = %s AND status IN ('active', 'refused') ORDER BY id"
    )
    columns: list[list[Any]] = [[] for _ in IN_FORCE_SCHEMA.names]
    with connection.cursor() as cursor:
        cursor.execute(sql, [pack_id])
        while rows := cursor.fetchmany(fetch_rows):
            for i, values in enumerate(zip(*rows, strict=True)):
                columns[i].extend(values)
    return pa.table(dict(zip(IN_FORCE_SCHEMA.names, columns, strict=True)), schema=IN_FORCE_SCHEMA)


PILOT_KEPT_SCHEMA = pa.schema([("unit_key", pa.string()), ("is_kept", pa.bool_())])


def pilot_kept_arrow(pack_id: str, decided_on: dt.date) -> pa.Table:
    """Active entitlements granted under a pilot that was rolled back, and whether each is kept.

    ``is_kept``: the version's ``on_rollback`` is keep_until_review and the review date is still ahead,
    so the rules in force do not end it yet; otherwise (end_at_next_cycle, or the review date reached)
    the rules in force decide, and an entitlement they end is ended as ``pilot_rolled_back``.
    """
    from govreach.catalogue.models import PackPilot

    units: list[str] = []
    kept: list[bool] = []
    pilots = PackPilot.objects.filter(
        service_pack__pack_id=pack_id, status=PackPilot.Status.ROLLED_BACK
    ).select_related("service_pack")
    for pilot in pilots:
        is_kept = (
            pilot.on_rollback == "keep_until_review"
            and pilot.review_on is not None
            and decided_on < pilot.review_on
        )
        codes = [a.code for area in pilot.areas.all() for a in area.descendants(include_self=True)]
        granted = Entitlement.objects.filter(
            pack_id=pack_id,
            status=Entitlement.Status.ACTIVE,
            pack_version=pilot.service_pack.version,
            area_code__in=codes,
            valid_from__gte=pilot.starts_on,
        ).values_list("unit_key", flat=True)
        for unit_key in granted.iterator():
            units.append(unit_key)
            kept.append(is_kept)
    return pa.table({"unit_key": units, "is_kept": kept}, schema=PILOT_KEPT_SCHEMA)


def cycle_report_from_engine(engine: Engine, cycle: Cycle) -> dict[str, Any]:
    """Counts per outcome, per reason (failing criterion), per municipality and per mismatch kind."""

    def pairs(sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = engine.fetch_arrow(sql).to_pylist()
        return rows

    outcomes = {
        r["outcome"]: int(r["n"]) for r in pairs("SELECT outcome, count(*) AS n FROM plan GROUP BY outcome")
    }
    ended = {
        r["end_reason"]: int(r["n"])
        for r in pairs(
            "SELECT end_reason, count(*) AS n FROM plan WHERE outcome = 'ended' GROUP BY end_reason"
        )
    }
    failing: Counter[str] = Counter()
    for r in pairs(
        "SELECT failing_criteria, count(*) AS n FROM plan "
        "WHERE outcome IN ('ended', 'not_eligible', 'undetermined') GROUP BY failing_criteria"
    ):
        for criterion in filter(None, (r["failing_criteria"] or "").split(",")):
            failing[criterion] += int(r["n"])
    areas: dict[str, dict[str, int]] = {}
    for r in pairs(
        f"SELECT substr(area_code, 1, {MUNICIPALITY_CODE_LENGTH}) AS area, outcome, count(*) AS n "  # noqa: S608
        "FROM plan GROUP BY substr(area_code, 1, 7), outcome"
    ):
        areas.setdefault(r["area"] or "", {})[r["outcome"]] = int(r["n"])
    kinds = {
        r["kind"]: int(r["n"]) for r in pairs("SELECT kind, count(*) AS n FROM mismatches GROUP BY kind")
    }
    methods = {
        (r["link_method"] or "unlinked"): int(r["n"])
        for r in pairs("SELECT link_method, count(*) AS n FROM links GROUP BY link_method")
    }
    rechecked = pairs("SELECT count(*) AS n FROM links WHERE is_rechecked")[0]["n"]
    return {
        "cycle": cycle.pk,
        "pack": cycle.pack_id,
        "decided_on": cycle.decided_on.isoformat(),
        "engine": cycle.engine,
        "units": sum(outcomes.values()),
        "outcomes": dict(sorted(outcomes.items())),
        "ended_by_reason": dict(sorted(ended.items())),
        "failing_criteria": dict(sorted(failing.items())),
        "by_area": {area: dict(sorted(counts.items())) for area, counts in sorted(areas.items())},
        "mismatches": dict(sorted(kinds.items())),
        "links": dict(sorted(methods.items())),
        "tax_authority_rechecked": int(rechecked),
    }


def cycle_outcomes_path(cycle: Cycle) -> Path:
    """Where every unit's outcome of ``cycle`` lives: Parquet sorted by unit, under the cycles folder."""
    from govreach.entitlements.services import OUTCOMES_FILE, cycles_dir

    return cycles_dir() / str(cycle.pk) / OUTCOMES_FILE


def cycle_outcome(cycle: Cycle, unit_key: str) -> dict[str, Any] | None:
    """One unit's outcome in ``cycle`` (outcome, household, failing criteria, ...), from the cycle's store."""
    rows = cycle_outcomes_query(cycle, "SELECT * FROM outcomes WHERE unit_key = $unit", {"unit": unit_key})
    return rows[0] if rows else None


def cycle_outcomes_query(
    cycle: Cycle, sql: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Rows of ``sql`` (DuckDB SQL over a relation ``outcomes``: every unit's outcome of ``cycle``).

    ``outcomes`` has the columns of the cycle's store (unit_key, household_key, supplier_id, area_code,
    link_method, outcome, failing_criteria, ...; see services._EXPORTS): the store is complete whatever
    the pack's ``write.outcomes``, while the database holds only new grants and ends under ``changes``.
    A cycle whose store is gone falls back to its CycleOutcome rows (complete under ``all`` only).
    """
    from govreach.entitlements.models import CycleOutcome

    path = cycle_outcomes_path(cycle)
    with duckdb.connect() as con:
        if path.exists():
            # A file path under the cycles folder (settings), never a person's value.
            quoted = "'" + str(path).replace("'", "''") + "'"
            con.execute(f"CREATE VIEW outcomes AS SELECT * FROM read_parquet({quoted})")  # noqa: S608
        else:
            columns = ["unit_key", "household_key", "outcome", "failing_criteria", "area_code"]
            rows = list(CycleOutcome.objects.filter(cycle=cycle).values_list(*columns))
            stored = pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(columns)})
            con.register("outcomes", stored)
        result = con.execute(sql, params or {})
        names = [d[0] for d in result.description or []]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def cycle_outcomes_arrow(cycle: Cycle, columns: list[str] | None = None) -> pa.Table:
    """Every unit's outcome in ``cycle`` as Arrow (the audit view of a whole cycle)."""
    return pq.read_table(cycle_outcomes_path(cycle), columns=columns)


def cycle_mismatches_path(cycle: Cycle) -> Path:
    """Where the link mismatches of ``cycle`` live: Parquet by supply point, in the cycles folder."""
    from govreach.entitlements.services import MISMATCHES_FILE, cycles_dir

    return cycles_dir() / str(cycle.pk) / MISMATCHES_FILE


def cycle_mismatches(cycle: Cycle, *, supply_point_code: str | None = None) -> list[dict[str, Any]]:
    """The link mismatches of ``cycle`` (of one supply point when given), in the store's order.

    Each is a dict: ``record_id`` (the supplier's customer record), ``cpe``, ``supplier_id``, ``kind``,
    ``link_method`` and ``tax_household_id`` (how the record was linked in the end, if it was) and
    ``is_carried`` (a mismatch of an unchanged contract, carried from the previous cycle). Empty for a
    cycle not completed yet.
    """
    path = cycle_mismatches_path(cycle)
    if not path.exists():
        return []
    where, params = "", {"path": str(path)}
    if supply_point_code is not None:
        where, params["cpe"] = " WHERE cpe = $cpe", supply_point_code
    with duckdb.connect() as con:
        table = con.sql(f"SELECT * FROM read_parquet($path){where}", params=params).to_arrow_table()  # noqa: S608
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def cycle_latest_completed(pack_id: str) -> Cycle | None:
    """The most recent completed cycle of ``pack_id``, if any."""
    from govreach.entitlements.models import Cycle

    return (
        Cycle.objects.filter(pack_id=pack_id, status=Cycle.Status.COMPLETED).order_by("-decided_on").first()
    )
