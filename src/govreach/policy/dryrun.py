"""Dry run of a rule change: both versions of a pack decide every unit of a registry snapshot in batch.

The snapshot is read, linked and turned into facts exactly as the proactive cycle does it (the named
SQL steps of ``govreach.entitlements.steps``, on DuckDB), once; then each version's compiled rules
decide every unit (the cycle's decide step, once per version). Nothing is written to the database:
a dry run changes nobody's entitlement.
"""

# SQL text here is built from table and column names only (no value from a person).
# ruff: noqa: S608

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from govreach.entitlements import steps
from govreach.entitlements.config import CycleConfig, load_cycle_config
from govreach.entitlements.engines import DuckDBEngine, Engine
from govreach.entitlements.services import (
    _SOURCE_COLUMNS,
    _SOURCE_TABLES,
    PREVIOUS_SCHEMAS,
    _dataset_path,
    _datasets,
)
from govreach.packs.loader import Pack
from govreach.rules.compile import column_for_criterion, column_for_decision
from govreach.rules.diff import DiffCounts, UnitChange, change_of, count_changes, deciding_criterion, leaf_ids

AFFECTED_FILE = "affected_units.csv"


class DryRunError(ValueError):
    """The dry run cannot start: the two versions or the snapshot do not fit together."""


@dataclass(frozen=True)
class DryRun:
    """What a dry run found: every changed unit (for review only) and the counts (before disclosure)."""

    pack_id: str
    from_version: str
    to_version: str
    on: dt.date
    level: str
    changes: list[UnitChange]
    counts: DiffCounts


def area_rollup(registries: Path, level: str) -> dict[str, str]:
    """Each area code of ``areas.csv`` mapped to its ancestor at ``level`` (itself when at or above it)."""
    path = registries / "areas.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    parent = {r["code"]: r["parent_code"] for r in rows}
    level_of = {r["code"]: r["level"] for r in rows}
    if level not in set(level_of.values()):
        raise DryRunError(
            f"--level: no area level '{level}'; levels: {', '.join(dict.fromkeys(level_of.values()))}"
        )
    out: dict[str, str] = {}
    for code in parent:
        current: str | None = code
        while current and level_of.get(current) != level:
            current = parent.get(current) or None
        out[code] = current or code
    return out


MANUAL_LINKS_SCHEMA = pa.schema([("cpe", pa.string()), ("tax_household_id", pa.string())])


def _read(engine: Engine, registries: Path, config: CycleConfig, manual_links: pa.Table | None) -> None:
    """The cycle's read step for a first cycle: the registries, no previous cycle, manual links if given."""
    for key, name in _datasets(config).items():
        engine.load_parquet(_SOURCE_TABLES[key], _dataset_path(registries, name), _SOURCE_COLUMNS[key])
    for table, schema in PREVIOUS_SCHEMAS.items():
        engine.load_arrow(table, schema.empty_table())
    engine.load_arrow(
        "manual_links", manual_links if manual_links is not None else MANUAL_LINKS_SCHEMA.empty_table()
    )


def _value_on(pack: Pack, decision: str, on: dt.date) -> float | None:
    valuation = pack.service.valuation.get(decision)
    if valuation is None:
        return None
    value = pack.ruleset.parameters[valuation.annual_value_eur].value_on(on)
    return float(value.value) if value is not None and isinstance(value.value, int | float) else None


def dry_run(
    *,
    before: Pack,
    after: Pack,
    registries: Path,
    on: dt.date,
    level: str = "district",
    workdir: Path | None = None,
    manual_links: pa.Table | None = None,
) -> DryRun:
    """Decide every unit of ``registries`` on ``on`` under ``before`` and ``after``, and compare.

    ``manual_links`` are reviewers' supply-point links (``manual_links_arrow``); the command line reads
    the snapshot alone, the staff web adds the links in the database.
    """
    if before.id != after.id:
        raise DryRunError(f"the versions belong to different packs: {before.id} and {after.id}")
    config = load_cycle_config(after.path)
    decision = config.decision
    for pack in (before, after):
        if decision not in pack.ruleset.decisions:
            raise DryRunError(f"{pack.id} {pack.version} has no decision '{decision}'")
    rollup = area_rollup(registries, level)
    with tempfile.TemporaryDirectory(prefix="govreach-dryrun-", dir=workdir) as tmp:
        engine = DuckDBEngine(Path(tmp) / "dryrun.duckdb", memory_limit="1GB")
        try:
            return _run(engine, before, after, registries, on, level, config, rollup, manual_links)
        finally:
            engine.close()


