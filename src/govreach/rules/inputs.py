"""Turn a unit given as JSON-like data (nested or dotted) into typed values the rules can read."""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govreach.rules.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    TEXT,
    FieldSpec,
    InputSchema,
    element_type,
    is_list,
)

Values = dict[str, object]


@dataclass(frozen=True)
class InputProblem:
    """One wrong input fact: where (``members[1].birth_date``), what is wrong and how to fix it."""

    field: str
    message: str


class UnitInputError(ValueError):
    """The unit's data does not fit the pack's inputs; every problem is listed."""

    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"contract": {"power_kva": 3.45}}`` -> ``{"contract.power_kva": 3.45}`` (lists kept as values)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def coerce_value(spec: FieldSpec, raw: object) -> object:
    """Convert one raw value to the field's type; raise ValueError with a reader-friendly message."""
    if raw is None or raw == "":
        return None
    return _coerce(spec.type, raw, spec.allowed)


def _coerce(type_: str, raw: object, allowed: tuple[str, ...] | None = None) -> object:
    if is_list(type_):
        if not isinstance(raw, list | tuple):
            raise ValueError(f"expected a list of {element_type(type_)}")
        return [_coerce(element_type(type_), item, allowed) for item in raw]
    if type_ == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "yes", "1", "false", "no", "0"):
            return raw.lower() in ("true", "yes", "1")
        raise ValueError("expected true or false")
    if type_ == INTEGER:
        if isinstance(raw, bool):
            raise ValueError("expected a whole number")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
            return int(raw)
        raise ValueError("expected a whole number")
    if type_ == NUMBER:
        if isinstance(raw, bool):
            raise ValueError("expected a number")
        try:
            value = float(raw) if isinstance(raw, int | float | str) else math.nan
        except ValueError:
            raise ValueError("expected a number, such as 1234.56") from None
        if not math.isfinite(value):
            raise ValueError("expected a finite number")
        return value
    if type_ == DATE:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                raise ValueError("expected a date as YYYY-MM-DD") from None
        raise ValueError("expected a date as YYYY-MM-DD")
    if type_ == TEXT:
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            raise ValueError("expected text")
        text = str(raw)
        if allowed is not None and text not in allowed:
            raise ValueError(f"'{text}' is not one of: {', '.join(allowed)}")
        return text
    raise ValueError(f"unsupported type {type_}")


def _coerce_record(
    fields: Mapping[str, FieldSpec], data: Mapping[str, Any], where: str, problems: list[InputProblem]
) -> Values:
    flat = flatten(data)
    values: Values = {}
    for key in flat:
        if key not in fields and key != "members":
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(sorted(fields))}"
            problems.append(InputProblem(f"{where}{key}", "unknown fact" + hint))
    for name, spec in fields.items():
        try:
            values[name] = coerce_value(spec, flat.get(name))
        except ValueError as exc:
            problems.append(InputProblem(f"{where}{name}", str(exc)))
    return values


def coerce_unit(schema: InputSchema, data: Mapping[str, Any]) -> tuple[Values, list[Values]]:
    """Typed unit facts and typed members; raise UnitInputError listing every problem."""
    problems: list[InputProblem] = []
    unit = _coerce_record(schema.unit_fields, data, "", problems)
    members: list[Values] = []
    raw_members = data.get("members", [])
    if schema.has_members:
        if not isinstance(raw_members, list):
            problems.append(InputProblem("members", "expected a list of members"))
            raw_members = []
        for i, member in enumerate(raw_members):
            if not isinstance(member, Mapping):
                problems.append(InputProblem(f"members[{i}]", "expected an object with the member's facts"))
                continue
            members.append(_coerce_record(schema.member_fields, member, f"members[{i}].", problems))
    elif raw_members:
        problems.append(
            InputProblem("members", f"this service decides on a {schema.unit_kind}, without members")
        )
    if problems:
        raise UnitInputError(problems)
    return unit, members
