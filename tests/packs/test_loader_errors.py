"""A broken pack gets errors that name the file, the line, the field and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govreach.packs.loader import PackInvalid, check_pack, load_pack

PT = Path(__file__).resolve().parents[2] / "packs" / "pt-social-energy-tariff"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "pt-social-energy-tariff"
    shutil.copytree(PT, target)
    return target


def replace_in(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once and return the 1-based line where it stood."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def test_the_shipped_pack_is_sound() -> None:
    assert check_pack(PT) == []


def test_unknown_field_suggests_the_nearest_known_one(pack: Path) -> None:
    line = replace_in(pack / "service.yaml", "owner:", "ownr:")
    problems = check_pack(pack)
    unknown = next(p for p in problems if "unknown field 'ownr'" in p.message)
    assert unknown.file.endswith("service.yaml")
    assert unknown.line == line
    assert unknown.fix == "did you mean 'owner'?"
    assert any("'owner' is required" in p.message for p in problems)


def test_unknown_field_in_a_nested_criterion_suggests_the_known_one(pack: Path) -> None:
    line = replace_in(
        pack / "rules.yaml", "because_not: {pt: O contrato não está", "becuse_not: {pt: O contrato não está"
    )
    [problem] = [p for p in check_pack(pack) if "becuse_not" in p.message]
    assert problem.line == line
    assert problem.field.startswith("decisions.eligible.all[0].all[0]")
    assert problem.fix == "did you mean 'because_not'?"


def test_unknown_name_in_a_rule_says_which_names_exist(pack: Path) -> None:
    line = replace_in(
        pack / "rules.yaml",
        "when: contract.power_kva <= power_limit_kva",
        "when: contract.power_kv <= power_limit_kva",
    )
    [problem] = check_pack(pack)
    assert problem.file == "pt-social-energy-tariff/rules.yaml"
    assert problem.line == line
    assert problem.field.endswith(".when")
    assert "unknown name 'contract.power_kv'" in problem.message
    assert problem.fix is not None and problem.fix.startswith("did you mean 'contract.power_kva'")
    assert str(problem).startswith(f"pt-social-energy-tariff/rules.yaml:{line}:")


def test_type_error_in_a_rule_is_caught_at_load(pack: Path) -> None:
    replace_in(pack / "rules.yaml", 'when: contract.voltage == "BTN"', "when: contract.voltage == 3")
    [problem] = check_pack(pack)
    assert "comparing a text with a integer" in problem.message


def test_syntax_error_names_the_character_and_the_fix(pack: Path) -> None:
    replace_in(pack / "rules.yaml", "when: contract.own_name", "when: contract.own_name = true")
    [problem] = check_pack(pack)
    assert "unexpected character '='" in problem.message
    assert problem.fix == "write == to compare"


def test_missing_translation_is_a_problem(pack: Path) -> None:
    replace_in(
        pack / "rules.yaml",
        "title: {pt: Baixa tensão normal, en: Normal low voltage,",
        "title: {en: Normal low voltage,",
    )
    [problem] = check_pack(pack)
    assert problem.message == "no text in pt"
    assert problem.fix is not None and "add pt:" in problem.fix


def test_placeholder_of_an_unknown_name_is_a_problem(pack: Path) -> None:
    replace_in(
        pack / "rules.yaml", "within the {power_limit_kva} kVA limit", "within the {power_limit} kVA limit"
    )
    [problem] = check_pack(pack)
    assert "{power_limit}" in problem.message
    assert problem.fix == "did you mean '{power_limit_kva}'?"


def test_yaml_syntax_error_names_the_line(pack: Path) -> None:
    line = replace_in(pack / "parameters.yaml", "  unit: kVA", "  unit: [kVA")
    [problem] = check_pack(pack)
    assert problem.file.endswith("parameters.yaml")
    assert problem.line is not None and abs(problem.line - line) <= 1
    assert problem.message.startswith("YAML syntax")


def test_test_case_naming_an_unknown_criterion_is_a_problem(pack: Path) -> None:
    replace_in(
        pack / "tests" / "gas.yaml",
        "criteria: {gas_small_contract: false}",
        "criteria: {gas_small_contrat: false}",
    )
    [problem] = check_pack(pack)
    assert problem.file.endswith("tests/gas.yaml")
    assert problem.fix == "did you mean 'gas_small_contract'?"


def test_unknown_file_suggests_the_known_one(pack: Path) -> None:
    (pack / "parameter.yaml").write_text("{}", encoding="utf-8")
    [problem] = check_pack(pack)
    assert problem.fix == "did you mean 'parameters.yaml'?"


def test_bad_version_says_the_expected_form(pack: Path) -> None:
    replace_in(pack / "service.yaml", "version: 1.0.0", "version: one")
    [problem] = check_pack(pack)
    assert problem.field == "version"
    assert problem.fix == "use MAJOR.MINOR.PATCH, e.g. 1.2.0"


def test_load_pack_raises_with_every_problem(pack: Path) -> None:
    replace_in(pack / "service.yaml", "kind: proactive", "kind: automatic")
    replace_in(
        pack / "rules.yaml", "when: contract.domestic and contract.permanent_home", "when: contract.domestik"
    )
    with pytest.raises(PackInvalid) as err:
        load_pack(pack)
    assert len(err.value.problems) == 2
    assert "2 problem(s)" in str(err.value)
