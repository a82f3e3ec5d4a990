"""Catalogue and eligibility API: what services exist, what facts they need, and a decision with its why.

The eligibility endpoint decides only: it stores nothing and never logs the unit's facts, which are
personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder

from govreach.api.errors import Problem, ProblemsError, ProblemsOut
from govreach.catalogue import describe
from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import active_pack, service_pack_active, service_pack_list
from govreach.packs.loader import text_in
from govreach.rules.errors import RuleError
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.inputs import UnitInputError
from govreach.rules.trace import DecisionResult, jsonable

router = Router(tags=["services"])

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


# --- catalogue ----------------------------------------------------------------------------------


class LanguageQuery(Schema):
    language: str = Field(
        "en", pattern=LANGUAGE_PATTERN, description="Language of the texts (English when missing)."
    )


class DetailQuery(LanguageQuery):
    on: dt.date | None = Field(None, description="Date for the parameters in force; today when left out.")


class LegalReferenceOut(Schema):
    reference: str = Field(description="Citation as the law is cited.")
    title: str | None = None
    url: str | None = None
    in_force_from: dt.date | None = None


class ServiceOut(Schema):
    id: str = Field(description="The pack id, used in every URL of the service.")
    version: str
    kind: Literal["application", "proactive", "outreach", "programme"]
    unit: Literal["household", "person"] = Field(description="What one decision is about.")
    country: str = Field(description="ISO 3166-1 alpha-2.")
    owner: str
    languages: list[str]
    language: str = Field(description="The language of title and summary.")
    title: str
    summary: str
    titles: dict[str, str]
    summaries: dict[str, str]
    legal_basis: list[LegalReferenceOut]
    url: str = Field(description="This service in the API.")
    eligibility_url: str


class CriterionInfoOut(Schema):
    id: str
    kind: Literal["criterion", "all", "any"]
    depth: int = Field(description="0 for the decision's root group.")
    title: str
    rule: str | None = Field(description="The condition in the rules language (criteria only).")
    reference: str | None
    reference_url: str | None


class DecisionInfoOut(Schema):
    id: str
    title: str
    is_main: bool = Field(description="The decision that answers 'is this unit entitled?'.")
    criteria: list[CriterionInfoOut] = Field(description="The tree depth-first; depth gives the nesting.")


class ParameterInfoOut(Schema):
    name: str
    description: str
    unit: str | None
    value: Any = Field(description="The value in force on the date asked; null before the first value.")
    valid_from: dt.date | None
    reference: str | None
    reference_url: str | None


class FieldOut(Schema):
    name: str = Field(
        description="Dotted name; send it nested ({'contract': {'power_kva': 3.45}}) or dotted."
    )
    type: str = Field(description="boolean, integer, number, text, date, or list[...] of these.")
    description: str
    unit: str | None
    allowed: list[str] | None = Field(description="For text facts: the only values accepted.")


class InputsOut(Schema):
    unit_kind: Literal["household", "person"]
    unit: list[FieldOut]
    members: list[FieldOut] = Field(description="Facts of each member, sent as unit.members[].")
    unit_schema: dict[str, Any] = Field(description="JSON Schema of the 'unit' object to send.")


class ServiceDetailOut(ServiceOut):
    decision: str = Field(description="Id of the main decision.")
    decisions: list[DecisionInfoOut]
    parameters_on: dt.date
    parameters: list[ParameterInfoOut]
    inputs: InputsOut


def _service_out(row: ServicePack, language: str, request: HttpRequest) -> ServiceOut:
    base = request.build_absolute_uri(reverse("api:service_detail", kwargs={"pack_id": row.pack_id}))
    return ServiceOut(
        id=row.pack_id,
        version=row.version,
        kind=row.kind,  # type: ignore[arg-type]
        unit=row.unit,  # type: ignore[arg-type]
        country=row.country,
        owner=row.owner,
        languages=row.languages,
        language=language,
        title=text_in(row.titles, language),
        summary=text_in(row.summaries, language),
        titles=row.titles,
        summaries=row.summaries,
        legal_basis=[
            LegalReferenceOut(
                reference=ref["reference"],
                title=text_in(ref.get("title"), language) or None,
                url=ref.get("url"),
                in_force_from=ref.get("in_force_from"),
            )
            for ref in row.legal_basis
        ],
        url=base,
        eligibility_url=request.build_absolute_uri(
            reverse("api:service_eligibility", kwargs={"pack_id": row.pack_id})
        ),
    )


@router.get("/services", response=list[ServiceOut], summary="The services on offer", url_name="service_list")
def service_list(request: HttpRequest, query: Query[LanguageQuery]) -> list[ServiceOut]:
    """Every active service pack, titles and summaries in ``language`` (English when missing)."""
    return [_service_out(row, query.language, request) for row in service_pack_list()]


@router.get(
    "/services/{pack_id}",
    response={200: ServiceDetailOut, 404: ProblemsOut, 503: ProblemsOut},
    summary="One service: its criteria, parameters in force, and the facts to send",
    url_name="service_detail",
)
def service_detail(
    request: HttpRequest,
    pack_id: str,
    query: Query[DetailQuery],
) -> ServiceDetailOut:
    """The service with its decision trees, its parameters in force on ``on`` and its input schema."""
    row, pack = service_pack_active(pack_id)
    language = query.language
    on = query.on or timezone.localdate()
    unit_fields, member_fields = describe.inputs_of(pack, language)
    return ServiceDetailOut(
        **_service_out(row, language, request).model_dump(),
        decision=pack.ruleset.main,
        decisions=[
            DecisionInfoOut(
                id=d.id,
                title=d.title,
                is_main=d.is_main,
                criteria=[CriterionInfoOut(**_criterion_fields(c)) for c in d.flat()],
            )
            for d in describe.decisions_of(pack, language)
        ],
        parameters_on=on,
        parameters=[ParameterInfoOut(**vars(p)) for p in describe.parameters_on(pack, on, language)],
        inputs=InputsOut(
            unit_kind=pack.ruleset.inputs.unit_kind,
            unit=[FieldOut(**_field_fields(f)) for f in unit_fields],
            members=[FieldOut(**_field_fields(f)) for f in member_fields],
            unit_schema=describe.unit_json_schema(pack.ruleset.inputs, language),
        ),
    )


def _criterion_fields(c: describe.CriterionInfo) -> dict[str, Any]:
    return {k: v for k, v in vars(c).items() if k != "children"}


def _field_fields(f: describe.FieldInfo) -> dict[str, Any]:
    return {**vars(f), "allowed": list(f.allowed) if f.allowed is not None else None}


# --- eligibility --------------------------------------------------------------------------------


class EligibilityIn(Schema):
    unit: dict[str, Any] = Field(
        description="The unit's facts, nested or dotted, with 'members' as a list for households. "
        "See the service's inputs.unit_schema.",
        examples=[
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
        ],
    )
    on: dt.date | None = Field(None, description="Decision date (YYYY-MM-DD); today when left out.")
    language: str = Field("en", pattern=LANGUAGE_PATTERN, description="Language of the explanations.")
    area: str | None = Field(
        None,
        max_length=64,
        description="Area code of the unit: a pilot running there on that date decides with its version.",
    )


class CriterionOut(Schema):
    id: str
    decision: str = Field(description="The decision this criterion belongs to.")
    kind: Literal["criterion", "all", "any"]
    depth: int
    outcome: bool | None = Field(description="null: not enough information to tell.")
    explanation: str = Field(description="Why, in plain language, with the values filled in.")
    rule: str | None
    values: dict[str, Any] = Field(description="The facts, definitions and parameters the criterion read.")
    reference: str | None
    reference_url: str | None
    title: str | None


class ParameterUsedOut(Schema):
    name: str
    value: Any
    valid_from: dt.date
    unit: str | None
    reference: str | None
    reference_url: str | None


class EligibilityOut(Schema):
    pack_id: str
    pack_version: str
    decided_on: dt.date
    language: str
    decision: str = Field(description="Id of the main decision, whose result is 'outcome'.")
    outcome: bool | None = Field(description="true: entitled; false: not; null: information missing.")
    decisions: dict[str, bool | None]
    criteria: list[CriterionOut]
    definitions: dict[str, Any] = Field(description="Intermediate values, such as this household's limit.")
    outputs: dict[str, Any]
    parameters: list[ParameterUsedOut] = Field(description="Parameter values in force, with their law.")
    missing: list[str] = Field(description="Facts that were unknown and mattered.")
    explanation: str = Field(description="The whole decision in plain text.")


@router.post(
    "/services/{pack_id}/eligibility",
    response={200: EligibilityOut, 404: ProblemsOut, 422: ProblemsOut, 503: ProblemsOut},
    summary="Decide whether a unit is eligible, with the explanation",
    url_name="service_eligibility",
)
def service_eligibility(request: HttpRequest, pack_id: str, payload: EligibilityIn) -> HttpResponse:
    """Decide on one unit with the active pack version; nothing is stored and the facts are not logged."""
    on = payload.on or timezone.localdate()
    pack = active_pack(pack_id, area_code=payload.area, on=on)
    try:
        result = evaluate_unit(pack.ruleset, payload.unit, on=on, language=payload.language)
    except UnitInputError as exc:
        problems = [Problem(field=f"unit.{p.field}", message=p.message) for p in exc.problems]
        raise ProblemsError(422, "The unit's facts do not fit this service's inputs.", problems) from None
    except RuleError as exc:
        message = exc.message + (f" ({exc.fix})" if exc.fix else "")
        raise ProblemsError(422, message, [Problem(field="on", message=message)]) from None
    # The body is written once, field for field as EligibilityOut documents it: building the schema's
    # objects and having django-ninja validate them again took most of each call's time.
    body = json.dumps(eligibility_body(result), cls=NinjaJSONEncoder)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def eligibility_body(result: DecisionResult) -> dict[str, Any]:
    """The JSON object of an EligibilityOut for ``result``: the same keys in the same order, same values."""
    return {
        "pack_id": result.ruleset_id,
        "pack_version": result.ruleset_version,
        "decided_on": result.decided_on,
        "language": result.language,
        "decision": result.main,
        "outcome": result.outcome,
        "decisions": dict(result.decisions),
        "criteria": [
            {
                "id": c.id,
                "decision": c.decision,
                "kind": c.kind,
                "depth": c.depth,
                "outcome": c.outcome,
                "explanation": c.explanation,
                "rule": c.rule,
                "values": jsonable(c.values),
                "reference": c.reference,
                "reference_url": c.reference_url,
                "title": c.title,
            }
            for c in result.criteria
        ],
        "definitions": jsonable(result.definitions),
        "outputs": jsonable(result.outputs),
        "parameters": [
            {
                "name": p.name,
                "value": jsonable(p.value),
                "valid_from": p.valid_from,
                "unit": p.unit,
                "reference": p.reference,
                "reference_url": p.reference_url,
            }
            for p in result.parameters
        ],
        "missing": list(result.missing),
        "explanation": result.explain(),
    }
