"""Run a pack's test cases (tests/*.yaml): the policy officer's check that the rules say what the law does."""

from __future__ import annotations

from dataclasses import dataclass, field

from govreach.packs.loader import Pack
from govreach.packs.schema import Outcome, TestCase
from govreach.rules.errors import RuleError
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.inputs import UnitInputError
from govreach.rules.text import format_value


@dataclass(frozen=True)
class CaseResult:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _norm(outcome: Outcome) -> bool | None:
    return None if outcome in ("unknown", None) else bool(outcome)


def _word(value: bool | None) -> str:
    return {True: "true", False: "false", None: "unknown"}[value]


def _same(expected: object, actual: object) -> bool:
    if (
        isinstance(expected, int | float)
        and not isinstance(expected, bool)
        and isinstance(actual, int | float)
    ):
        return abs(float(expected) - float(actual)) <= 1e-9 * max(1.0, abs(float(expected)))
    return expected == actual


def run_case(pack: Pack, file: str, case: TestCase) -> CaseResult:
    """Decide the case's unit on its date and compare every expectation; list each mismatch."""
    failures: list[str] = []
    try:
        result = evaluate_unit(pack.ruleset, case.unit, on=case.on, language=case.language)
    except (UnitInputError, RuleError) as exc:
        return CaseResult(file, case.name, [f"could not decide: {exc}"])
    expect = case.expect
    if "outcome" in expect.model_fields_set and _norm(expect.outcome) != result.outcome:
        failures.append(
            f"{pack.ruleset.main}: expected {_word(_norm(expect.outcome))}, got {_word(result.outcome)}"
        )
    for name, want in expect.decisions.items():
        got = result.decisions.get(name)
        if _norm(want) != got:
            failures.append(f"decision {name}: expected {_word(_norm(want))}, got {_word(got)}")
    by_id = {c.id: c for c in result.criteria}
    for cid, want in expect.criteria.items():
        got = by_id[cid].outcome
        if _norm(want) != got:
            failures.append(f"criterion {cid}: expected {_word(_norm(want))}, got {_word(got)}")
    for name, want in expect.outputs.items():
        got_value = result.outputs.get(name)
        if not _same(want, got_value):
            failures.append(f"output {name}: expected {format_value(want)}, got {format_value(got_value)}")
    text = result.explain()
    for fragment in expect.explanation_contains:
        if fragment not in text:
            failures.append(f"the explanation does not say {fragment!r}")
    return CaseResult(file, case.name, failures)


def run_pack_tests(pack: Pack) -> list[CaseResult]:
    return [run_case(pack, file, case) for file, cases in pack.tests.items() for case in cases]
