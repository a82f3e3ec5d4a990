"""A pack described for people and clients: criteria, parameters in force, inputs, unit JSON Schema.

Plain data built from a loaded Pack, shared by the catalogue pages and the API so both say the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from govreach.packs.loader import Pack, text_in
from govreach.rules.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    TEXT,
    FieldSpec,
    Group,
    InputSchema,
    element_type,
    is_list,
)


@dataclass(frozen=True)
class CriterionInfo:
    """One node of a decision tree as the public reads it (no outcome: nothing is decided here)."""

    id: str
    kind: str  # criterion | all | any
    depth: int
    title: str
    rule: str | None
    reference: str | None
    reference_url: str | None
    children: tuple[CriterionInfo, ...] = ()


@dataclass(frozen=True)
class DecisionInfo:
    id: str
    title: str
    is_main: bool
    root: CriterionInfo

    def flat(self) -> list[CriterionInfo]:
        """Every node depth-first, the root group included."""
        out: list[CriterionInfo] = []

        def visit(node: CriterionInfo) -> None:
            out.append(node)
            for child in node.children:
                visit(child)

        visit(self.root)
        return out


@dataclass(frozen=True)
class ParameterInfo:
    """A parameter with the value in force on a date (None before its first value) and its law."""

    name: str
    description: str
    unit: str | None
    value: object
    valid_from: dt.date | None
    reference: str | None
    reference_url: str | None

    @property
    def is_in_force(self) -> bool:
        return self.valid_from is not None


@dataclass(frozen=True)
class FieldInfo:
    """One fact a client must send: its name (dotted), type, meaning, unit and allowed values."""

    name: str
    type: str
    description: str
    unit: str | None
    allowed: tuple[str, ...] | None


def decisions_of(pack: Pack, language: str) -> list[DecisionInfo]:
    """The pack's decisions, main one first, each with its tree of criteria titled in ``language``."""

    def info(node: Any, depth: int) -> CriterionInfo:
        is_group = isinstance(node, Group)
        return CriterionInfo(
            id=node.id,
            kind=node.mode if is_group else "criterion",
            depth=depth,
            title=text_in(node.title, language) or node.id.replace("_", " "),
            rule=None if is_group else node.text,
            reference=node.reference,
            reference_url=node.reference_url,
            children=tuple(info(c, depth + 1) for c in node.children) if is_group else (),
        )

    rs = pack.ruleset
    out = [
        DecisionInfo(d.name, text_in(d.title, language) or d.name, d.name == rs.main, info(d.root, 0))
        for d in rs.decisions.values()
    ]
    return sorted(out, key=lambda d: not d.is_main)


def parameters_on(pack: Pack, on: dt.date, language: str) -> list[ParameterInfo]:
    """Every parameter with the value in force on ``on`` and the legal reference that set it."""
    out: list[ParameterInfo] = []
    for p in pack.ruleset.parameters.values():
        current = p.value_on(on)
        out.append(
            ParameterInfo(
                name=p.name,
                description=text_in(p.description, language),
                unit=p.unit,
                value=current.value if current else None,
                valid_from=current.valid_from if current else None,
                reference=(current.reference if current else None) or p.reference,
                reference_url=p.reference_url,
            )
        )
    return out


def _field(spec: FieldSpec, language: str) -> FieldInfo:
    return FieldInfo(spec.name, spec.type, text_in(spec.description, language), spec.unit, spec.allowed)


def inputs_of(pack: Pack, language: str) -> tuple[list[FieldInfo], list[FieldInfo]]:
    """The facts the rules read: of the unit, and of each member (empty for a person-level service)."""
    inputs = pack.ruleset.inputs
    return (
        [_field(s, language) for s in inputs.unit_fields.values()],
        [_field(s, language) for s in inputs.member_fields.values()],
    )


def _type_schema(type_: str, allowed: tuple[str, ...] | None) -> dict[str, Any]:
    if is_list(type_):
        return {"type": "array", "items": _type_schema(element_type(type_), allowed)}
    schema: dict[str, Any] = {
        BOOLEAN: {"type": "boolean"},
        INTEGER: {"type": "integer"},
        NUMBER: {"type": "number"},
        DATE: {"type": "string", "format": "date"},
        TEXT: {"type": "string"},
    }.get(type_, {})
    if type_ == TEXT and allowed:
        schema = {**schema, "enum": list(allowed)}
    return schema


def _record_schema(fields: dict[str, FieldSpec], language: str) -> dict[str, Any]:
    root: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
    for spec in fields.values():
        node = root
        *parents, leaf = spec.name.split(".")
        for part in parents:
            node = node["properties"].setdefault(
                part, {"type": "object", "properties": {}, "additionalProperties": False}
            )
        prop = {**_type_schema(spec.type, spec.allowed)}
        # Every fact may be unknown: the decision then says which facts it missed.
        prop = {"anyOf": [prop, {"type": "null"}]}
        description = text_in(spec.description, language)
        if description:
            prop["description"] = description + (f" ({spec.unit})" if spec.unit else "")
        node["properties"][leaf] = prop
    return root


MEMBERS_DESCRIPTION = {"en": "The household's members", "pt": "Os membros do agregado"}


def unit_json_schema(inputs: InputSchema, language: str = "en") -> dict[str, Any]:
    """A JSON Schema (2020-12) for the ``unit`` a client sends: nested objects, members as an array."""
    schema = _record_schema(inputs.unit_fields, language)
    if inputs.has_members:
        schema["properties"]["members"] = {
            "type": "array",
            "description": text_in(
                {"en": "The household's members", "pt": "Os membros do agregado"}, language
            ),
            "items": _record_schema(inputs.member_fields, language),
        }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"A {inputs.unit_kind}"
    return schema
