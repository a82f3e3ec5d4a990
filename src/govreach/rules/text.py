"""Expressions back to readable text, and values to short display strings for explanations."""

from __future__ import annotations

import datetime as dt
import re

from govreach.rules import ast

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def to_text(expr: ast.Expr) -> str:
    """Render ``expr`` in the rules language, with only the brackets it needs."""
    return _text(expr, 0)


def _wrap(s: str, prec: int, outer: int) -> str:
    return f"({s})" if prec < outer else s


def _text(e: ast.Expr, outer: int) -> str:
    if isinstance(e, ast.Literal):
        v = e.value
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, dt.date):
            return f'date("{v.isoformat()}")'
        return repr(v)
    if isinstance(e, ast.ListLiteral):
        return "[" + ", ".join(_text(i, 0) for i in e.items) + "]"
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Unary):
        if e.op == "not":
            return _wrap("not " + _text(e.operand, 3), 3, outer)
        return _wrap("-" + _text(e.operand, 7), 7, outer)
    if isinstance(e, ast.Binary):
        p = _PRECEDENCE[e.op]
        return _wrap(f"{_text(e.left, p)} {e.op} {_text(e.right, p + 1)}", p, outer)
    if isinstance(e, ast.Compare):
        return _wrap(f"{_text(e.left, 5)} {e.op} {_text(e.right, 5)}", 4, outer)
    if isinstance(e, ast.BoolOp):
        p = _PRECEDENCE[e.op]
        return _wrap(f" {e.op} ".join(_text(o, p + 1) for o in e.operands), p, outer)
    if isinstance(e, ast.IfElse):
        s = f"if {_text(e.condition, 0)} then {_text(e.then, 0)} else {_text(e.otherwise, 0)}"
        return _wrap(s, 0, outer)
    if isinstance(e, ast.Call):
        return f"{e.func}(" + ", ".join(_text(a, 0) for a in e.args) + ")"
    if isinstance(e, ast.Aggregate):
        inner = "members"
        if e.value is not None:
            inner = f"{_text(e.value, 0)} for members"
        if e.where is not None:
            inner += f" where {_text(e.where, 0)}"
        return f"{e.func}({inner})"
    raise TypeError(type(e).__name__)


def format_value(value: object) -> str:
    """A value as a person reads it: 6.9 not 6.900000001, 2016-01-01, yes/no, lists joined."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return f"{value:.0f}"
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    return str(value)


PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")


def placeholders(template: str) -> list[str]:
    """The names a ``because`` text fills in, e.g. ``{contract.power_kva}``."""
    return PLACEHOLDER.findall(template)


def fill(template: str, values: dict[str, object]) -> str:
    return PLACEHOLDER.sub(lambda m: format_value(values.get(m.group(1))), template)
