"""Writes of the entitlements app: run a proactive cycle, refuse an entitlement.

``cycle_run`` reads the registries, links, decides in batch with the compiled rules, compares with the
entitlements in force and writes the differences in transactional batches. Every step is checkpointed
on the ``Cycle`` row, so a cycle killed at any point resumes where it stopped and ends in the same state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from govreach.audit.log import audit_record
from govreach.entitlements import steps
from govreach.entitlements.config import CycleConfig, load_cycle_config
from govreach.entitlements.engines import DuckDBEngine, Engine, SparkEngine, spark_session
from govreach.entitlements.models import Cycle, CycleOutcome, Entitlement, LinkCorrection
from govreach.entitlements.selectors import entitlements_in_force_arrow, pilot_kept_arrow
from govreach.packs.loader import Pack, load_pack

# SQLite page cache of the write step, in KiB (the connection's; PostgreSQL writes through COPY).
SQLITE_WRITE_CACHE_KIB = 512 * 1024

# Test-only hook: "<step>" or "write:<batch>" makes the process kill itself (SIGKILL) right after that
# checkpoint is committed, to prove that a restarted cycle ends in the uninterrupted state.
KILL_AFTER_ENV = "GOVREACH_CYCLE_KILL_AFTER"


class CycleError(Exception):
    """A cycle cannot run as asked; the message names the option and the fix."""


class CycleProgress(Protocol):
    """What a caller sees while a cycle runs (the command draws it with rich)."""

    def step(self, name: str, total: int | None = None) -> None: ...
    def advance(self, rows: int) -> None: ...


class _NoProgress:
    def step(self, name: str, total: int | None = None) -> None:
        del name, total

    def advance(self, rows: int) -> None:
        del rows


_SOURCE_COLUMNS = {
    "customers": [
        "record_id",
        "national_id",
        "given_name",
        "family_name",
        "address",
        "postcode",
        "area_code",
        "supplier_id",
        "cpe",
        "power_kva",
        "voltage",
        "is_domestic_use",
        "is_own_name",
        "is_permanent_home",
        "contract_start_on",
    ],
    "gas_customers": ["national_id", "cui", "pressure", "annual_consumption_m3"],
    "tax": [
        "record_id",
        "national_id",
        "given_name",
        "family_name",
        "birth_date",
        "address",
        "postcode",
        "tax_household_id",
        "income_eur",
        "household_income_eur",
        "tax_year",
    ],
    "social_security": [
        "record_id",
        "national_id",
        "given_name",
        "family_name",
        "birth_date",
        "benefit_code",
        "abono_bracket",
        "start_on",
        "end_on",
    ],
}
_SOURCE_TABLES = {
    "customers": "src_customers",
    "gas_customers": "src_gas",
    "tax": "src_tax",
    "social_security": "src_ss",
}
PREVIOUS_SCHEMAS = {
    "prev_links": pa.schema(
        [
            ("cpe", pa.string()),
            ("record_id", pa.string()),
            ("fingerprint", pa.string()),
            ("tax_year", pa.int16()),
            ("tax_household_id", pa.string()),
            ("link_method", pa.string()),
            ("household_income_eur", pa.float64()),
        ]
    ),
    "prev_members": pa.schema(
        [
            ("tax_household_id", pa.string()),
            ("person_key", pa.string()),
            ("national_id", pa.string()),
            ("name_key", pa.string()),
            ("birth_date", pa.date32()),
            ("income_eur", pa.float64()),
        ]
    ),
    "prev_mismatches": pa.schema(
        [
            ("record_id", pa.string()),
            ("cpe", pa.string()),
            ("supplier_id", pa.string()),
            ("kind", pa.string()),
            ("link_method", pa.string()),
            ("tax_household_id", pa.string()),
        ]
    ),
}
# Written by the report step under ``cycles_dir()/<cycle id>/``: what the next cycle reuses, every
# unit's outcome (sorted by unit) and every link mismatch with its kind (sorted by supply point), which
# stay out of the database (see selectors.cycle_outcome and selectors.cycle_mismatches).
OUTCOMES_FILE = "outcomes.parquet"
MISMATCHES_FILE = "mismatches.parquet"
# The file of the previous cycle's store each ``prev_*`` table is read from.
PREVIOUS_FILES = {
    "prev_links": "prev_links.parquet",
    "prev_members": "prev_members.parquet",
    "prev_mismatches": MISMATCHES_FILE,
}
_EXPORTS = {
    "outcomes": "SELECT unit_id AS unit_key, household_key, supplier_id, area_code, link_method, outcome, "
    "is_granted, failing_criteria, decision_key, end_reason, backdated_from, entitlement_id, in_force_status "
    "FROM plan ORDER BY unit_id",
    "prev_links": "SELECT cpe, record_id, fingerprint, CAST(tax_year AS SMALLINT) AS tax_year, "
    "tax_household_id, "
    "link_method, household_income_eur FROM links",
    "prev_members": "SELECT tax_household_id, person_key, national_id, name_key, birth_date, income_eur "
    "FROM tax_members",
    "mismatches": "SELECT record_id, cpe, supplier_id, kind, link_method, tax_household_id, is_carried "
    "FROM mismatches ORDER BY cpe, record_id, kind, is_carried",
}


@dataclass
class _Run:
    cycle: Cycle
    pack: Pack
    config: CycleConfig
    engine: Engine
    context: steps.StepContext
    registries: Path
    progress: CycleProgress
    # The report step's exports to the cycle's store, when started beside the write step.
    exports: Future[None] | None = None


def cycles_dir() -> Path:
    """Where cycles keep their working databases and the tax facts the next cycle reuses."""
    configured = getattr(settings, "GOVREACH_CYCLES_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "cycles"


def pack_path(pack: str) -> Path:
    """A pack folder from its id (under PACKS_DIR) or a path."""
    as_path = Path(pack)
    if as_path.is_dir():
        return as_path
    candidate = Path(settings.PACKS_DIR) / pack
    if not candidate.is_dir():
        raise CycleError(f"pack: no pack '{pack}' under {settings.PACKS_DIR}; give a pack id or folder")
    return candidate


def _dataset_path(registries: Path, name: str) -> Path:
    path = registries / "registries" / f"{name}.parquet"
    if not path.exists():
        path = registries / f"{name}.parquet"
    if not path.exists():
        raise CycleError(
            f"--registries: {name}.parquet not found in {registries} or {registries / 'registries'}"
        )
    return path


def _datasets(config: CycleConfig) -> dict[str, str]:
    r = config.registries
    found = {"customers": r.customers, "tax": r.tax, "social_security": r.social_security}
    if r.gas_customers:
        found["gas_customers"] = r.gas_customers
    return found


def registries_fingerprint(registries: Path, config: CycleConfig) -> str:
    """Names, sizes and modification times of the datasets a cycle reads: a resume must see the same data."""
    digest = hashlib.sha256()
    for key, name in sorted(_datasets(config).items()):
        stat = _dataset_path(registries, name).stat()
        digest.update(f"{key}:{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _kill_hook(point: str) -> None:
    if os.environ.get(KILL_AFTER_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _checkpoint(run: _Run, name: str, started: float, cpu_started: float, rows: dict[str, int]) -> None:
    # CPU time (all threads of this process) beside the wall time: on a shared machine the wall time
    # also measures the others' load.
    run.cycle.steps[name] = {
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu_started, 3),
        "rows": rows,
    }
    run.cycle.save(update_fields=["steps"])
    _kill_hook(name)


# -- steps ------------------------------------------------------------------------------------------------
def _step_read(run: _Run) -> dict[str, int]:
    rows: dict[str, int] = {}
    for key, name in _datasets(run.config).items():
        table = _SOURCE_TABLES[key]
        rows[table] = run.engine.load_parquet(
            table, _dataset_path(run.registries, name), _SOURCE_COLUMNS[key]
        )
        run.progress.advance(1)
    previous = run.cycle.previous
    for table, schema in PREVIOUS_SCHEMAS.items():
        path = cycles_dir() / str(previous.pk) / PREVIOUS_FILES[table] if previous else None
        if path is not None and path.exists():
            rows[table] = run.engine.load_parquet(table, path, schema.names)
        else:
            rows[table] = run.engine.load_arrow(table, schema.empty_table())
    rows["in_force"] = run.engine.load_arrow("in_force", entitlements_in_force_arrow(run.cycle.pack_id))
    rows["manual_links"] = run.engine.load_arrow("manual_links", manual_links_arrow(run.cycle.pack_id))
    rows["pilot_kept"] = run.engine.load_arrow(
        "pilot_kept", pilot_kept_arrow(run.cycle.pack_id, run.cycle.decided_on)
    )
    run.progress.advance(1)
    return rows


def manual_links_arrow(pack_id: str) -> pa.Table:
    """Supply points a reviewer linked by hand (the latest correction of each): they win over every rule."""
    latest: dict[str, str] = {}
    corrections = LinkCorrection.objects.filter(pack_id=pack_id).order_by("created_at", "pk")
    for cpe, household in corrections.values_list("supply_point_code", "household_key").iterator():
        latest[cpe] = household
    return pa.table(
        {"cpe": list(latest), "tax_household_id": list(latest.values())},
        schema=pa.schema([("cpe", pa.string()), ("tax_household_id", pa.string())]),
    )


def _sql_step(
    builder: Callable[[steps.StepContext], list[tuple[str, str]]],
) -> Callable[[_Run], dict[str, int]]:
    def run_step(run: _Run) -> dict[str, int]:
        rows: dict[str, int] = {}
        for table, sql in builder(run.context):
            rows[table] = run.engine.create_table(table, sql)
            run.progress.advance(1)
        return rows

    return run_step


_INSERTS: dict[str, tuple[type[Any], list[str]]] = {
    "grant_plan": (
        Entitlement,
        [
            "pack_id",
            "unit_key",
            "household_key",
            "supply_point_code",
            "supplier_id",
            "area_code",
            "status",
            "valid_from",
            "is_back_dated",
            "granted_in_id",
            "end_reason",
            "last_decision",
            "decision_key",
            "refusal_channel",
            "pack_version",
        ],
    ),
    "outcome_plan": (
        CycleOutcome,
        ["cycle_id", "unit_key", "household_key", "outcome", "failing_criteria", "area_code"],
    ),
}
# Updates of entitlements in force: the plan table's columns (``id`` last), then the SET clause with
# ``%s`` parameters in that order, and the same clause over the staged row ``s`` (PostgreSQL).
_UPDATES: dict[str, tuple[list[str], str, str]] = {
    "end_plan": (
        ["valid_to", "ended_in_id", "end_reason", "last_decision", "decision_key", "id"],
        "status = 'ended', valid_to = %s, ended_in_id = %s, end_reason = %s, "
        "last_decision = coalesce(%s, last_decision), decision_key = %s",
        "status = 'ended', valid_to = s.valid_to, ended_in_id = s.ended_in_id, end_reason = s.end_reason, "
        "last_decision = coalesce(s.last_decision, e.last_decision), decision_key = s.decision_key",
    ),
    "refresh_plan": (
        ["last_decision", "decision_key", "id"],
        "last_decision = %s, decision_key = %s",
        "last_decision = s.last_decision, decision_key = s.decision_key",
    ),
}


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _write_columns(table: str) -> list[str]:
    return _INSERTS[table][1] if table in _INSERTS else _UPDATES[table][0]


def _write_rows(table: str, rows: list[tuple[Any, ...]]) -> None:
    """Send one batch of a write table: INSERT ... ON CONFLICT DO NOTHING, or UPDATE of active rows.

    On PostgreSQL the batch goes through COPY into a temporary table first; elsewhere executemany.
    """
    if connection.vendor == "postgresql":
        _copy_rows(table, rows)
        return
    with connection.cursor() as cursor:
        if table in _INSERTS:
            model, columns = _INSERTS[table]
            cols = ", ".join(_quote(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {_quote(model._meta.db_table)} ({cols}) VALUES ({marks}) "  # noqa: S608
                "ON CONFLICT DO NOTHING",
                rows,
            )
        else:
            _, assignments, _ = _UPDATES[table]
            cursor.executemany(
                f"UPDATE {_quote(Entitlement._meta.db_table)} SET {assignments} "  # noqa: S608
                "WHERE id = %s AND status = 'active'",
                rows,
            )


def _copy_rows(table: str, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT or UPDATE from it."""
    model = _INSERTS[table][0] if table in _INSERTS else Entitlement
    target = _quote(model._meta.db_table)
    columns = _write_columns(table)
    cols = ", ".join(_quote(c) for c in columns)
    stage = _quote(f"govreach_stage_{table}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {cols} FROM {target} WITH NO DATA"  # noqa: S608
        )
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if table in _INSERTS:
            cursor.execute(
                f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING"  # noqa: S608
            )
        else:
            cursor.execute(
                f"UPDATE {target} AS e SET {_UPDATES[table][2]} FROM {stage} AS s "  # noqa: S608
                "WHERE e.id = s.id AND e.status = 'active'"
            )


