"""Versions kept side by side in a pack folder: versions/<version>/ overlays the pack's own files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from govreach.packs.loader import PackInvalid, check_pack, load_pack, pack_versions

from .conftest import PACK_DIR

ON = dt.date(2024, 7, 1)


def test_a_version_replaces_only_the_parameters_it_names() -> None:
    base, older = load_pack(PACK_DIR), load_pack(PACK_DIR, version="0.9.0")
    assert (base.version, older.version) == ("1.0.0", "0.9.0")
    assert base.ruleset.parameters["income_limit_eur"].value_on(ON).value == 6272.64  # type: ignore[union-attr]
    assert older.ruleset.parameters["income_limit_eur"].value_on(ON).value == 5808  # type: ignore[union-attr]
    assert older.ruleset.parameters["power_limit_kva"] == base.ruleset.parameters["power_limit_kva"]
    assert older.version_dir == PACK_DIR / "versions" / "0.9.0" and base.version_dir is None
    assert older.digest != base.digest
    assert pack_versions(PACK_DIR) == ["0.8.0", "0.9.0"]


def test_proposing_a_version_does_not_change_the_digest_of_the_one_in_force(tmp_path: Path) -> None:
    folder = tmp_path / "pt"
    shutil.copytree(PACK_DIR, folder)
    before = load_pack(folder).digest
    shutil.copytree(folder / "versions" / "0.9.0", folder / "versions" / "0.9.1")
    text = (folder / "versions" / "0.9.1" / "version.yaml").read_text(encoding="utf-8")
    (folder / "versions" / "0.9.1" / "version.yaml").write_text(
        text.replace("version: 0.9.0", "version: 0.9.1")
    )
    assert load_pack(folder).digest == before
    assert load_pack(folder, version="0.9.1").version == "0.9.1"


def test_a_broken_version_is_reported_with_its_file_and_fix(tmp_path: Path) -> None:
    folder = tmp_path / "pt"
    shutil.copytree(PACK_DIR, folder)
    version_file = folder / "versions" / "0.9.0" / "version.yaml"
    text = version_file.read_text(encoding="utf-8").replace("version: 0.9.0", "version: 0.9.5")
    version_file.write_text(
        "\n".join(line for line in text.splitlines() if not line.strip().startswith("ko:"))
    )
    problems = [str(p) for p in check_pack(folder)]
    assert any("versions/0.9.0/version.yaml" in p and "0.9.5" in p for p in problems)
    assert any("versions/0.9.0/version.yaml" in p and "no text in ko" in p for p in problems)
    with pytest.raises(PackInvalid, match=r"no version 2\.0\.0"):
        load_pack(folder, version="2.0.0")
