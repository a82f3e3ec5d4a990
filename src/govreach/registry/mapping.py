"""The import mapping: how a source's columns become GovReach fields, and how each row is checked.

A mapping is YAML a data officer writes once per source. Loading it checks the file itself and
names the field and the fix; ``RowValidator`` then checks each row against it::

    source: {agency: Tax authority, dataset: tax_persons, extracted_on: 2024-06-30, licence: restricted}
    key_column: record_id            # the source's own unique key
    creates_persons: true            # a population register: each new record becomes a person
    fields:                          # GovReach field: where it comes from and what is allowed
      national_id: {column: nif}
      given_name: {column: first_name, required: true}
      birth_date: {column: dob, type: date, format: "%d/%m/%Y"}
      sex: {column: sex, allowed: [F, M, X]}
      income_eur: {column: income, type: number}   # any other fact is kept on the source record

Types: text, integer, number, date (ISO unless ``format``), boolean (true/false, yes/no, 1/0).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

FieldType = Literal["text", "integer", "number", "date", "boolean"]

#: Standard person columns (docs/registries.md) and the other Person facts, with the type each must have.
PERSON_FIELD_TYPES: dict[str, FieldType] = {
    "national_id": "text",
    "given_name": "text",
    "family_name": "text",
    "birth_date": "date",
    "sex": "text",
    "address": "text",
    "postcode": "text",
    "area_code": "text",
    "phone": "text",
    "preferred_language": "text",
    "has_disability": "boolean",
    "is_literate": "boolean",
}
#: Household fields a mapping may fill, so that a population register also yields households.
HOUSEHOLD_FIELD_TYPES: dict[str, FieldType] = {"household_key": "text", "household_role": "text"}
HOUSEHOLD_ROLES = ("head", "spouse", "child", "other")

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "sim", "s"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "nao", "não"})
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class MappingError(ValueError):
    """A mapping file that cannot be used; ``problems`` are lines naming the field and the fix."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: the mapping is not valid:\n" + "\n".join(f"  - {p}" for p in problems))


class SourceSpec(BaseModel):
    """Who holds the registry and what extract this is (the provenance every record keeps)."""

    model_config = ConfigDict(extra="forbid")

    agency: str = Field(min_length=1)
    dataset: str = Field(min_length=1)
    extracted_on: dt.date | dt.datetime | None = None
    licence: str = ""
    description: str = ""


class FieldSpec(BaseModel):
    """One target field: the source column it comes from, its type and what values are allowed."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1)
    type: FieldType = "text"
    required: bool = False
    allowed: list[str] | None = None
    format: str | None = Field(default=None, description="strptime format for dates, e.g. '%d/%m/%Y'.")
    max_length: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _format_only_for_dates(self) -> FieldSpec:
        if self.format is not None and self.type != "date":
            raise ValueError(
                f"'format' applies to dates only; remove it or set type: date (type is {self.type})"
            )
        if self.allowed is not None and self.type != "text":
            raise ValueError("'allowed' applies to text fields only; remove it or set type: text")
        if self.format is not None and "%" not in self.format:
            raise ValueError(f"format {self.format!r} has no strptime directive; write e.g. '%d/%m/%Y'")
        return self


class MappingSpec(BaseModel):
    """A whole mapping file: the source, its key column and each target field."""

    model_config = ConfigDict(extra="forbid")

    source: SourceSpec
    key_column: str = Field(min_length=1)
    creates_persons: bool = False
    fields: dict[str, FieldSpec] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _field_names_and_types(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        problems: list[str] = []
        for name, spec in fields.items():
            if not _IDENTIFIER.match(name):
                problems.append(f"field name {name!r} must be lower_snake_case (e.g. 'given_name')")
                continue
            expected = PERSON_FIELD_TYPES.get(name) or HOUSEHOLD_FIELD_TYPES.get(name)
            if expected is not None and spec.type != expected:
                problems.append(
                    f"{name}: type is {spec.type!r} but {name} is a {expected}; set type: {expected}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return fields

    @model_validator(mode="after")
    def _household_pair(self) -> MappingSpec:
        if "household_role" in self.fields and "household_key" not in self.fields:
            raise ValueError("fields.household_role needs fields.household_key (the household's id column)")
        return self

    def digest(self) -> str:
        """A stable digest of the mapping, recorded on each import run."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def mapping_parse(data: Any, *, path: str = "<mapping>") -> MappingSpec:
    """Validate mapping data (already parsed YAML) or raise ``MappingError`` naming each bad field."""
    if not isinstance(data, dict):
        raise MappingError(path, ["the file must be a YAML mapping with keys source, key_column, fields"])
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key; remove it or check its spelling"
            elif err["type"] == "missing":
                message = "is required; add it"
            problems.append(f"{_location(err['loc'])}: {message}")
        raise MappingError(path, problems) from None