def _step_write(run: _Run) -> dict[str, int]:
    """Grants, outcomes of changed units, ends and refreshes, in batches.

    Each batch and its checkpoint commit in one transaction, so a resumed write starts at the first
    batch not committed; inserts ignore rows already there and updates touch only active entitlements,
    so even a replayed batch changes nothing.
    """
    state = run.cycle.steps.setdefault("write", {"seconds": 0.0})
    state.setdefault("cpu_seconds", 0.0)
    # A resumed write keeps the batch size it started with, so batch numbers mean the same rows.
    batch_rows = int(state.setdefault("batch_rows", run.config.write.batch_rows))
    state.setdefault("outcomes", run.config.write.outcomes)  # which outcome rows the database got
    if connection.vendor == "sqlite":
        # Index pages stay in memory between batches (SQLite's default cache is 2 MB): at national
        # scale the inserts otherwise re-read the same index pages batch after batch.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")
    for table in steps.WRITE_TABLES:
        key = f"{table}_batches"
        done = int(state.get(key, 0))
        cols = ", ".join(_write_columns(table))
        query = f"SELECT {cols} FROM {table} WHERE seq > {done * batch_rows} ORDER BY seq"  # noqa: S608
        # Each batch's time includes reading it from the engine.
        started, cpu_started = time.perf_counter(), time.process_time()
        for batch_no, rows in enumerate(run.engine.fetch_batches(query, batch_rows), start=done):
            with transaction.atomic():
                _write_rows(table, rows)
                state[key] = batch_no + 1
                state["seconds"] = round(float(state["seconds"]) + time.perf_counter() - started, 3)
                cpu = float(state["cpu_seconds"]) + time.process_time() - cpu_started
                state["cpu_seconds"] = round(cpu, 3)
                run.cycle.save(update_fields=["steps"])
            run.progress.advance(len(rows))
            _kill_hook(f"write:{table}:{batch_no + 1}")
            started, cpu_started = time.perf_counter(), time.process_time()
    return {}


