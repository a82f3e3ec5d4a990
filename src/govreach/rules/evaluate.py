"""Single evaluation: one unit in, a decision out with its full trace.

Semantics are SQL's three-valued logic, so that the batch compilation gives the same answers:
a missing fact is *unknown* (None); arithmetic and comparisons with an unknown are unknown;
``and``/``or`` follow Kleene logic; aggregates skip members whose condition is not known to hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from govreach.rules import ast
from govreach.rules.errors import RuleError
from govreach.rules.inputs import Values, coerce_unit
from govreach.rules.model import Criterion, Node, RuleSet
from govreach.rules.text import fill, to_text
from govreach.rules.trace import CriterionResult, DecisionResult, ParameterUsed

SUM_SCALE = Decimal("0.000001")  # sums of numbers are exact to 6 decimal places, in any order


def kleene_and(values: list[object]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def kleene_or(values: list[object]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years between two dates (a birthday on 29 February counts from 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def exact_sum(values: list[float]) -> float:
    """The sum of numbers as DECIMAL(38,6) gives it in SQL: independent of order, then one rounding."""
    return float(sum((Decimal(repr(v)).quantize(SUM_SCALE) for v in values), Decimal(0)))


class Evaluator:
    """Evaluates expressions of one rule set for one unit on one date, memoising definitions."""

    def __init__(self, ruleset: RuleSet, unit: Values, members: list[Values], on: dt.date) -> None:
        self.rs = ruleset
        self.unit = unit
        self.members = members
        self.on = on
        self.params: dict[str, object] = {}
        self.params_used: dict[str, ParameterUsed] = {}
        self.definitions: dict[str, object] = {}
        self.missing: dict[str, None] = {}

    def param(self, name: str) -> object:
        if name not in self.params:
            p = self.rs.parameters[name]
            in_force = p.value_on(self.on)
            if in_force is None:
                first = p.values[0].valid_from.isoformat() if p.values else "never"
                raise RuleError(
                    f"parameter '{name}' has no value in force on {self.on.isoformat()} "
                    f"(first value from {first})",
                    fix="decide on a later date or add the earlier value to parameters.yaml",
                )
            self.params[name] = in_force.value
            self.params_used[name] = ParameterUsed(
                name,
                in_force.value,
                in_force.valid_from,
                p.unit,
                in_force.reference or p.reference,
                p.reference_url,
            )
        return self.params[name]

    def definition(self, name: str) -> object:
        if name not in self.definitions:
            self.definitions[name] = self.eval(self.rs.definitions[name].expr, None)
        return self.definitions[name]

    def name(self, name: str, member: Values | None) -> object:
        if member is not None and name in self.rs.inputs.member_fields:
            value = member[name]
            if value is None:
                self.missing.setdefault(f"members.{name}", None)
            return value
        if name in self.rs.definitions:
            return self.definition(name)
        if name in self.rs.inputs.unit_fields:
            value = self.unit[name]
            if value is None:
                self.missing.setdefault(name, None)
            return value
        if name in self.rs.parameters:
            return self.param(name)
        if name == "decision_date":
            return self.on
        raise RuleError(f"unknown name '{name}'")  # the checker makes this unreachable

    def eval(self, e: ast.Expr, member: Values | None) -> Any:
        if isinstance(e, ast.Literal):
            return e.value
        if isinstance(e, ast.ListLiteral):
            return [self.eval(i, member) for i in e.items]
        if isinstance(e, ast.Name):
            return self.name(e.name, member)
        if isinstance(e, ast.Unary):
            v = self.eval(e.operand, member)
            if v is None:
                return None
            return (not v) if e.op == "not" else -v
        if isinstance(e, ast.Binary):
            a, b = self.eval(e.left, member), self.eval(e.right, member)
            if a is None or b is None:
                return None
            if e.op == "+":
                return a + b
            if e.op == "-":
                return a - b
            if e.op == "*":
                return a * b
            return None if b == 0 else float(a) / float(b)
        if isinstance(e, ast.Compare):
            return self.compare(e, member)
        if isinstance(e, ast.BoolOp):
            values = [self.eval(o, member) for o in e.operands]
            return kleene_and(values) if e.op == "and" else kleene_or(values)
        if isinstance(e, ast.IfElse):
            c = self.eval(e.condition, member)
            if c is None:
                return None
            return self.eval(e.then if c else e.otherwise, member)
        if isinstance(e, ast.Aggregate):
            return self.aggregate(e)
        if isinstance(e, ast.Call):
            return self.call(e, member)
        raise RuleError(f"cannot evaluate {type(e).__name__}")

    def compare(self, e: ast.Compare, member: Values | None) -> bool | None:
        a, b = self.eval(e.left, member), self.eval(e.right, member)
        if a is None or b is None:
            return None
        op = e.op
        if op == "in":
            return bool(a in b)
        if op == "not in":
            return bool(a not in b)
        if op == "==":
            return bool(a == b)
        if op == "!=":
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        return bool(a >= b)

    def aggregate(self, e: ast.Aggregate) -> object:
        chosen = self.members
        if e.where is not None:
            flags = [self.eval(e.where, m) for m in self.members]
        if e.func == "count":
            if e.where is None:
                return len(chosen)
            return sum(1 for f in flags if f is True)
        if e.func in ("any", "all"):
            assert e.where is not None
            return kleene_or(flags) if e.func == "any" else kleene_and(flags)
        if e.where is not None:
            chosen = [m for m, f in zip(self.members, flags, strict=True) if f is True]
        assert e.value is not None
        values = [v for v in (self.eval(e.value, m) for m in chosen) if v is not None]
        if e.func == "sum":
            if any(isinstance(v, float) for v in values):
                return exact_sum([float(v) for v in values])
            return sum(values)
        if not values:
            return None
        return min(values) if e.func == "min" else max(values)

    def call(self, e: ast.Call, member: Values | None) -> object:
        args = [self.eval(a, member) for a in e.args]
        f = e.func
        if f == "is_known":
            return args[0] is not None
        if f == "is_missing":
            return args[0] is None
        if f == "coalesce":
            return args[0] if args[0] is not None else args[1]
        if f == "has_any":
            return None if args[0] is None else any(x in args[0] for x in args[1])
        if any(a is None for a in args):
            return None
        if f == "age":
            return age_on(args[0], args[1] if len(args) > 1 else self.on)
        if f == "years_between":
            return age_on(args[0], args[1])
        if f == "days_between":
            return (args[1] - args[0]).days
        if f == "add_days":
            return args[0] + dt.timedelta(days=args[1])
        if f == "min":
            return min(args)
        if f == "max":
            return max(args)
        if f == "abs":
            return abs(args[0])
        if f == "year":
            return args[0].year
        if f == "month":
            return args[0].month
        if f == "contains":
            return args[1] in args[0]
        raise RuleError(f"unknown function '{f}'")


_TracePlan = tuple[str, tuple[tuple[str, ast.Aggregate], ...], tuple[tuple[str, bool], ...]]

# What a criterion's trace reads depends only on its expression and its rule set, so it is worked out
# once per pair, not at every decision (rule sets live as long as their cached Pack). Keyed by identity,
# the value holds both objects so that an id is never reused while its entry exists.
_TRACE_PLANS: dict[tuple[int, int], tuple[RuleSet, ast.Expr, _TracePlan]] = {}


def _trace_plan(rs: RuleSet, expr: ast.Expr) -> _TracePlan:
    """The rule's text, its aggregates (with their text) and the names its trace shows, in trace order."""
    key = (id(rs), id(expr))
    entry = _TRACE_PLANS.get(key)
    if entry is not None and entry[0] is rs and entry[1] is expr:
        return entry[2]
    aggregates = tuple((to_text(n), n) for n in ast.walk(expr) if isinstance(n, ast.Aggregate))
    names: list[tuple[str, bool]] = []
    for name in ast.names_in(expr):
        if name in rs.inputs.member_fields and name not in rs.inputs.unit_fields:
            continue
        if name in rs.definitions or name in rs.inputs.unit_fields or name in rs.parameters:
            names.append((name, False))
        elif name == "decision_date":
            names.append((name, True))
    plan = (to_text(expr), aggregates, tuple(names))
    _TRACE_PLANS[key] = (rs, expr, plan)
    return plan