def _run(
    engine: DuckDBEngine,
    before: Pack,
    after: Pack,
    registries: Path,
    on: dt.date,
    level: str,
    config: CycleConfig,
    rollup: dict[str, str],
    manual_links: pa.Table | None,
) -> DryRun:
    decision = config.decision
    _read(engine, registries, config, manual_links)
    ctx = steps.StepContext(
        ruleset=after.ruleset,
        config=config,
        decided_on=on,
        previous_on=None,
        dialect=engine.dialect,
        pack_id=after.id,
    )
    for table, sql in [*steps.link_tables(ctx), *steps.facts_tables(ctx)]:
        engine.create_table(table, sql)
    for tag, pack in (("before", before), ("after", after)):
        for table, sql in steps.decide_tables(dataclasses.replace(ctx, ruleset=pack.ruleset)):
            engine.create_table(f"{table}_{tag}", sql)
    decided = column_for_decision(decision)
    leaves_before = leaf_ids(before.ruleset, decision)
    leaves_after = leaf_ids(after.ruleset, decision)
    leaves = list(dict.fromkeys([*leaves_after, *leaves_before]))

    def cols(alias: str, ids: list[str]) -> str:
        return ", ".join(f"{alias}.{column_for_criterion(c)} AS {alias}_{c}" for c in ids)

    totals = engine.fetch_arrow(
        f"SELECT count(*) AS units, count(*) FILTER (WHERE b.{decided}) AS before, "
        f"count(*) FILTER (WHERE a.{decided}) AS after FROM units u "
        "JOIN decisions_before b ON b.unit_id = u.unit_id JOIN decisions_after a ON a.unit_id = u.unit_id"
    ).to_pylist()[0]
    rows = engine.fetch_arrow(
        f"SELECT u.unit_id, coalesce(u.area_code, '') AS area_code, b.{decided} AS was, a.{decided} AS now, "
        f"{cols('b', leaves_before)}, {cols('a', leaves_after)} FROM units u "
        "JOIN decisions_before b ON b.unit_id = u.unit_id JOIN decisions_after a ON a.unit_id = u.unit_id "
        f"WHERE (b.{decided} IS TRUE) <> (a.{decided} IS TRUE) ORDER BY u.unit_id"
    ).to_pylist()
    changes: list[UnitChange] = []
    for row in rows:
        change = change_of(row["was"], row["now"])
        assert change is not None, "the WHERE clause selects only units whose decision changed"
        was: dict[str, Any] = {c: row[f"b_{c}"] for c in leaves_before}
        now: dict[str, Any] = {c: row[f"a_{c}"] for c in leaves_after}
        changes.append(
            UnitChange(
                str(row["unit_id"]), str(row["area_code"]), change, deciding_criterion(leaves, was, now)
            )
        )
    counts = count_changes(
        changes,
        units=int(totals["units"]),
        granted_before=int(totals["before"]),
        granted_after=int(totals["after"]),
        area_of=rollup,
    )
    counts.value_before_eur = _value_on(before, decision, on)
    counts.value_after_eur = _value_on(after, decision, on)
    return DryRun(after.id, before.version, after.version, on, level, changes, counts)


def write_affected(run: DryRun, out_dir: Path) -> Path:
    """The affected units for review (registry unit ids and areas only, no names): never published."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / AFFECTED_FILE
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["unit_id", "area_code", "change", "criterion", "from_version", "to_version", "on"])
        for c in run.changes:
            writer.writerow(
                [c.unit_id, c.area_code, c.change, c.criterion, run.from_version, run.to_version, run.on]
            )
    return path


def published_summary(run: DryRun) -> dict[str, Any]:
    """The figures that may be shown or published: every count of 1 to 9 units hidden (None)."""
    from govreach.policy.disclosure import is_too_small, suppress_table

    c = run.counts
    areas = sorted(set(c.gains_by_area) | set(c.losses_by_area))
    criteria = sorted(set(c.gains_by_criterion) | set(c.losses_by_criterion))
    by_area_raw = {
        "gains": {a: c.gains_by_area[a] for a in areas},
        "losses": {a: c.losses_by_area[a] for a in areas},
    }
    by_criterion_raw = {
        "gains": {k: c.gains_by_criterion[k] for k in criteria},
        "losses": {k: c.losses_by_criterion[k] for k in criteria},
    }
    by_area, area_totals = suppress_table(by_area_raw)
    by_criterion, _criterion_totals = suppress_table(by_criterion_raw)

    def shown(n: int) -> int | None:
        return None if is_too_small(n) else n

    gains, losses = area_totals["gains"], area_totals["losses"]
    # after = before + gains - losses: with a change total hidden, "after" (and the cost) would reveal it.
    granted_shown = (
        shown(c.granted_before) is not None
        and shown(c.granted_after) is not None
        and gains is not None
        and losses is not None
    )
    return {
        "pack": run.pack_id,
        "from_version": run.from_version,
        "to_version": run.to_version,
        "on": run.on.isoformat(),
        "level": run.level,
        "units": shown(c.units),
        "granted_before": shown(c.granted_before),
        "granted_after": c.granted_after if granted_shown else None,
        "gains": gains,
        "losses": losses,
        "value_before_eur": c.value_before_eur,
        "value_after_eur": c.value_after_eur,
        # The cost is the granted totals times the value: shown only when those totals are.
        "cost_change_eur": c.cost_change_eur if granted_shown else None,
        "by_area": [{"area": a, "gains": by_area["gains"][a], "losses": by_area["losses"][a]} for a in areas],
        "by_criterion": [
            {"criterion": k, "gains": by_criterion["gains"][k], "losses": by_criterion["losses"][k]}
            for k in criteria
        ],
    }