def _export_store(run: _Run) -> None:
    """Every unit's outcome, the mismatches and what the next cycle reuses, to the cycle's store.

    They read only the link and compare steps' tables, which the write step does not change: on DuckDB
    they run beside the write step (its own threads, while the write step's one thread sends rows to
    the database), each file replaced as a whole, so a resumed cycle simply writes them again.
    """
    out = cycles_dir() / str(run.cycle.pk)
    for name, sql in _EXPORTS.items():
        run.engine.export_select(sql, out / f"{name}.parquet")


def _step_report(run: _Run) -> dict[str, int]:
    from govreach.entitlements.selectors import cycle_report_from_engine

    report = cycle_report_from_engine(run.engine, run.cycle)
    if run.exports is not None:
        run.exports.result()
        run.engine.share_cores_with_writes(False)
    else:
        _export_store(run)
    run.cycle.report = report
    run.cycle.counts = dict(report["outcomes"])
    return {}


_SQL_STEPS: dict[str, Callable[[steps.StepContext], list[tuple[str, str]]]] = {
    "link": steps.link_tables,
    "facts": steps.facts_tables,
    "decide": steps.decide_tables,
    "compare": steps.compare_tables,
}
_STEPS: dict[str, Callable[[_Run], dict[str, int]]] = {
    "read": _step_read,
    **{name: _sql_step(builder) for name, builder in _SQL_STEPS.items()},
    "write": _step_write,
    "report": _step_report,
}


