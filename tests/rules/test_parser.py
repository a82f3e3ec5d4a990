import datetime as dt

import pytest

from govreach.rules import ast
from govreach.rules.errors import RuleSyntaxError
from govreach.rules.parser import parse_expression
from govreach.rules.text import to_text


def test_precedence_follows_arithmetic_then_comparison_then_logic() -> None:
    e = parse_expression("a + b * 2 <= c and not d or e")
    assert isinstance(e, ast.BoolOp) and e.op == "or"
    left = e.operands[0]
    assert isinstance(left, ast.BoolOp) and left.op == "and"
    compare = left.operands[0]
    assert isinstance(compare, ast.Compare) and compare.op == "<="
    assert isinstance(compare.left, ast.Binary) and compare.left.op == "+"
    assert isinstance(compare.left.right, ast.Binary) and compare.left.right.op == "*"


def test_aggregates_over_members_with_value_and_condition() -> None:
    e = parse_expression("sum(income_eur for members where age(birth_date) >= 18)")
    assert isinstance(e, ast.Aggregate)
    assert e.func == "sum"
    assert isinstance(e.value, ast.Name) and e.value.name == "income_eur"
    assert isinstance(e.where, ast.Compare)


def test_date_literal_and_dotted_names() -> None:
    e = parse_expression('contract.start_on >= date("2016-07-01")')
    assert isinstance(e, ast.Compare)
    assert e.left == ast.Name(1, "contract.start_on")
    assert isinstance(e.right, ast.Literal) and e.right.value == dt.date(2016, 7, 1)


@pytest.mark.parametrize(
    "text",
    [
        "a + b * (c - 1) <= 10",
        'x in ["a", "b"] and not y',
        "if a > 1 then 2.5 else -1",
        "count(members where benefits_count > 0 and not is_missing(income_eur))",
        "min(a, 10) * 0.5",
    ],
)
def test_to_text_round_trips(text: str) -> None:
    e = parse_expression(text)
    assert parse_expression(to_text(e)) == parse_expression(to_text(parse_expression(to_text(e))))
    assert to_text(parse_expression(to_text(e))) == to_text(e)


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("age = 3", "write == to compare"),
        ("a && b", "use 'and', 'or', 'not' instead"),
        ("Income > 3", "names are lower case"),
        ("a and", "complete it"),
        ('date("2016-13-01") > x', "YYYY-MM-DD"),
        ("median(members where a)", "use one of count, sum, any, all, min, max"),
    ],
)
def test_syntax_errors_say_where_and_how_to_fix(text: str, fix: str) -> None:
    with pytest.raises(RuleSyntaxError) as err:
        parse_expression(text)
    assert err.value.fix is not None and fix in err.value.fix
    assert err.value.column is not None


def test_no_python_code_can_be_smuggled_in() -> None:
    for text in ("__import__('os').system('x')", "a.__class__", "lambda: 1", "[x for x in y]"):
        with pytest.raises(RuleSyntaxError):
            parse_expression(text)