def _values_for(ev: Evaluator, expr: ast.Expr) -> dict[str, object]:
    """The facts, definitions, parameters and aggregates a criterion looked at, for its trace."""
    _text, aggregates, names = _trace_plan(ev.rs, expr)
    shown: dict[str, object] = {}
    for text, aggregate in aggregates:
        shown[text] = ev.eval(aggregate, None)
    for name, is_decision_date in names:
        shown[name] = ev.on if is_decision_date else ev.name(name, None)
    return shown


def _text_in(texts: Mapping[str, str], language: str) -> str | None:
    if language in texts:
        return texts[language]
    base = language.split("-")[0]
    for lang, text in texts.items():
        if lang.split("-")[0] == base:
            return text
    return texts.get("en")


def evaluate_unit(
    ruleset: RuleSet, unit: Mapping[str, Any], *, on: dt.date, language: str = "en"
) -> DecisionResult:
    """Decide on one unit (JSON-like data, nested or dotted) on a date, with the full trace."""
    unit_values, members = coerce_unit(ruleset.inputs, unit)
    ev = Evaluator(ruleset, unit_values, members, on)
    results: list[CriterionResult] = []
    decisions: dict[str, bool | None] = {}

    def visit(decision_name: str, node: Node, depth: int) -> bool | None:
        index = len(results)
        results.append(None)  # type: ignore[arg-type]  # placeholder keeps depth-first order
        if isinstance(node, Criterion):
            outcome_raw = ev.eval(node.when, None)
            outcome: bool | None = None if outcome_raw is None else bool(outcome_raw)
            values = _values_for(ev, node.when)
            kind, rule = "criterion", _trace_plan(ruleset, node.when)[0]
        else:
            child_outcomes = [visit(decision_name, c, depth + 1) for c in node.children]
            outcome = (
                kleene_and(list(child_outcomes)) if node.mode == "all" else kleene_or(list(child_outcomes))
            )
            values, kind, rule = {}, node.mode, None
        # an undetermined group names the facts its undetermined criteria lack
        missing = {
            k: None
            for r in results[index + 1 :]
            if r.outcome is None
            for k, v in r.values.items()
            if v is None
        } or {k: None for k, v in values.items() if v is None}
        results[index] = CriterionResult(
            id=node.id,
            decision=decision_name,
            kind=kind,
            depth=depth,
            outcome=outcome,
            explanation=_explanation(ev, node, outcome, values, list(missing), language),
            rule=rule,
            values=values,
            reference=node.reference,
            reference_url=node.reference_url,
            title=_text_in(node.title, language),
        )
        return outcome

    for decision in ruleset.decisions.values():
        decisions[decision.name] = visit(decision.name, decision.root, 0)
    definitions = {name: ev.definition(name) for name in ruleset.definitions}
    outputs = {name: ev.eval(o.expr, None) for name, o in ruleset.outputs.items()}
    return DecisionResult(
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        decided_on=on,
        language=language,
        main=ruleset.main,
        decisions=decisions,
        criteria=results,
        definitions=definitions,
        outputs=outputs,
        parameters=sorted(ev.params_used.values(), key=lambda p: p.name),
        missing=list(ev.missing),
    )