def _step_size(run: _Run, name: str) -> int | None:
    """How many times the step advances the progress bar: one per dataset read, statement or row sent."""
    if name == "read":
        return len(_datasets(run.config)) + 1
    if name in _SQL_STEPS:
        return len(_SQL_STEPS[name](run.context))
    if name == "write":
        compared = run.cycle.steps["compare"]["rows"]
        return sum(int(compared.get(table, 0)) for table in steps.WRITE_TABLES)
    return None


def _open_engine(cycle: Cycle, spark: Any | None) -> Engine:
    if cycle.engine == Cycle.Engine.SPARK:
        return SparkEngine(Path(cycle.workdir), spark if spark is not None else spark_session())
    return DuckDBEngine(Path(cycle.workdir))


def _cycle_for(
    *, pack: Pack, decided_on: dt.date, engine: str, registries: Path, fingerprint: str
) -> tuple[Cycle, bool]:
    """The cycle of ``pack`` on ``decided_on``: existing (to resume or leave alone) or new."""
    later = Cycle.objects.filter(
        pack_id=pack.id, decided_on__gt=decided_on, status=Cycle.Status.COMPLETED
    ).first()
    existing = Cycle.objects.filter(pack_id=pack.id, decided_on=decided_on).first()
    if existing is None and later is not None:
        raise CycleError(
            f"--on: cycle {later.pk} of {later.decided_on} is already completed; cycles run in date order"
        )
    if existing is not None:
        if existing.status != Cycle.Status.COMPLETED:
            if existing.engine != engine:
                raise CycleError(
                    f"--engine: cycle {existing.pk} was started on {existing.engine}; resume it there"
                )
            if existing.registries_fingerprint != fingerprint:
                raise CycleError(
                    f"--registries: the data changed since cycle {existing.pk} started; "
                    "a resume needs the same "
                    "files (delete the cycle to start over)"
                )
        return existing, False
    previous = (
        Cycle.objects.filter(pack_id=pack.id, status=Cycle.Status.COMPLETED, decided_on__lt=decided_on)
        .order_by("-decided_on")
        .first()
    )
    cycle = Cycle.objects.create(
        pack_id=pack.id,
        pack_version=pack.version,
        decided_on=decided_on,
        engine=engine,
        registries_dir=str(registries),
        registries_fingerprint=fingerprint,
        previous=previous,
    )
    base = cycles_dir()
    cycle.workdir = str(base / f"{cycle.pk}.duckdb" if engine == "duckdb" else base / str(cycle.pk) / "spark")
    cycle.save(update_fields=["workdir"])
    return cycle, True


