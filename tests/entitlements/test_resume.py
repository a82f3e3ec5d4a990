"""A cycle killed with SIGKILL and started again ends in exactly the state of an uninterrupted run."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from govreach.entitlements.services import KILL_AFTER_ENV

TABLES = {
    "entitlements_entitlement": "unit_key, household_key, status, valid_from, valid_to, granted_in_id, ended_in_id, "
    "end_reason, last_decision, decision_key",
    "entitlements_cycleoutcome": "cycle_id, unit_key, household_key, outcome, failing_criteria, area_code",
    "entitlements_cycle": "pack_id, decided_on, status, counts, report",
}


def _govreach(home: Path, *args: str, kill_after: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govreach.config.test_settings",
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "GOVREACH_VAR_DIR": str(home),
    }
    env.pop(KILL_AFTER_ENV, None)
    if kill_after:
        env[KILL_AFTER_ENV] = kill_after
    return subprocess.run(
        [sys.executable, "-m", "govreach", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# The cycle's store (outside the database): every unit's outcome and every link mismatch, as written.
STORE_FILES = ("outcomes.parquet", "mismatches.parquet")


def _state(home: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(home / "db.sqlite3") as db:
        state = {t: sorted(db.execute(f"SELECT {cols} FROM {t}").fetchall()) for t, cols in TABLES.items()}
    for name in STORE_FILES:
        [path] = (home / "cycles").glob(f"*/{name}")
        rows = pq.read_table(path).to_pylist()
        state[name] = [tuple(row.values()) for row in rows]
    return state


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("migrated")
    result = _govreach(home, "migrate", "-v0", "--skip-checks")
    assert result.returncode == 0, result.stderr
    return home / "db.sqlite3"


RUN = [
    "cycle",
    "--skip-checks",
    "run",
    "pt-social-energy-tariff",
    "--on",
    "2025-01-01",
    "--batch-rows",
    "20",
]


@pytest.fixture(scope="module")
def uninterrupted(
    migrated: Path, pt_population: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[object, ...]]]:
    """The state after one uninterrupted run: what every killed-and-resumed run must end in."""
    straight = tmp_path_factory.mktemp("straight")
    shutil.copy(migrated, straight / "db.sqlite3")
    done = _govreach(straight, *RUN, "--registries", str(pt_population))
    assert done.returncode == 0, done.stderr
    state = _state(straight)
    assert state["entitlements_entitlement"]
    assert state["mismatches.parquet"]
    return state


@pytest.mark.parametrize("kill_after", ["decide", "write:grant_plan:2"])
def test_cycle_killed_half_way_resumes_to_the_uninterrupted_state(
    kill_after: str,
    migrated: Path,
    pt_population: Path,
    tmp_path: Path,
    uninterrupted: dict[str, list[tuple[object, ...]]],
) -> None:
    run = [*RUN, "--registries", str(pt_population)]
    killed = tmp_path / "killed"
    killed.mkdir()
    shutil.copy(migrated, killed / "db.sqlite3")

    interrupted = _govreach(killed, *run, kill_after=kill_after)
    assert interrupted.returncode == -9
    with sqlite3.connect(killed / "db.sqlite3") as db:
        assert db.execute("SELECT status FROM entitlements_cycle").fetchall() == [("running",)]
    resumed = _govreach(killed, *run)
    assert resumed.returncode == 0, resumed.stderr

    assert _state(killed) == uninterrupted
