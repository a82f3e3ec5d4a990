"""Parse rule expression text into the syntax tree of :mod:`govreach.rules.ast` (Lark, LALR)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from govreach.rules import ast
from govreach.rules.errors import RuleSyntaxError

AGGREGATES = ("count", "sum", "any", "all", "min", "max")

_TOKEN_WORDS = {
    "COMP_OP": "a comparison (==, <, ...)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a quoted text",
    "RPAR": "')'",
    "LPAR": "'('",
    "RSQB": "']'",
    "COMMA": "','",
}


@cache
def _parser() -> Lark:
    grammar = files("govreach.rules").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _col(meta_or_token: Any) -> int:
    return int(getattr(meta_or_token, "column", 0) or 0)


@v_args(meta=True)
class _ToAst(Transformer[Token, ast.Expr]):
    def number(self, meta: Any, children: list[Token]) -> ast.Expr:
        text = str(children[0])
        value: int | float = float(text) if "." in text else int(text)
        return ast.Literal(_col(meta), value)

    def string(self, meta: Any, children: list[Token]) -> ast.Expr:
        return ast.Literal(_col(meta), str(children[0])[1:-1])

    def true(self, meta: Any, children: list[Token]) -> ast.Expr:
        return ast.Literal(_col(meta), True)

    def false(self, meta: Any, children: list[Token]) -> ast.Expr:
        return ast.Literal(_col(meta), False)

    def dotted_name(self, meta: Any, children: list[Token]) -> ast.Expr:
        return ast.Name(_col(meta), ".".join(str(c) for c in children))

    def neg(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        (operand,) = children
        value = operand.value if isinstance(operand, ast.Literal) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return ast.Literal(_col(meta), -value)
        return ast.Unary(_col(meta), "-", operand)

    def not_(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        return ast.Unary(_col(meta), "not", children[0])

    def binary(self, meta: Any, children: list[Any]) -> ast.Expr:
        left, op, right = children
        return ast.Binary(_col(meta), str(op), left, right)

    def compare(self, meta: Any, children: list[Any]) -> ast.Expr:
        left, op, right = children
        return ast.Compare(_col(meta), str(op), left, right)

    def in_(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        return ast.Compare(_col(meta), "in", children[0], children[1])

    def not_in(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        return ast.Compare(_col(meta), "not in", children[0], children[1])

    def and_(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        return ast.BoolOp(_col(meta), "and", tuple(children))

    def or_(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        return ast.BoolOp(_col(meta), "or", tuple(children))

    def if_else(self, meta: Any, children: list[ast.Expr]) -> ast.Expr:
        return ast.IfElse(_col(meta), *children)

    def list_(self, meta: Any, children: list[ast.Expr | None]) -> ast.Expr:
        return ast.ListLiteral(_col(meta), tuple(c for c in children if c is not None))

    def call(self, meta: Any, children: list[Any]) -> ast.Expr:
        name, *args = children
        func = str(name)
        real_args = tuple(a for a in args if a is not None)
        if func == "date":
            return _date_literal(_col(meta), real_args)
        return ast.Call(_col(meta), func, real_args)

    def aggregate(self, meta: Any, children: list[Any]) -> ast.Expr:
        name, value, where = children
        func = str(name)
        if func not in AGGREGATES:
            raise RuleSyntaxError(
                f"'{func}(... members ...)' is not an aggregate",
                column=_col(meta),
                fix=f"use one of {', '.join(AGGREGATES)} over members",
            )
        return ast.Aggregate(_col(meta), func, value, where)


def _date_literal(column: int, args: tuple[ast.Expr, ...]) -> ast.Expr:
    if len(args) != 1 or not isinstance(args[0], ast.Literal) or not isinstance(args[0].value, str):
        raise RuleSyntaxError(
            "date(...) takes one quoted date", column=column, fix='write date("2016-01-01")'
        )
    try:
        return ast.Literal(column, dt.date.fromisoformat(args[0].value))
    except ValueError:
        raise RuleSyntaxError(
            f"'{args[0].value}' is not a date", column=column, fix='write the date as "YYYY-MM-DD"'
        ) from None


def parse_expression(text: str) -> ast.Expr:
    """Parse one rule expression; raise :class:`RuleSyntaxError` naming the position and the fix."""
    if not text or not text.strip():
        raise RuleSyntaxError(
            "the expression is empty", fix="write a condition such as 'age(birth_date) >= 75'"
        )
    try:
        tree = _parser().parse(text)
        result = _ToAst().transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except Exception as exc:  # a RuleSyntaxError raised inside the transformer arrives wrapped
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, RuleSyntaxError):
            raise inner from None
        raise
    assert isinstance(result, ast.Expr)
    return result


def _syntax_error(text: str, exc: UnexpectedInput) -> RuleSyntaxError:
    column = getattr(exc, "column", None)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return RuleSyntaxError(
            "the expression ends too early", column=len(text), fix="complete it or close the brackets"
        )
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream is not None else "?"
        fix = "use 'and', 'or', 'not' instead" if char in "&|!" else "remove or quote it"
        if char == "=":
            fix = "write == to compare"
        if char.isupper():
            fix = "names are lower case (snake_case)"
        return RuleSyntaxError(f"unexpected character {char!r}", column=column, fix=fix)
    if isinstance(exc, UnexpectedToken):
        expected = sorted(_TOKEN_WORDS.get(t, repr(t.lower()) if t.isupper() else t) for t in exc.expected)
        shown = ", ".join(expected[:6])
        return RuleSyntaxError(
            f"unexpected {exc.token.value!r}", column=column, fix=f"expected {shown}" if shown else None
        )
    return RuleSyntaxError(str(exc), column=column)
