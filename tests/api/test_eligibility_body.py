"""The eligibility answer written directly is byte for byte what the EligibilityOut schema wrote."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from ninja.responses import NinjaJSONEncoder

from govreach.catalogue.api import CriterionOut, EligibilityOut, ParameterUsedOut, eligibility_body
from govreach.packs.loader import Pack, load_pack
from govreach.rules.errors import RuleError
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.inputs import UnitInputError
from govreach.rules.trace import DecisionResult

PACKS_DIR = Path(settings.BASE_DIR) / "packs"


@cache
def _pack(name: str) -> Pack:
    return load_pack(PACKS_DIR / name)


def through_schema(result: DecisionResult) -> str:
    """The answer as the endpoint built it before: dicts, EligibilityOut, then django-ninja's dump."""
    data = result.to_dict()
    out = EligibilityOut(
        pack_id=result.ruleset_id,
        pack_version=result.ruleset_version,
        decided_on=result.decided_on,
        language=result.language,
        decision=result.main,
        outcome=result.outcome,
        decisions=result.decisions,
        criteria=[CriterionOut(**c) for c in data["criteria"]],
        definitions=data["definitions"],
        outputs=data["outputs"],
        parameters=[ParameterUsedOut(**p) for p in data["parameters"]],
        missing=result.missing,
        explanation=result.explain(),
    )
    return json.dumps(out.model_dump(), cls=NinjaJSONEncoder)


def written_directly(result: DecisionResult) -> str:
    return json.dumps(eligibility_body(result), cls=NinjaJSONEncoder)


CASES = [
    (name, case)
    for name in sorted(p.name for p in PACKS_DIR.iterdir() if (p / "service.yaml").exists())
    for cases in _pack(name).tests.values()
    for case in cases
]


@pytest.mark.parametrize(("pack_name", "case"), CASES, ids=[f"{n}: {c.name}"[:80] for n, c in CASES])
@pytest.mark.parametrize("language", ["en", "pt", "bn"])
def test_every_pack_test_case_is_answered_as_the_schema_answered(
    pack_name: str, case: Any, language: str
) -> None:
    result = evaluate_unit(_pack(pack_name).ruleset, case.unit, on=case.on, language=language)
    assert written_directly(result) == through_schema(result)


member = st.fixed_dictionaries(
    {
        "income_eur": st.one_of(st.just(0), st.floats(0, 50_000, allow_nan=False)),
        "benefits": st.lists(st.sampled_from(["csi", "rsi", "unemployment", "abono_familia"]), max_size=2),
    }
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    income_eur=st.one_of(st.none(), st.integers(0, 40_000), st.floats(0, 40_000, allow_nan=False)),
    power_kva=st.sampled_from([None, 1.15, 3.45, 6.9, 10.35]),
    members=st.one_of(st.none(), st.lists(member, max_size=4)),
    on=st.dates(dt.date(2011, 1, 1), dt.date(2030, 12, 31)),
    language=st.sampled_from(["en", "pt", "pt-BR"]),
)
def test_any_household_is_answered_as_the_schema_answered(
    income_eur: Any, power_kva: Any, members: Any, on: dt.date, language: str
) -> None:
    contract: dict[str, Any] = {"own_name": True, "domestic": True, "permanent_home": True, "voltage": "BTN"}
    if power_kva is not None:
        contract["power_kva"] = power_kva
    unit: dict[str, Any] = {"contract": contract}
    if income_eur is not None:
        unit["household"] = {"income_eur": income_eur}
    if members is not None:
        unit["members"] = members
    try:
        result = evaluate_unit(_pack("pt-social-energy-tariff").ruleset, unit, on=on, language=language)
    except (UnitInputError, RuleError):  # the API answers 422 with the problems: no body to compare
        return
    assert written_directly(result) == through_schema(result)
