"""The service-pack file formats, as pydantic models: validation on load and the published JSON Schema."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from govreach.rules.model import FIELD_TYPES

LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]
Texts = dict[LanguageCode, Annotated[str, StringConstraints(min_length=1)]]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
FieldType = Literal[
    "boolean", "integer", "number", "text", "date", "list[text]", "list[integer]", "list[number]"
]
assert set(FieldType.__args__) == set(FIELD_TYPES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class LegalReference(_Strict):
    """A law, decree or circular the service rests on."""

    reference: str = Field(description="Citation as the law is cited, e.g. 'Decreto-Lei 138-A/2010, art. 2'.")
    title: Texts | None = None
    url: str | None = None
    in_force_from: dt.date | None = Field(None, alias="from")


RollbackPolicy = Literal["keep_until_review", "end_at_next_cycle"]


class Valuation(_Strict):
    """The estimated value of one positive decision, read from a dated parameter that cites its source."""

    annual_value_eur: Identifier = Field(description="A number parameter: EUR a year per unit granted.")


class ServiceFile(_Strict):
    """``service.yaml``: what the service is, whom it decides on, and on what legal basis."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")] = Field(
        description="Semantic version of the pack: MAJOR.MINOR.PATCH."
    )
    kind: Literal["application", "proactive", "outreach", "programme"]
    unit: Literal["household", "person"] = Field(description="What one decision is about.")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    languages: list[LanguageCode] = Field(min_length=1, description="Every text must exist in each of these.")
    title: Texts
    summary: Texts | None = None
    owner: str = Field(description="The agency that runs the service.")
    decision: Identifier = Field(
        description="The decision in rules.yaml that answers 'is this unit entitled?'."
    )
    legal_basis: list[LegalReference] = Field(min_length=1)
    area_levels: list[str] | None = Field(None, description="Names of the country's area levels, top first.")
    on_rollback: RollbackPolicy = Field(
        "keep_until_review",
        description="What the next cycle does with entitlements granted under this version once it is "
        "rolled back: keep them until their next review, or end them at the next cycle.",
    )
    valuation: dict[Identifier, Valuation] = Field(
        default_factory=dict,
        description="What one positive decision is worth, by decision, for the cost of a rule change.",
    )


class VersionFile(_Strict):
    """``versions/<version>/version.yaml``: one version of a pack kept beside the current files.

    The folder overlays the pack: its ``parameters.yaml`` replaces the named parameters whole, its
    ``rules.yaml`` (if any) replaces the rules, its ``tests/`` replace the pack's tests.
    """

    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")]
    summary: Texts = Field(description="What this version says, for the people who review and approve it.")
    reference: str | None = Field(None, description="The law or decision this version follows.")
    on_rollback: RollbackPolicy | None = Field(None, description="Overrides service.yaml's on_rollback.")


class ParameterEntry(_Strict):
    valid_from: dt.date = Field(alias="from")
    value: Any
    reference: str | None = None
    note: str | None = None


class ParameterSpec(_Strict):
    """A policy parameter whose value changes over time, each value citing its law."""

    description: Texts
    type: FieldType | None = Field(None, description="Inferred from the values when left out.")
    unit: str | None = None
    reference: str | None = None
    url: str | None = None
    values: list[ParameterEntry] | dict[dt.date, Any] = Field(
        description="Either a list of {from, value, reference} or a mapping date: value."
    )


class InputField(_Strict):
    type: FieldType
    description: Texts | None = None
    unit: str | None = None
    values: list[str] | None = Field(None, description="For text facts: the closed list of allowed values.")


class Inputs(_Strict):
    """The facts the rules may read, with their types: of the unit, and of each member."""

    unit: dict[FieldName, InputField | FieldType]
    members: dict[Identifier, InputField | FieldType] = Field(default_factory=dict)


class Definition(_Strict):
    expr: str
    description: Texts | None = None


class CriterionSpec(_Strict):
    """A leaf (``when``) or a group (``all`` / ``any``) of the decision tree."""

    id: Identifier
    when: str | None = None
    all: list[CriterionSpec] | None = None
    any: list[CriterionSpec] | None = None
    title: Texts | None = None
    reference: str | None = None
    url: str | None = None
    because: Texts | None = None
    because_not: Texts | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> CriterionSpec:
        shapes = [s for s in ("when", "all", "any") if getattr(self, s) is not None]
        if len(shapes) != 1:
            raise ValueError(
                "a criterion has exactly one of 'when' (a condition), 'all' or 'any' (a group); "
                f"this one has {', '.join(shapes) or 'none'}"
            )
        return self


class DecisionSpec(_Strict):
    title: Texts | None = None
    all: list[CriterionSpec] | None = None
    any: list[CriterionSpec] | None = None
    because: Texts | None = None
    because_not: Texts | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> DecisionSpec:
        if (self.all is None) == (self.any is None):
            raise ValueError("a decision has exactly one of 'all' or 'any'")
        return self


class RulesFile(_Strict):
    """``rules.yaml``: inputs, definitions, decisions and outputs."""

    inputs: Inputs
    definitions: dict[Identifier, Definition | str] = Field(default_factory=dict)
    decisions: dict[Identifier, DecisionSpec] = Field(min_length=1)
    outputs: dict[Identifier, Definition | str] = Field(default_factory=dict)


Outcome = bool | Literal["unknown"] | None


class Expectation(_Strict):
    outcome: Outcome = Field(None, description="The main decision: true, false or unknown.")
    decisions: dict[Identifier, Outcome] = Field(default_factory=dict)
    criteria: dict[Identifier, Outcome] = Field(default_factory=dict)
    outputs: dict[Identifier, Any] = Field(default_factory=dict)
    explanation_contains: list[str] = Field(default_factory=list)


class TestCase(_Strict):
    name: str
    on: dt.date
    language: LanguageCode = "en"
    note: str | None = None
    unit: dict[str, Any]
    expect: Expectation


class TestsFile(_Strict):
    """``tests/*.yaml``: cases a policy officer can read: input, date, expected outcome and reasons."""

    description: str | None = None
    cases: list[TestCase] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of every pack file, one entry per file."""
    # The forms, workflow and messages formats import this module; import them here, not at the top.
    from pydantic import TypeAdapter

    from govreach.packs.forms import forms_json_schema
    from govreach.packs.messages import file_schema as messages_json_schema
    from govreach.packs.outreach import outreach_json_schema
    from govreach.packs.programme import programme_json_schema
    from govreach.packs.workflow import workflow_json_schema

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "GovReach service pack",
        "files": {
            "service.yaml": ServiceFile.model_json_schema(by_alias=True),
            "versions/<version>/version.yaml": VersionFile.model_json_schema(by_alias=True),
            "parameters.yaml": TypeAdapter(dict[Identifier, ParameterSpec]).json_schema(by_alias=True),
            "rules.yaml": RulesFile.model_json_schema(by_alias=True),
            "tests/*.yaml": TestsFile.model_json_schema(by_alias=True),
            "forms/*.yaml": forms_json_schema(),
            "workflow.yaml": workflow_json_schema(),
            "messages/<lang>.yaml": messages_json_schema(),
            "outreach.yaml": outreach_json_schema(),
            "programme.yaml": programme_json_schema(),
        },
    }
