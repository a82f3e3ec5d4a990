"""The rule set: inputs, dated parameters, definitions, decisions (trees of criteria) and outputs.

Built by the pack loader from YAML; checked once (:meth:`RuleSet.check`) so that every name and type
error surfaces when the pack loads. Everything here is plain, immutable data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from govreach.rules import ast

Lang = str
Texts = dict[Lang, str]

BOOLEAN = "boolean"
INTEGER = "integer"
NUMBER = "number"
TEXT = "text"
DATE = "date"
TEXT_LIST = "list[text]"
INTEGER_LIST = "list[integer]"
NUMBER_LIST = "list[number]"
FIELD_TYPES = (BOOLEAN, INTEGER, NUMBER, TEXT, DATE, TEXT_LIST, INTEGER_LIST, NUMBER_LIST)
NUMERIC = (INTEGER, NUMBER)


def element_type(list_type: str) -> str:
    """``list[text]`` -> ``text``."""
    return list_type[5:-1]


def is_list(type_: str) -> bool:
    return type_.startswith("list[")


@dataclass(frozen=True)
class FieldSpec:
    """One input fact of the unit or of a member, e.g. ``contract.power_kva: number``."""

    name: str
    type: str
    description: Texts = field(default_factory=dict)
    unit: str | None = None
    allowed: tuple[str, ...] | None = None  # for text fields: the closed list of values

    @property
    def column(self) -> str:
        """The column name in batch tables: dots become double underscores."""
        return self.name.replace(".", "__")


@dataclass(frozen=True)
class InputSchema:
    """What the rules may read: facts of the unit (a household or a person) and of each member."""

    unit_kind: Literal["household", "person"]
    unit_fields: dict[str, FieldSpec]
    member_fields: dict[str, FieldSpec] = field(default_factory=dict)

    @property
    def has_members(self) -> bool:
        return bool(self.member_fields)


@dataclass(frozen=True)
class ParameterValue:
    """A value in force from ``valid_from`` until the next value's date."""

    valid_from: dt.date
    value: object
    reference: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A dated policy parameter citing the law, e.g. the income limit in EUR."""

    name: str
    type: str
    values: tuple[ParameterValue, ...]  # sorted by valid_from
    description: Texts = field(default_factory=dict)
    unit: str | None = None
    reference: str | None = None
    reference_url: str | None = None

    def value_on(self, on: dt.date) -> ParameterValue | None:
        """The value in force on ``on``, or None before the first value."""
        current = None
        for value in self.values:
            if value.valid_from <= on:
                current = value
            else:
                break
        return current


@dataclass(frozen=True)
class Definition:
    """A named intermediate value, shown in every trace (``members_without_income``)."""

    name: str
    text: str
    expr: ast.Expr
    description: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Criterion:
    """A leaf condition with its legal reference and a plain-language reason per language."""

    id: str
    text: str
    when: ast.Expr
    reference: str | None = None
    reference_url: str | None = None
    title: Texts = field(default_factory=dict)
    because: Texts = field(default_factory=dict)
    because_not: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """All of / any of its children. A group may have its own id and reasons."""

    id: str
    mode: Literal["all", "any"]
    children: tuple[Criterion | Group, ...]
    reference: str | None = None
    reference_url: str | None = None
    title: Texts = field(default_factory=dict)
    because: Texts = field(default_factory=dict)
    because_not: Texts = field(default_factory=dict)


Node = Criterion | Group


@dataclass(frozen=True)
class Decision:
    """A yes/no outcome of the service (``eligible``, ``intensive_group``), as a tree of criteria."""

    name: str
    root: Group
    title: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class Output:
    """A non-boolean result (a priority score, a risk tier) computed for every unit."""

    name: str
    text: str
    expr: ast.Expr
    description: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    """Everything needed to decide on a unit. ``main`` names the decision that is the service's answer."""

    id: str
    version: str
    inputs: InputSchema
    parameters: dict[str, Parameter]
    definitions: dict[str, Definition]
    decisions: dict[str, Decision]
    outputs: dict[str, Output]
    main: str
    types: dict[str, str] = field(
        default_factory=dict, compare=False
    )  # definition/output -> type, by check()

    def criteria(self) -> list[tuple[Decision, Node, int]]:
        """Every node of every decision tree, depth-first, with its depth (root = 0)."""
        out: list[tuple[Decision, Node, int]] = []

        def visit(decision: Decision, node: Node, depth: int) -> None:
            out.append((decision, node, depth))
            if isinstance(node, Group):
                for child in node.children:
                    visit(decision, child, depth + 1)

        for decision in self.decisions.values():
            visit(decision, decision.root, 0)
        return out

    def check(self) -> list[tuple[tuple[str, ...], Exception]]:
        """Type-check every expression; return (where, error) pairs; fill in inferred types."""
        from govreach.rules.check import check_ruleset

        return check_ruleset(self)