def cycle_run(
    *,
    pack: str,
    decided_on: dt.date,
    registries: Path,
    engine: str = "duckdb",
    spark: Any | None = None,
    progress: CycleProgress | None = None,
    keep_workdir: bool = True,
    batch_rows: int | None = None,
    outcomes: str | None = None,
) -> Cycle:
    """Run (or resume) the cycle of ``pack`` on ``decided_on`` and return it completed.

    A completed cycle for that date is returned unchanged: running the same cycle twice changes nothing.
    ``batch_rows`` and ``outcomes`` override the pack's ``write`` settings (rows per transaction; whether
    every unit's outcome or only new grants and ends go to the database).
    """
    if engine not in Cycle.Engine.values:
        raise CycleError(f"--engine: unknown engine '{engine}'; use duckdb or spark")
    from govreach.catalogue.selectors import cycle_versions

    # The version in force in the catalogue decides (the pack's files when the pack is not loaded
    # there), and each running pilot's version decides the units of its areas.
    loaded, pilots = cycle_versions(load_pack(pack_path(pack)), decided_on)
    config = load_cycle_config(loaded.path)
    overrides = {"batch_rows": batch_rows, "outcomes": outcomes}
    if any(value is not None for value in overrides.values()):
        write = {key: value for key, value in overrides.items() if value is not None}
        config = config.model_copy(
            update={"write": config.write.model_validate({**config.write.model_dump(), **write})}
        )
    if config.decision not in loaded.ruleset.decisions:
        raise CycleError(f"data/cycle.yaml: decision '{config.decision}' is not in the pack's rules")
    fingerprint = registries_fingerprint(registries, config)
    cycle, _created = _cycle_for(
        pack=loaded, decided_on=decided_on, engine=engine, registries=registries, fingerprint=fingerprint
    )
    if cycle.status == Cycle.Status.COMPLETED:
        return cycle
    work = _open_engine(cycle, spark)
    context = steps.StepContext(
        ruleset=loaded.ruleset,
        config=config,
        decided_on=decided_on,
        previous_on=cycle.previous.decided_on if cycle.previous else None,
        dialect=work.dialect,
        cycle_id=cycle.pk,
        pack_id=cycle.pack_id,
        pilots=tuple((p.ruleset, codes) for p, codes in pilots),
    )
    run = _Run(cycle, loaded, config, work, context, registries, progress or _NoProgress())
    try:
        _run_steps(run)
    except Exception as error:
        Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.FAILED, error=repr(error)[:2000])
        raise
    finally:
        work.close()
    cycle.status = Cycle.Status.COMPLETED
    cycle.finished_at = timezone.now()
    cycle.error = ""
    cycle.save(update_fields=["status", "finished_at", "report", "counts", "steps", "error"])
    audit_record(action="cycle.run", subject=cycle, detail={"pack_id": cycle.pack_id})
    if not keep_workdir:
        _remove_workdir(Path(cycle.workdir))
    return cycle


