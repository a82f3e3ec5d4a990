"""The decision and its explanation: every criterion's outcome, the values it used, the parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from govreach.rules.text import format_value


def jsonable(value: object) -> Any:
    """``value`` with dates as ISO strings and tuples as lists, as JSON and the API carry them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class ParameterUsed:
    """A parameter value in force on the decision date, with the law that set it."""

    name: str
    value: object
    valid_from: dt.date
    unit: str | None
    reference: str | None
    reference_url: str | None


@dataclass(frozen=True)
class CriterionResult:
    """One node of a decision tree: a leaf criterion or an all/any group, with its outcome."""

    id: str
    decision: str
    kind: str  # criterion | all | any
    depth: int
    outcome: bool | None  # None: not enough information
    explanation: str
    rule: str | None  # the condition in the rules language (leaves)
    values: dict[str, object] = field(default_factory=dict)
    reference: str | None = None
    reference_url: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class DecisionResult:
    """What a single evaluation returns: outcomes, full trace, and what they rest on."""

    ruleset_id: str
    ruleset_version: str
    decided_on: dt.date
    language: str
    main: str
    decisions: dict[str, bool | None]
    criteria: list[CriterionResult]
    definitions: dict[str, object]
    outputs: dict[str, object]
    parameters: list[ParameterUsed]
    missing: list[str]  # input facts that were unknown and mattered

    @property
    def outcome(self) -> bool | None:
        return self.decisions[self.main]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome
        result: dict[str, Any] = jsonable(data)
        return result

    def explain(self) -> str:
        """The decision in plain language: outcome, then each criterion with its reason."""
        word = {True: "YES", False: "NO", None: "UNDETERMINED (information missing)"}
        lines = [
            f"{self.ruleset_id} {self.ruleset_version}, decided on {self.decided_on.isoformat()}",
        ]
        for name, outcome in self.decisions.items():
            lines.append(f"{name}: {word[outcome]}")
        lines.append("")
        mark = {True: "[yes]", False: "[no] ", None: "[?]  "}
        for c in self.criteria:
            indent = "  " * c.depth
            label = c.title or c.id
            lines.append(f"{indent}{mark[c.outcome]} {label}: {c.explanation}")
            if c.values:
                shown = ", ".join(f"{k} = {format_value(v)}" for k, v in c.values.items())
                lines.append(f"{indent}       values: {shown}")
            if c.reference:
                lines.append(f"{indent}       law: {c.reference}")
        if self.outputs:
            lines.append("")
            for name, value in self.outputs.items():
                lines.append(f"{name}: {format_value(value)}")
        if self.parameters:
            lines.append("")
            lines.append("Parameters in force:")
            for p in self.parameters:
                unit = f" {p.unit}" if p.unit else ""
                law = f" ({p.reference})" if p.reference else ""
                lines.append(
                    f"  {p.name} = {format_value(p.value)}{unit} since {p.valid_from.isoformat()}{law}"
                )
        if self.missing:
            lines.append("")
            lines.append("Missing information: " + ", ".join(self.missing))
        return "\n".join(lines)
