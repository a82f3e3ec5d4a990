"""A registry import killed with SIGKILL between batches, then started again, ends as an uninterrupted one.

The in-process tests (test_import.py) raise an exception; this one kills a real ``govreach registry
import`` process, so nothing of Python's clean-up runs: only what each batch's transaction committed stays.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from .conftest import HEADER, mapping_data, person_row

pytestmark = pytest.mark.slow

ROWS = 3000
BATCH = 10


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govreach.config.test_settings",
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "GOVREACH_VAR_DIR": str(home),
    }


def _import_args(files: Path) -> list[str]:
    return [sys.executable, "-m", "govreach", "registry", "--skip-checks", "import", "pt-tax",
            str(files / "persons.csv"), "--mapping", str(files / "mapping.yaml"), "--batch-size", str(BATCH),
            "--errors", str(files / "errors.csv")]  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("files")
    with (folder / "persons.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(person_row(i, area="", dob="bad" if i % 500 == 0 else f"0{1 + i % 9}/03/1950")
                         for i in range(1, ROWS + 1))  # fmt: skip
    (folder / "mapping.yaml").write_text(yaml.safe_dump(mapping_data()), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("migrated")
    done = subprocess.run([sys.executable, "-m", "govreach", "migrate", "-v0", "--skip-checks"],
                          env=_env(home), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return home / "db.sqlite3"


def _state(home: Path) -> dict[str, object]:
    with sqlite3.connect(home / "db.sqlite3") as db:
        return {
            "records": sorted(db.execute("SELECT source_key, digest FROM registry_sourcerecord").fetchall()),
            "persons": db.execute("SELECT count(*) FROM registry_person").fetchone(),
            "memberships": db.execute("SELECT count(*) FROM registry_membership").fetchone(),
            "quarantined": sorted(db.execute("SELECT row_number FROM registry_quarantinedrow").fetchall()),
            "runs": db.execute(
                "SELECT status, rows_done, read_count, inserted_count, quarantined_count FROM registry_importrun"
            ).fetchall(),
        }


def _rows_done(home: Path) -> int:
    try:
        with sqlite3.connect(home / "db.sqlite3", timeout=1) as db:
            row = db.execute("SELECT rows_done FROM registry_importrun").fetchone()
    except sqlite3.OperationalError:  # locked by the writer for a moment
        return 0
    return int(row[0]) if row else 0


def test_an_import_killed_between_batches_resumes_to_the_uninterrupted_state(
    migrated: Path, files: Path, tmp_path: Path
) -> None:
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    for home in (straight, killed):
        home.mkdir()
        shutil.copy(migrated, home / "db.sqlite3")
    done = subprocess.run(
        _import_args(files), env=_env(straight), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr

    worker = subprocess.Popen(_import_args(files), env=_env(killed), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while _rows_done(killed) < 5 * BATCH and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL, "the import ended before it could be killed"
    finally:
        if worker.poll() is None:
            worker.kill()
    interrupted = _state(killed)
    [(status, rows_done, *_)] = interrupted["runs"]  # type: ignore[misc]
    assert status == "running" and 0 < rows_done < ROWS and rows_done % BATCH == 0
    assert len(interrupted["records"]) < len(_state(straight)["records"])  # type: ignore[arg-type]

    resumed = subprocess.run(
        _import_args(files), env=_env(killed), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert _state(killed) == _state(straight)
    assert _state(straight)["runs"] == [("finished", ROWS, ROWS, ROWS - ROWS // 500, ROWS // 500)]