_DEFAULT = {
    True: {"en": "This condition is met.", "pt": "Esta condição é cumprida.", "bn": "এই শর্ত পূরণ হয়েছে।",
           "ko": "이 조건을 충족합니다."},
    False: {"en": "This condition is not met.", "pt": "Esta condição não é cumprida.",
            "bn": "এই শর্ত পূরণ হয়নি।", "ko": "이 조건을 충족하지 않습니다."},
    None: {"en": "We do not have the information to check this: {missing}.",
           "pt": "Não temos a informação para verificar isto: {missing}.",
           "bn": "এটি যাচাই করার তথ্য আমাদের কাছে নেই: {missing}।",
           "ko": "이를 확인할 정보가 없습니다: {missing}."},
}  # fmt: skip


_TEMPLATE_NAMES: dict[tuple[int, str], tuple[RuleSet, tuple[str, ...]]] = {}


def _names_in_template(rs: RuleSet, template: str) -> tuple[str, ...]:
    """The definitions, unit facts and parameters ``template`` fills in, worked out once per template."""
    entry = _TEMPLATE_NAMES.get((id(rs), template))
    if entry is not None and entry[0] is rs:
        return entry[1]
    every = list(rs.definitions) + list(rs.inputs.unit_fields) + list(rs.parameters)
    names = tuple(name for name in every if "{" + name + "}" in template)
    _TEMPLATE_NAMES[(id(rs), template)] = (rs, names)
    return names


def _explanation(
    ev: Evaluator,
    node: Node,
    outcome: bool | None,
    values: dict[str, object],
    unknown: list[str],
    language: str,
) -> str:
    texts = node.because if outcome else node.because_not if outcome is False else {}
    template = _text_in(texts, language) if texts else None
    if template is None:
        template = _text_in(_DEFAULT[outcome], language) or ""
    fill_values: dict[str, object] = dict(values)
    for name in _names_in_template(ev.rs, template):
        fill_values[name] = ev.name(name, None)
    fill_values["missing"] = ", ".join(unknown) if unknown else "?"
    text = fill(template, fill_values)
    return text.replace("{missing}", fill_values["missing"])  # type: ignore[arg-type]
