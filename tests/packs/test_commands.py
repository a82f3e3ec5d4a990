"""The packs and rules commands, as a service designer runs them."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
PT = ROOT / "packs" / "pt-social-energy-tariff"


def test_packs_check_passes_on_every_shipped_pack() -> None:
    call_command("packs", "check", str(ROOT / "packs"))


def test_packs_check_fails_on_a_broken_pack(tmp_path: Path) -> None:
    broken = tmp_path / "pt"
    shutil.copytree(PT, broken)
    (broken / "service.yaml").write_text(
        (PT / "service.yaml").read_text().replace("kind: proactive", "kind: x")
    )
    with pytest.raises(CommandError, match="1 pack"):
        call_command("packs", "check", str(broken))


def test_packs_test_runs_every_case_and_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    call_command("packs", "test", str(PT))
    wrong = tmp_path / "pt"
    shutil.copytree(PT, wrong)
    gas = wrong / "tests" / "gas.yaml"
    gas.write_text(
        gas.read_text().replace(
            "decisions: {gas_eligible: true, eligible: true}", "decisions: {gas_eligible: false}"
        )
    )
    with pytest.raises(CommandError, match="1 pack test case"):
        call_command("packs", "test", str(wrong))


def test_packs_schema_is_json_schema_of_every_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    call_command("packs", "schema", "--out", str(out))
    schema = json.loads(out.read_text())
    assert set(schema["files"]) == {
        "service.yaml",
        "parameters.yaml",
        "rules.yaml",
        "tests/*.yaml",
        "forms/*.yaml",
        "workflow.yaml",
        "messages/<lang>.yaml",
        "outreach.yaml",
        "programme.yaml",
        "versions/<version>/version.yaml",
    }
    assert "decision" in schema["files"]["service.yaml"]["properties"]


def test_rules_explain_in_plain_language_and_json(tmp_path: Path) -> None:
    unit = tmp_path / "unit.json"
    unit.write_text(
        json.dumps(
            {
                "contract": {
                    "own_name": True,
                    "domestic": True,
                    "permanent_home": True,
                    "voltage": "BTN",
                    "power_kva": 3.45,
                },
                "household": {"income_eur": 5808},
                "members": [{"income_eur": 5808, "benefits": []}],
            }
        )
    )
    out = StringIO()
    call_command("rules", "explain", str(PT), "--unit", str(unit), "--on", "2016-03-01", stdout=out)
    text = out.getvalue()
    assert "eligible: YES" in text
    assert "income_limit_eur = 5808 EUR since 2016-01-01" in text
    out = StringIO()
    call_command("rules", "explain", str(PT), "--unit", str(unit), "--on", "2015-10-01", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["outcome"] is False
    assert {p["name"]: p["value"] for p in data["parameters"]}["income_limit_eur"] == 5280


def test_rules_explain_names_the_wrong_fact(tmp_path: Path) -> None:
    unit = tmp_path / "unit.json"
    unit.write_text(json.dumps({"contract": {"power_kva": "big"}}))
    with pytest.raises(CommandError, match=r"contract.power_kva: expected a number"):
        call_command("rules", "explain", str(PT), "--unit", str(unit), "--on", "2016-03-01")
