"""Random units for a rule set, drawn from its input schema, with edge values taken from its
parameters and literals (limits exactly, a cent either side, birthdays on the decision date)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from hypothesis import strategies as st

from govreach.rules import ast
from govreach.rules.model import FieldSpec, RuleSet, element_type, is_list

ARROW_TYPES = {
    "boolean": pa.bool_(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "text": pa.string(),
    "date": pa.date32(),
    "list[text]": pa.list_(pa.string()),
    "list[integer]": pa.list_(pa.int64()),
    "list[number]": pa.list_(pa.float64()),
}


def _expressions(rs: RuleSet) -> list[ast.Expr]:
    exprs: list[ast.Expr] = [d.expr for d in rs.definitions.values()] + [o.expr for o in rs.outputs.values()]
    for _decision, node, _depth in rs.criteria():
        when = getattr(node, "when", None)
        if when is not None:
            exprs.append(when)
    return exprs


def decision_dates(rs: RuleSet) -> list[dt.date]:
    """Dates around every parameter change, where a wrong 'value in force' would show."""
    first = (
        max(p.values[0].valid_from for p in rs.parameters.values()) if rs.parameters else dt.date(2016, 1, 1)
    )
    dates = {first, dt.date(2024, 7, 1)}
    for p in rs.parameters.values():
        for v in p.values:
            if v.valid_from >= first:
                dates.update({v.valid_from, v.valid_from - dt.timedelta(days=1)})
    return sorted(d for d in dates if d >= first)


def edge_numbers(rs: RuleSet) -> list[float]:
    found: set[float] = {0.0, 1.0}
    for p in rs.parameters.values():
        for v in p.values:
            if isinstance(v.value, int | float) and not isinstance(v.value, bool):
                x = float(v.value)
                for k in range(0, 12):
                    found.add(round(x * (1 + 0.5 * k), 2))
                found.update({x - 0.01, x + 0.01, x - 1, x + 1})
    for e in _expressions(rs):
        for node in ast.walk(e):
            if (
                isinstance(node, ast.Literal)
                and isinstance(node.value, int | float)
                and not isinstance(node.value, bool)
            ):
                x = float(node.value)
                found.update({x, x - 1, x + 1, x - 0.01, x + 0.01})
    return sorted(found)


def text_values(rs: RuleSet, spec: FieldSpec) -> list[str]:
    if spec.allowed:
        return list(spec.allowed)
    found = {"other"}
    for e in _expressions(rs):
        for node in ast.walk(e):
            if isinstance(node, ast.Literal) and isinstance(node.value, str):
                found.add(node.value)
    for p in rs.parameters.values():
        for v in p.values:
            if isinstance(v.value, list):
                found.update(str(x) for x in v.value)
    return sorted(found)


def value_strategy(rs: RuleSet, spec: FieldSpec, on: dt.date) -> st.SearchStrategy[Any]:
    t = spec.type
    if is_list(t):
        inner = FieldSpec(spec.name, element_type(t), allowed=spec.allowed)
        return st.none() | st.lists(st.sampled_from(text_values(rs, inner)), max_size=4, unique=True)
    if t == "boolean":
        return st.sampled_from([None, True, False])
    if t == "integer":
        edges = [int(x) for x in edge_numbers(rs) if float(x).is_integer() and abs(x) < 10**6]
        return st.none() | st.sampled_from(edges) | st.integers(-3, 200)
    if t == "number":
        money = st.integers(0, 5_000_000).map(lambda c: c / 100)
        return st.none() | st.sampled_from(edge_numbers(rs)) | money
    if t == "date":
        years = st.integers(0, 110)
        shift = st.sampled_from([-1, 0, 0, 1, 17])

        def years_before(pair: tuple[int, int]) -> dt.date:
            y, d = pair
            try:
                base = on.replace(year=on.year - y)
            except ValueError:  # 29 February
                base = on.replace(year=on.year - y, day=28)
            return base + dt.timedelta(days=d)

        leap = st.sampled_from([dt.date(1940, 2, 29), dt.date(1952, 2, 29), dt.date(2008, 2, 29)])
        return st.none() | st.tuples(years, shift).map(years_before) | leap
    return st.none() | st.sampled_from(text_values(rs, spec))


def units(rs: RuleSet, on: dt.date) -> st.SearchStrategy[dict[str, Any]]:
    """Whole units: every unit fact, and 0 to 5 members with every member fact."""
    unit_fields = {name: value_strategy(rs, spec, on) for name, spec in rs.inputs.unit_fields.items()}
    if not rs.inputs.has_members:
        return st.fixed_dictionaries(unit_fields)
    member = st.fixed_dictionaries({n: value_strategy(rs, s, on) for n, s in rs.inputs.member_fields.items()})
    return st.fixed_dictionaries({**unit_fields, "members": st.lists(member, max_size=5)})


def to_arrow(rs: RuleSet, batch: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table | None]:
    """Units (and members) as the tables the compiled batch reads."""
    unit_cols: dict[str, list[Any]] = {"unit_id": list(range(len(batch)))}
    unit_schema = [pa.field("unit_id", pa.int64())]
    for name, spec in rs.inputs.unit_fields.items():
        unit_cols[spec.column] = [u.get(name) for u in batch]
        unit_schema.append(pa.field(spec.column, ARROW_TYPES[spec.type]))
    units_table = pa.table(unit_cols, schema=pa.schema(unit_schema))
    if not rs.inputs.has_members:
        return units_table, None
    member_cols: dict[str, list[Any]] = {"unit_id": []}
    member_schema = [pa.field("unit_id", pa.int64())]
    for spec in rs.inputs.member_fields.values():
        member_cols[spec.column] = []
        member_schema.append(pa.field(spec.column, ARROW_TYPES[spec.type]))
    for i, u in enumerate(batch):
        for m in u.get("members", []):
            member_cols["unit_id"].append(i)
            for name, spec in rs.inputs.member_fields.items():
                member_cols[spec.column].append(m.get(name))
    return units_table, pa.table(member_cols, schema=pa.schema(member_schema))