def _step_tables_exist(run: _Run, name: str) -> bool:
    rows = run.cycle.steps.get(name, {}).get("rows", {})
    return all(run.engine.has_table(t) for t in rows)


def _run_steps(run: _Run) -> None:
    cycle = run.cycle
    done = [n for n in steps.STEP_NAMES if n in cycle.steps and n not in ("write", "report")]
    # Resume after the last step whose tables all survived; a lost working store during the write
    # step cannot be rebuilt (the entitlements in force have moved), so that is an error.
    first_lost = next((n for n in done if not _step_tables_exist(run, n)), None)
    if first_lost is not None:
        if "write" in cycle.steps:
            raise CycleError(f"cycle {cycle.pk}: working tables lost during the write step; cannot resume")
        for name in steps.STEP_NAMES[steps.STEP_NAMES.index(first_lost) :]:
            cycle.steps.pop(name, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cycle-exports") as beside:
        for name in steps.STEP_NAMES:
            _run_step(run, name, beside)


def _run_step(run: _Run, name: str, beside: ThreadPoolExecutor) -> None:
    cycle = run.cycle
    if name in cycle.steps and name != "write":
        return
    if name == "write" and cycle.steps.get("write", {}).get("finished"):
        return
    run.progress.step(name, _step_size(run, name))
    started, cpu_started = time.perf_counter(), time.process_time()
    if name == "write":
        if run.engine.exports_beside_writes:
            run.engine.share_cores_with_writes(True)
            run.exports = beside.submit(_export_store, run)
        _step_write(run)
        cycle.steps["write"]["finished"] = True
        cycle.save(update_fields=["steps"])
        _kill_hook("write")
        return
    rows = _STEPS[name](run)
    _checkpoint(run, name, started, cpu_started, rows)


def _remove_workdir(path: Path) -> None:
    for candidate in (path, path.with_suffix(".duckdb.wal"), path.with_suffix(".tmp")):
        if candidate.is_dir():
            shutil.rmtree(candidate, ignore_errors=True)
        elif candidate.exists():
            candidate.unlink()


@transaction.atomic
def entitlement_refuse(
    *, entitlement: Entitlement, channel: str, at: dt.datetime | None = None
) -> Entitlement:
    """Honour a beneficiary's refusal (web, SMS reply or counter).

    Final: no later cycle overturns it (the customer's right to object, Lei 7-A/2016, art. 121).
    """
    locked = Entitlement.objects.select_for_update(of=("self",)).get(pk=entitlement.pk)
    if locked.status == Entitlement.Status.REFUSED:
        return locked
    if locked.status != Entitlement.Status.ACTIVE:
        raise CycleError(
            f"entitlement {locked.pk} is {locked.status}; only an active entitlement can be refused"
        )
    when = at or timezone.now()
    locked.status = Entitlement.Status.REFUSED
    locked.refused_at = when
    locked.refusal_channel = channel
    locked.valid_to = timezone.localdate(when) if timezone.is_aware(when) else when.date()
    locked.save(update_fields=["status", "refused_at", "refusal_channel", "valid_to"])
    return locked
