"""The abstract syntax of rule expressions: small frozen dataclasses, one per construct."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

Scalar = bool | int | float | str | dt.date


@dataclass(frozen=True)
class Expr:
    """Base of every expression node; ``column`` is the 1-based position in the source text."""

    column: int


@dataclass(frozen=True)
class Literal(Expr):
    value: Scalar


@dataclass(frozen=True)
class ListLiteral(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Name(Expr):
    """A name: an input field (``contract.power_kva``), a parameter, a definition or ``decision_date``."""

    name: str


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # + - * /
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Expr):
    op: str  # == != < <= > >= in "not in"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp(Expr):
    op: str  # "and" | "or"
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class IfElse(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Aggregate(Expr):
    """``count(members where C)``, ``sum(income_eur for members)``, ``any(members where C)``..."""

    func: str  # count | sum | any | all | min | max
    value: Expr | None
    where: Expr | None


def walk(expr: Expr) -> list[Expr]:
    """Every node of ``expr``, parents before children."""
    out: list[Expr] = [expr]
    for child in children(expr):
        out.extend(walk(child))
    return out


def children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, ListLiteral):
        return expr.items
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Binary | Compare):
        return (expr.left, expr.right)
    if isinstance(expr, BoolOp):
        return expr.operands
    if isinstance(expr, IfElse):
        return (expr.condition, expr.then, expr.otherwise)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, Aggregate):
        return tuple(e for e in (expr.value, expr.where) if e is not None)
    return ()


def names_in(expr: Expr) -> list[str]:
    """Names the expression refers to, in order of first use, without repeats."""
    seen: dict[str, None] = {}
    for node in walk(expr):
        if isinstance(node, Name):
            seen.setdefault(node.name, None)
    return list(seen)