def mapping_load(path: Path) -> MappingSpec:
    """Read and validate a mapping YAML file; ``MappingError`` names each problem and its fix."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        raise MappingError(str(path), [f"not valid YAML: {exc}"]) from None
    return mapping_parse(data, path=str(path))


@dataclass(frozen=True)
class RowProblem:
    """Why one row was refused: the field (target name, or source column for structure) and reason."""

    field: str
    reason: str


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowValidator:
    """Check and convert rows (dicts of source column -> raw value) into GovReach field values.

    Values come out JSON-ready: dates as ISO strings, numbers as int/float, booleans as bool.
    """

    def __init__(self, spec: MappingSpec) -> None:
        self.spec = spec
        self._fields = list(spec.fields.items())
        self._allowed = {name: frozenset(f.allowed) for name, f in self._fields if f.allowed is not None}

    def missing_columns(self, columns: list[str]) -> list[str]:
        """Source columns the mapping names that the file does not have."""
        needed = [self.spec.key_column, *(f.column for _, f in self._fields)]
        present = set(columns)
        return sorted({c for c in needed if c not in present})

    def convert(self, row: Mapping[str, Any]) -> tuple[str | None, dict[str, Any], list[RowProblem]]:
        """Return the row's key, its converted values and every problem found (empty when valid)."""
        problems: list[RowProblem] = []
        raw_key = row.get(self.spec.key_column)
        key = None if _is_blank(raw_key) else str(raw_key).strip()
        if key is None:
            problems.append(RowProblem(self.spec.key_column, "the key column is empty"))
        values: dict[str, Any] = {}
        for name, field in self._fields:
            raw = row.get(field.column)
            if _is_blank(raw):
                if field.required:
                    problems.append(RowProblem(name, f"required value missing in column {field.column!r}"))
                values[name] = None
                continue
            try:
                values[name] = self._convert_one(name, field, raw)
            except ValueError as exc:
                problems.append(RowProblem(name, str(exc)))
        return key, values, problems

    def _convert_one(self, name: str, field: FieldSpec, raw: Any) -> Any:
        kind = field.type
        if kind == "text":
            text = raw.strip() if isinstance(raw, str) else str(raw)
            if field.max_length is not None and len(text) > field.max_length:
                raise ValueError(f"longer than {field.max_length} characters")
            allowed = self._allowed.get(name)
            if allowed is not None and text not in allowed:
                raise ValueError(f"{_clip(text)!r} is not one of {sorted(allowed)}")
            return text
        if kind == "integer":
            if isinstance(raw, bool):
                raise ValueError(f"{raw!r} is not a whole number")
            if isinstance(raw, int):
                return raw
            try:
                number = Decimal(str(raw).strip())
            except InvalidOperation:
                raise ValueError(f"{_clip(str(raw))!r} is not a whole number") from None
            if number != number.to_integral_value():
                raise ValueError(f"{_clip(str(raw))!r} is not a whole number")
            return int(number)
        if kind == "number":
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                return float(raw)
            try:
                return float(Decimal(str(raw).strip()))
            except InvalidOperation:
                raise ValueError(f"{_clip(str(raw))!r} is not a number") from None
        if kind == "date":
            if isinstance(raw, dt.datetime):
                return raw.date().isoformat()
            if isinstance(raw, dt.date):
                return raw.isoformat()
            text = str(raw).strip()
            try:
                if field.format:
                    return dt.datetime.strptime(text, field.format).date().isoformat()
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                expected = field.format or "YYYY-MM-DD"
                raise ValueError(f"{_clip(text)!r} is not a date in the format {expected}") from None
        # boolean
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"{_clip(str(raw))!r} is not a yes/no value (true/false, yes/no, 1/0)")


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def row_digest(key: str, values: Mapping[str, Any]) -> str:
    """A digest of a converted row: equal digests mean nothing the source said has changed."""
    payload = json.dumps([key, values], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()
