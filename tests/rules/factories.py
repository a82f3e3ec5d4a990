"""A small rule set built in code, independent of any pack, for engine tests."""

from __future__ import annotations

import datetime as dt

from govreach.rules.model import (
    Criterion,
    Decision,
    Definition,
    FieldSpec,
    Group,
    InputSchema,
    Output,
    Parameter,
    ParameterValue,
    RuleSet,
)
from govreach.rules.parser import parse_expression


def make_ruleset(
    when: dict[str, str],
    *,
    definitions: dict[str, str] | None = None,
    outputs: dict[str, str] | None = None,
    mode: str = "all",
) -> RuleSet:
    unit = {
        "income_eur": FieldSpec("income_eur", "number"),
        "head.birth_date": FieldSpec("head.birth_date", "date"),
        "lives_alone": FieldSpec("lives_alone", "boolean"),
        "region": FieldSpec("region", "text", allowed=("north", "south")),
        "rooms": FieldSpec("rooms", "integer"),
    }
    members = {
        "earnings_eur": FieldSpec("earnings_eur", "number"),
        "birth_date": FieldSpec("birth_date", "date"),
        "benefits": FieldSpec("benefits", "list[text]"),
    }
    params = {
        "limit_eur": Parameter(
            "limit_eur",
            "number",
            (
                ParameterValue(dt.date(2015, 1, 1), 4800.0, "Act 1/2015"),
                ParameterValue(dt.date(2016, 1, 1), 5808.0, "Act 2/2016"),
            ),
            unit="EUR",
        ),
        "qualifying": Parameter(
            "qualifying", "list[text]", (ParameterValue(dt.date(2015, 1, 1), ["csi", "rsi"]),)
        ),
        "min_age": Parameter("min_age", "integer", (ParameterValue(dt.date(2015, 1, 1), 75),)),
    }
    criteria = tuple(
        Criterion(cid, text, parse_expression(text), because={"en": f"{cid} holds"})
        for cid, text in when.items()
    )
    rs = RuleSet(
        id="test-pack",
        version="1.0.0",
        inputs=InputSchema("household", unit, members),
        parameters=params,
        definitions={n: Definition(n, t, parse_expression(t)) for n, t in (definitions or {}).items()},
        decisions={"eligible": Decision("eligible", Group("eligible", mode, criteria))},  # type: ignore[arg-type]
        outputs={n: Output(n, t, parse_expression(t)) for n, t in (outputs or {}).items()},
        main="eligible",
    )
    return rs
