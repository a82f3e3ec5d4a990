"""The mapping file is checked before any row is read, with errors naming the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreach.registry.mapping import MappingError, RowValidator, mapping_load, mapping_parse

from .conftest import mapping_data


def problems_of(data: object) -> list[str]:
    with pytest.raises(MappingError) as info:
        mapping_parse(data, path="m.yaml")
    return info.value.problems


def test_unknown_key_is_named_with_the_fix() -> None:
    data = mapping_data()
    data["fields"]["given_name"]["colum"] = "x"
    assert any(p.startswith("fields.given_name.colum: unknown key") for p in problems_of(data))


def test_missing_key_column_is_reported() -> None:
    data = mapping_data()
    del data["key_column"]
    assert "key_column: is required; add it" in problems_of(data)


def test_person_field_with_wrong_type_says_which_type_to_set() -> None:
    data = mapping_data()
    data["fields"]["birth_date"] = {"column": "dob", "type": "text"}
    (problem,) = problems_of(data)
    assert "birth_date" in problem
    assert "set type: date" in problem


def test_format_on_a_text_field_is_refused() -> None:
    data = mapping_data()
    data["fields"]["address"]["format"] = "%d"
    assert any("fields.address" in p and "set type: date" in p for p in problems_of(data))


def test_unknown_type_lists_the_allowed_types() -> None:
    data = mapping_data()
    data["fields"]["postcode"]["type"] = "string"
    (problem,) = problems_of(data)
    assert problem.startswith("fields.postcode.type:")
    assert "'text'" in problem


def test_household_role_without_household_key_is_refused() -> None:
    data = mapping_data()
    del data["fields"]["household_key"]
    assert any("household_key" in p for p in problems_of(data))


def test_invalid_yaml_file_is_a_mapping_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("source: [unclosed\n", encoding="utf-8")
    with pytest.raises(MappingError, match="not valid YAML"):
        mapping_load(path)


def test_row_validator_converts_and_reports_each_bad_field() -> None:
    spec = mapping_parse(mapping_data())
    validator = RowValidator(spec)
    key, values, problems = validator.convert(
        {
            "id": "K1",
            "nif": "1",
            "first": "Ana",
            "last": "",
            "dob": "31/02/1950",
            "sex": "Q",
            "disabled": "yes",
        }
    )
    assert key == "K1"
    assert values["has_disability"] is True
    assert {p.field for p in problems} == {"family_name", "birth_date", "sex"}
    key, values, problems = validator.convert({"id": "K2", "first": "A", "last": "B", "dob": "01/12/1950"})
    assert problems == []
    assert values["birth_date"] == "1950-12-01"


def test_integer_and_number_fields_reject_text() -> None:
    data = mapping_data(creates_persons=False)
    data["fields"] = {
        "income_eur": {"column": "inc", "type": "number"},
        "members": {"column": "n", "type": "integer"},
    }
    validator = RowValidator(mapping_parse(data))
    _, values, problems = validator.convert({"id": "1", "inc": "1234.5", "n": "3"})
    assert values == {"income_eur": 1234.5, "members": 3}
    assert problems == []
    _, _, problems = validator.convert({"id": "1", "inc": "lots", "n": "2.5"})
    assert {p.field for p in problems} == {"income_eur", "members"}
