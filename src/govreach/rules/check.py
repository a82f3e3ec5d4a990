"""Name resolution and type checking of every expression of a rule set, when the pack loads."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from govreach.rules import ast
from govreach.rules.errors import RuleError, RuleNameError, RuleTypeError
from govreach.rules.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    NUMERIC,
    TEXT,
    Criterion,
    Group,
    RuleSet,
    element_type,
    is_list,
)

BUILTIN_NAMES = {"decision_date": DATE}

# name -> (min args, max args); the argument and result types are checked in _call
FUNCTIONS = {
    "age": (1, 2),
    "years_between": (2, 2),
    "days_between": (2, 2),
    "add_days": (2, 2),
    "min": (2, 10),
    "max": (2, 10),
    "abs": (1, 1),
    "year": (1, 1),
    "month": (1, 1),
    "is_known": (1, 1),
    "is_missing": (1, 1),
    "coalesce": (2, 2),
    "contains": (2, 2),
    "has_any": (2, 2),
}


@dataclass
class Scope:
    """What names mean where an expression stands: unit level, or inside an aggregate over members."""

    ruleset: RuleSet
    in_members: bool = False
    defined: frozenset[str] = frozenset()  # definitions usable here (those declared above)
    definitions_with_aggregates: frozenset[str] = frozenset()


def unify_numeric(a: str, b: str) -> str:
    return INTEGER if a == INTEGER and b == INTEGER else NUMBER


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    shown = ", ".join(sorted(known)[:25])
    return f"known names: {shown}" + (", ..." if len(known) > 25 else "")


def type_of(expr: ast.Expr, scope: Scope) -> str:
    """The type of ``expr`` in ``scope``; raise RuleNameError/RuleTypeError naming the place and fix."""
    if isinstance(expr, ast.Literal):
        v = expr.value
        if isinstance(v, bool):
            return BOOLEAN
        if isinstance(v, int):
            return INTEGER
        if isinstance(v, float):
            return NUMBER
        if isinstance(v, str):
            return TEXT
        return DATE
    if isinstance(expr, ast.ListLiteral):
        if not expr.items:
            raise RuleTypeError("an empty list", column=expr.column, fix="put at least one value in the list")
        types = {type_of(i, scope) for i in expr.items}
        if not all(isinstance(i, ast.Literal) for i in expr.items):
            raise RuleTypeError("a list may only hold literal values", column=expr.column)
        if types <= set(NUMERIC):
            return "list[number]" if NUMBER in types else "list[integer]"
        if len(types) != 1:
            raise RuleTypeError("a list mixes types", column=expr.column, fix="use values of one type")
        return f"list[{types.pop()}]"
    if isinstance(expr, ast.Name):
        return _name_type(expr, scope)
    if isinstance(expr, ast.Unary):
        t = type_of(expr.operand, scope)
        if expr.op == "not":
            _expect(t, (BOOLEAN,), expr.operand, "'not' applies to a condition")
            return BOOLEAN
        _expect(t, NUMERIC, expr.operand, "'-' applies to a number")
        return t
    if isinstance(expr, ast.Binary):
        lt, rt = type_of(expr.left, scope), type_of(expr.right, scope)
        for side, t in ((expr.left, lt), (expr.right, rt)):
            _expect(
                t, NUMERIC, side, f"'{expr.op}' works on numbers (for dates use add_days or days_between)"
            )
        return NUMBER if expr.op == "/" else unify_numeric(lt, rt)
    if isinstance(expr, ast.Compare):
        return _compare_type(expr, scope)
    if isinstance(expr, ast.BoolOp):
        for operand in expr.operands:
            _expect(type_of(operand, scope), (BOOLEAN,), operand, f"'{expr.op}' joins conditions")
        return BOOLEAN
    if isinstance(expr, ast.IfElse):
        _expect(type_of(expr.condition, scope), (BOOLEAN,), expr.condition, "'if' needs a condition")
        a, b = type_of(expr.then, scope), type_of(expr.otherwise, scope)
        if a in NUMERIC and b in NUMERIC:
            return unify_numeric(a, b)
        if a != b:
            raise RuleTypeError(
                f"the 'then' branch is {a} but the 'else' branch is {b}",
                column=expr.column,
                fix="give both branches the same type",
            )
        return a
    if isinstance(expr, ast.Aggregate):
        return _aggregate_type(expr, scope)
    if isinstance(expr, ast.Call):
        return _call_type(expr, scope)
    raise RuleTypeError(f"unknown construct {type(expr).__name__}", column=expr.column)


def _expect(actual: str, allowed: tuple[str, ...], expr: ast.Expr, why: str) -> None:
    if actual not in allowed:
        raise RuleTypeError(f"{why}, but this is {actual}", column=expr.column)


def _name_type(expr: ast.Name, scope: Scope) -> str:
    rs = scope.ruleset
    name = expr.name
    if scope.in_members and name in rs.inputs.member_fields:
        return rs.inputs.member_fields[name].type
    if name in rs.definitions:
        if name not in scope.defined:
            raise RuleNameError(
                f"'{name}' is defined later", column=expr.column, fix="move its definition above this use"
            )
        if scope.in_members and name in scope.definitions_with_aggregates:
            raise RuleTypeError(
                f"'{name}' aggregates over members and cannot be used inside another aggregate",
                column=expr.column,
            )
        return rs.types[name]
    if name in rs.inputs.unit_fields:
        return rs.inputs.unit_fields[name].type
    if name in rs.parameters:
        return rs.parameters[name].type
    if name in BUILTIN_NAMES:
        return BUILTIN_NAMES[name]
    if name in rs.inputs.member_fields:
        raise RuleNameError(
            f"'{name}' is a member's fact",
            column=expr.column,
            fix=f"use it inside an aggregate, e.g. any(members where {name} ...)",
        )
    known = [
        *rs.inputs.unit_fields,
        *rs.parameters,
        *scope.defined,
        *BUILTIN_NAMES,
        *(rs.inputs.member_fields if scope.in_members else ()),
    ]
    raise RuleNameError(f"unknown name '{name}'", column=expr.column, fix=_suggest(name, known))


def _compare_type(expr: ast.Compare, scope: Scope) -> str:
    lt, rt = type_of(expr.left, scope), type_of(expr.right, scope)
    if expr.op in ("in", "not in"):
        if not is_list(rt):
            raise RuleTypeError(
                f"'{expr.op}' needs a list on its right, but this is {rt}",
                column=expr.right.column,
                fix='write x in ["a", "b"] or use a list parameter',
            )
        et = element_type(rt)
        if not (lt == et or (lt in NUMERIC and et in NUMERIC)):
            raise RuleTypeError(f"looking for a {lt} in a list of {et}", column=expr.column)
        return BOOLEAN
    if lt in NUMERIC and rt in NUMERIC:
        return BOOLEAN
    if lt != rt:
        raise RuleTypeError(f"comparing a {lt} with a {rt}", column=expr.column, fix="compare like with like")
    if is_list(lt):
        raise RuleTypeError("lists cannot be compared", column=expr.column, fix="use 'in' or has_any(...)")
    if lt == BOOLEAN and expr.op not in ("==", "!="):
        raise RuleTypeError("yes/no values can only be compared with == or !=", column=expr.column)
    return BOOLEAN


def _aggregate_type(expr: ast.Aggregate, scope: Scope) -> str:
    rs = scope.ruleset
    if scope.in_members:
        raise RuleTypeError("aggregates cannot be nested", column=expr.column)
    if not rs.inputs.has_members:
        raise RuleTypeError(
            f"{expr.func}(... members ...) needs members, but this {rs.inputs.unit_kind} has none",
            column=expr.column,
            fix="declare member facts under inputs.members",
        )
    inner = Scope(rs, True, scope.defined, scope.definitions_with_aggregates)
    if expr.where is not None:
        _expect(type_of(expr.where, inner), (BOOLEAN,), expr.where, "'where' needs a condition")
    if expr.func == "count":
        if expr.value is not None:
            raise RuleTypeError(
                "count takes no 'for'", column=expr.column, fix="write count(members where ...)"
            )
        return INTEGER
    if expr.func in ("any", "all"):
        if expr.value is not None:
            raise RuleTypeError(
                f"{expr.func} takes no 'for'", column=expr.column, fix=f"write {expr.func}(members where ...)"
            )
        if expr.where is None:
            raise RuleTypeError(f"{expr.func} needs a condition", column=expr.column, fix="add 'where ...'")
        return BOOLEAN
    if expr.value is None:
        raise RuleTypeError(
            f"{expr.func} needs a value", column=expr.column, fix=f"write {expr.func}(income_eur for members)"
        )
    vt = type_of(expr.value, inner)
    if expr.func == "sum":
        _expect(vt, NUMERIC, expr.value, "sum adds numbers")
        return vt
    _expect(vt, (*NUMERIC, DATE), expr.value, f"{expr.func} compares numbers or dates")
    return vt


def _call_type(expr: ast.Call, scope: Scope) -> str:
    if expr.func not in FUNCTIONS:
        raise RuleNameError(
            f"unknown function '{expr.func}'",
            column=expr.column,
            fix=_suggest(expr.func, [*FUNCTIONS, "count", "sum", "any", "all", "date"]),
        )
    lo, hi = FUNCTIONS[expr.func]
    if not lo <= len(expr.args) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise RuleTypeError(f"{expr.func} takes {want} arguments, not {len(expr.args)}", column=expr.column)
    types = [type_of(a, scope) for a in expr.args]
    f = expr.func
    if f == "age":
        for a, t in zip(expr.args, types, strict=True):
            _expect(t, (DATE,), a, "age takes a birth date (and optionally the date to count to)")
        return INTEGER
    if f in ("years_between", "days_between"):
        for a, t in zip(expr.args, types, strict=True):
            _expect(t, (DATE,), a, f"{f} takes two dates")
        return INTEGER
    if f == "add_days":
        _expect(types[0], (DATE,), expr.args[0], "add_days takes a date first")
        _expect(types[1], (INTEGER,), expr.args[1], "add_days takes a whole number of days second")
        return DATE
    if f in ("min", "max"):
        if all(t in NUMERIC for t in types):
            return INTEGER if all(t == INTEGER for t in types) else NUMBER
        if all(t == DATE for t in types):
            return DATE
        raise RuleTypeError(f"{f} takes numbers or dates of one kind", column=expr.column)
    if f in ("year", "month"):
        _expect(types[0], (DATE,), expr.args[0], f"{f} takes a date")
        return INTEGER
    if f == "abs":
        _expect(types[0], NUMERIC, expr.args[0], "abs takes a number")
        return types[0]
    if f in ("is_known", "is_missing"):
        return BOOLEAN
    if f == "coalesce":
        first, second = types
        if first in NUMERIC and second in NUMERIC:
            return unify_numeric(first, second)
        if first != second:
            raise RuleTypeError(
                f"coalesce of a {first} with a {second}", column=expr.column, fix="use one type"
            )
        return first
    if f == "contains":
        if not is_list(types[0]):
            raise RuleTypeError("contains takes a list first", column=expr.args[0].column)
        et = element_type(types[0])
        if not (types[1] == et or (types[1] in NUMERIC and et in NUMERIC)):
            raise RuleTypeError(f"looking for a {types[1]} in a list of {et}", column=expr.column)
        return BOOLEAN
    # has_any(list, list)
    if not (is_list(types[0]) and is_list(types[1])):
        raise RuleTypeError("has_any takes two lists", column=expr.column)
    if not isinstance(expr.args[1], ast.ListLiteral | ast.Name) or (
        isinstance(expr.args[1], ast.Name) and expr.args[1].name not in scope.ruleset.parameters
    ):
        raise RuleTypeError(
            "has_any's second list must be a list parameter or a literal list",
            column=expr.args[1].column,
            fix='write has_any(benefits, qualifying_benefits) or has_any(benefits, ["csi", "rsi"])',
        )
    return BOOLEAN


def _has_aggregate(expr: ast.Expr, rs: RuleSet, with_aggs: set[str]) -> bool:
    for node in ast.walk(expr):
        if isinstance(node, ast.Aggregate):
            return True
        if isinstance(node, ast.Name) and node.name in with_aggs:
            return True
    return False


def check_ruleset(rs: RuleSet) -> list[tuple[tuple[str, ...], Exception]]:
    """Check every expression of ``rs``: names exist, types fit, no cycles, unique criterion ids."""
    problems: list[tuple[tuple[str, ...], Exception]] = []
    inputs = rs.inputs
    clashes = set(inputs.member_fields) & (set(inputs.unit_fields) | set(rs.parameters) | set(rs.definitions))
    for name in sorted(clashes):
        problems.append(
            (
                ("inputs", "members", name),
                RuleNameError(
                    f"member fact '{name}' has the same name as a unit fact, parameter or definition",
                    fix="rename one of them",
                ),
            )
        )
    for name in set(rs.definitions) & (set(inputs.unit_fields) | set(rs.parameters)):
        problems.append(
            (("definitions", name), RuleNameError(f"'{name}' is already an input or a parameter"))
        )
    defined: set[str] = set()
    with_aggs: set[str] = set()
    for name, definition in rs.definitions.items():
        scope = Scope(rs, False, frozenset(defined), frozenset(with_aggs))
        try:
            rs.types[name] = type_of(definition.expr, scope)
        except RuleError as exc:
            problems.append((("definitions", name), exc))
            rs.types[name] = "unknown"
        if _has_aggregate(definition.expr, rs, with_aggs):
            with_aggs.add(name)
        defined.add(name)
    scope = Scope(rs, False, frozenset(defined), frozenset(with_aggs))
    seen_ids: dict[str, str] = {}
    if rs.main not in rs.decisions:
        problems.append(
            (("decisions",), RuleNameError(f"the main decision '{rs.main}' is not among the decisions"))
        )
    for decision, node, _depth in rs.criteria():
        where = ("decisions", decision.name, node.id)
        if node.id in seen_ids:
            problems.append(
                (where, RuleNameError(f"criterion id '{node.id}' is used twice", fix="give each an own id"))
            )
        seen_ids[node.id] = decision.name
        if isinstance(node, Criterion):
            try:
                t = type_of(node.when, scope)
                if t != BOOLEAN:
                    raise RuleTypeError(
                        f"a criterion must be a condition (yes/no), but this is {t}",
                        column=1,
                        fix="compare it, e.g. '... >= 75'",
                    )
            except RuleError as exc:
                problems.append((where, exc))
        elif isinstance(node, Group) and not node.children:
            problems.append((where, RuleTypeError("an empty group", fix="give it at least one criterion")))
    for name, output in rs.outputs.items():
        try:
            rs.types[name] = type_of(output.expr, scope)
        except RuleError as exc:
            problems.append((("outputs", name), exc))
    for param in rs.parameters.values():
        if not param.values:
            problems.append((("parameters", param.name), RuleTypeError("a parameter without values")))
    return problems
