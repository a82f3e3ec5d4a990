"""Batch evaluation: a rule set compiled to one set-based SQL query over whole registries.

Input tables: ``units`` (``unit_id`` and one column per unit fact, dots as ``__``) and, when the
rules read members, ``members`` (``unit_id`` and one column per member fact). The query returns per
unit: ``decision__<name>`` and ``criterion__<id>`` for every decision and criterion (true, false or
null for unknown) and ``output__<name>`` for every output. Parameters are fixed at compile time to
the values in force on the decision date, so the SQL is plain constants and columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from govreach.rules import ast
from govreach.rules.check import Scope, type_of
from govreach.rules.dialects import Dialect, get_dialect
from govreach.rules.errors import RuleError
from govreach.rules.model import DATE, INTEGER, NUMBER, Criterion, FieldSpec, Node, RuleSet

UNIT_ID = "unit_id"


@dataclass(frozen=True)
class CompiledBatch:
    """The SQL for one rule set, one decision date and one engine, and the columns it returns."""

    ruleset_id: str
    ruleset_version: str
    decided_on: dt.date
    dialect: str
    sql: str
    columns: list[str]
    parameters: dict[str, object] = field(default_factory=dict)


def column_for_criterion(criterion_id: str) -> str:
    return f"criterion__{criterion_id}"


def column_for_decision(name: str) -> str:
    return f"decision__{name}"


def column_for_output(name: str) -> str:
    return f"output__{name}"


def _paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e)


def _int(n: int) -> exp.Expression:
    return exp.Literal.number(n)


def _case(
    *whens: tuple[exp.Expression, exp.Expression], default: exp.Expression | None = None
) -> exp.Expression:
    case = exp.Case()
    for condition, then in whens:
        case = case.when(condition, then)
    if default is not None:
        case = case.else_(default)
    return case


def _is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=e.copy(), expression=exp.Null())


class _Compiler:
    def __init__(self, rs: RuleSet, on: dt.date, dialect: Dialect) -> None:
        self.rs = rs
        self.on = on
        self.d = dialect
        self.aggregates: dict[ast.Aggregate, str] = {}
        self.unit_columns: dict[str, str] = {}  # field name -> rules type, as read by the query
        self.member_columns: dict[str, str] = {}
        self.aggregates_read_unit = False
        self.params: dict[str, object] = {}
        defined = frozenset(rs.definitions)
        self.scope = Scope(rs, False, defined, frozenset())
        self.member_scope = Scope(rs, True, defined, frozenset())

    # -- leaves ---------------------------------------------------------------------------------
    def literal(self, value: object, type_hint: str | None = None) -> exp.Expression:
        if isinstance(value, bool):
            return exp.true() if value else exp.false()
        if isinstance(value, int) and type_hint != NUMBER:
            return _int(value)
        if isinstance(value, int | float):
            return exp.Cast(this=exp.Literal.number(repr(float(value))), to=self.d.data_type(NUMBER))
        if isinstance(value, str):
            return exp.Literal.string(value)
        if isinstance(value, dt.date):
            return exp.Cast(this=exp.Literal.string(value.isoformat()), to=self.d.data_type(DATE))
        if isinstance(value, list | tuple):
            return exp.Array(expressions=[self.literal(v) for v in value])
        raise RuleError(f"cannot write {value!r} in SQL")

    def param_value(self, name: str) -> object:
        p = self.rs.parameters[name]
        in_force = p.value_on(self.on)
        if in_force is None:
            raise RuleError(f"parameter '{name}' has no value in force on {self.on.isoformat()}")
        self.params[name] = in_force.value
        return in_force.value

    def name(self, e: ast.Name, in_members: bool) -> exp.Expression:
        rs = self.rs
        if in_members and e.name in rs.inputs.member_fields:
            spec = rs.inputs.member_fields[e.name]
            self.member_columns[e.name] = spec.type
            return exp.column(spec.column, "m")
        if e.name in rs.definitions:
            return self.expr(rs.definitions[e.name].expr, in_members)
        if e.name in rs.inputs.unit_fields:
            spec = rs.inputs.unit_fields[e.name]
            self.unit_columns[e.name] = spec.type
            if in_members:
                self.aggregates_read_unit = True
            return exp.column(spec.column, "u")
        if e.name in rs.parameters:
            return self.literal(self.param_value(e.name), rs.parameters[e.name].type)
        if e.name == "decision_date":
            return self.literal(self.on)
        raise RuleError(f"unknown name '{e.name}'")

    def type_of(self, e: ast.Expr, in_members: bool) -> str:
        return type_of(e, self.member_scope if in_members else self.scope)

    def never_null(self, e: ast.Expr) -> bool:
        if isinstance(e, ast.Literal):
            return True
        if isinstance(e, ast.Aggregate):
            return e.func in ("count", "sum", "any", "all")
        if isinstance(e, ast.Name):
            return e.name in self.rs.parameters or e.name == "decision_date"
        return False

    # -- expressions ----------------------------------------------------------------------------
    def expr(self, e: ast.Expr, in_members: bool = False) -> exp.Expression:
        if isinstance(e, ast.Literal):
            return self.literal(e.value)
        if isinstance(e, ast.ListLiteral):
            return self.literal([i.value for i in e.items if isinstance(i, ast.Literal)])
        if isinstance(e, ast.Name):
            return self.name(e, in_members)
        if isinstance(e, ast.Unary):
            inner = self.expr(e.operand, in_members)
            if e.op == "not":
                return exp.Not(this=_paren(inner))
            return exp.Neg(this=_paren(inner))
        if isinstance(e, ast.Binary):
            a, b = self.expr(e.left, in_members), self.expr(e.right, in_members)
            if e.op == "/":
                num = exp.Cast(this=a, to=self.d.data_type(NUMBER))
                den = exp.Nullif(
                    this=exp.Cast(this=b, to=self.d.data_type(NUMBER)), expression=exp.Literal.number(0)
                )
                return _paren(exp.Div(this=num, expression=den))
            cls = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[e.op]
            return _paren(cls(this=_paren(a), expression=_paren(b)))
        if isinstance(e, ast.Compare):
            return self.compare(e, in_members)
        if isinstance(e, ast.BoolOp):
            parts = [_paren(self.expr(o, in_members)) for o in e.operands]
            joined = exp.and_(*parts) if e.op == "and" else exp.or_(*parts)
            return _paren(joined)
        if isinstance(e, ast.IfElse):
            c = self.expr(e.condition, in_members)
            return _case(
                (c, self.expr(e.then, in_members)),
                (exp.Not(this=_paren(c.copy())), self.expr(e.otherwise, in_members)),
            )
        if isinstance(e, ast.Aggregate):
            return self.aggregate_ref(e)
        if isinstance(e, ast.Call):
            return self.call(e, in_members)
        raise RuleError(f"cannot compile {type(e).__name__}")

    def compare(self, e: ast.Compare, in_members: bool) -> exp.Expression:
        left = self.expr(e.left, in_members)
        if e.op in ("in", "not in"):
            result = self.membership(left, e.right, in_members, self.never_null(e.left))
            return exp.Not(this=_paren(result)) if e.op == "not in" else result
        right = self.expr(e.right, in_members)
        cls = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[e.op]
        return _paren(cls(this=left, expression=right))

    def constant_list(self, e: ast.Expr) -> list[object] | None:
        if isinstance(e, ast.ListLiteral):
            return [i.value for i in e.items if isinstance(i, ast.Literal)]
        if isinstance(e, ast.Name) and e.name in self.rs.parameters:
            value = self.param_value(e.name)
            return list(value) if isinstance(value, list | tuple) else None
        return None

    def membership(
        self, left: exp.Expression, right: ast.Expr, in_members: bool, left_never_null: bool = False
    ) -> exp.Expression:
        constants = self.constant_list(right)
        if constants is not None:
            if not constants:
                return _case((_is_null(left), exp.Null()), default=exp.false())
            return _paren(exp.In(this=left, expressions=[self.literal(v) for v in constants]))
        array = self.expr(right, in_members)
        contains = exp.ArrayContains(this=array, expression=left)
        nulls = [array] if left_never_null else [left, array]
        return _case((exp.or_(*[_is_null(n) for n in nulls]), exp.Null()), default=contains)

    def call(self, e: ast.Call, in_members: bool) -> exp.Expression:
        f = e.func
        args = [self.expr(a, in_members) for a in e.args]
        if f == "is_known":
            return _paren(exp.not_(_is_null(args[0])))
        if f == "is_missing":
            return _paren(_is_null(args[0]))
        if f == "coalesce":
            return exp.Coalesce(this=args[0], expressions=[args[1]])
        if f == "has_any":
            constants = self.constant_list(e.args[1]) or []
            array = args[0]
            if not constants:
                return _case((_is_null(array), exp.Null()), default=exp.false())
            return _paren(self.d.array_overlaps(array, self.literal(list(constants))))
        if f == "contains":
            return self.membership(args[1], e.args[0], in_members, self.never_null(e.args[1]))
        if f in ("age", "years_between"):
            birth = args[0]
            if len(args) == 1:
                on = self.on
                md = on.month * 100 + on.day
                years = exp.Sub(this=_int(on.year), expression=exp.Year(this=birth))
                birthday_ahead = exp.GT(this=self._month_day(birth.copy()), expression=_int(md))
            else:
                later = args[1]
                years = exp.Sub(this=exp.Year(this=later), expression=exp.Year(this=birth))
                birthday_ahead = exp.GT(
                    this=self._month_day(birth.copy()), expression=self._month_day(later.copy())
                )
            correction = _case((birthday_ahead, _int(1)), default=_int(0))
            return _paren(exp.Sub(this=_paren(years), expression=correction))
        if f == "days_between":
            return exp.DateDiff(this=args[1], expression=args[0], unit=exp.var("DAY"))
        if f == "add_days":
            return exp.DateAdd(this=args[0], expression=args[1], unit=exp.var("DAY"))
        if f in ("min", "max"):
            cls = exp.Least if f == "min" else exp.Greatest
            core = cls(this=args[0], expressions=args[1:])
            nullable = [a for a, src in zip(args, e.args, strict=True) if not self.never_null(src)]
            if not nullable:
                return core
            return _case((exp.or_(*[_is_null(a) for a in nullable]), exp.Null()), default=core)
        if f == "abs":
            return exp.Abs(this=args[0])
        if f == "year":
            return exp.Year(this=args[0])
        if f == "month":
            return exp.Month(this=args[0])
        raise RuleError(f"unknown function '{f}'")

    @staticmethod
    def _month_day(d: exp.Expression) -> exp.Expression:
        return exp.Add(
            this=exp.Mul(this=exp.Month(this=d), expression=_int(100)), expression=exp.Day(this=d.copy())
        )

    # -- aggregates over members ----------------------------------------------------------------
    def aggregate_ref(self, e: ast.Aggregate) -> exp.Expression:
        alias = self.aggregates.setdefault(e, f"agg_{len(self.aggregates)}")
        ref = exp.column(alias, "a")
        if e.func == "count":
            return exp.Coalesce(this=ref, expressions=[_int(0)])
        if e.func == "sum":
            zero = self.literal(0, NUMBER) if self.type_of(e, False) == NUMBER else _int(0)
            return exp.Coalesce(this=ref, expressions=[zero])
        if e.func in ("any", "all"):
            code = exp.Coalesce(this=ref, expressions=[_int(0 if e.func == "any" else 2)])
            return _case(
                (exp.EQ(this=code, expression=_int(2)), exp.true()),
                (exp.EQ(this=code.copy(), expression=_int(0)), exp.false()),
                default=exp.Null(),
            )
        return ref

    def aggregate_column(self, e: ast.Aggregate) -> exp.Expression:
        where = self.expr(e.where, True) if e.where is not None else None
        if e.func == "count":
            if where is None:
                return exp.Count(this=exp.Star())
            return exp.Sum(this=_case((where, _int(1)), default=_int(0)))
        if e.func in ("any", "all"):
            assert where is not None
            # true -> 2, false -> 0, unknown -> 1: one MAX/MIN gives Kleene any/all in one pass.
            as_int = exp.Mul(
                this=exp.Cast(this=_paren(where), to=exp.DataType.build("INT")), expression=_int(2)
            )
            code = exp.Coalesce(this=as_int, expressions=[_int(1)])
            return exp.Max(this=code) if e.func == "any" else exp.Min(this=code)
        assert e.value is not None
        value = self.expr(e.value, True)
        vtype = self.type_of(e.value, True)
        if e.func == "sum" and vtype == NUMBER:
            value = exp.Cast(this=value, to=exp.DataType.build("DECIMAL(38, 6)"))
        chosen = value if where is None else _case((where, value))
        if e.func == "sum":
            total = exp.Sum(this=chosen)
            to = NUMBER if vtype == NUMBER else INTEGER
            return exp.Cast(this=total, to=self.d.data_type(to))
        return exp.Min(this=chosen) if e.func == "min" else exp.Max(this=chosen)


def _group_expr(node: Node) -> exp.Expression:
    if isinstance(node, Criterion):
        return exp.column(column_for_criterion(node.id))
    parts = [_paren(_group_expr(c)) for c in node.children]
    return _paren(exp.and_(*parts) if node.mode == "all" else exp.or_(*parts))


def compile_batch(
    ruleset: RuleSet,
    *,
    on: dt.date,
    dialect: str = "duckdb",
    units_table: str = "units",
    members_table: str = "members",
) -> CompiledBatch:
    """Compile every decision, criterion and output of ``ruleset`` for ``on`` into one query."""
    d = get_dialect(dialect)
    c = _Compiler(ruleset, on, d)
    leaf_selects: list[exp.Expression] = [exp.column(UNIT_ID, "u")]
    for decision, node, _depth in ruleset.criteria():
        del decision
        if isinstance(node, Criterion):
            leaf_selects.append(exp.alias_(c.expr(node.when), column_for_criterion(node.id)))
    for name, output in ruleset.outputs.items():
        value = c.expr(output.expr)
        if ruleset.types.get(name) == NUMBER:
            value = exp.Cast(this=value, to=d.data_type(NUMBER))
        leaf_selects.append(exp.alias_(value, column_for_output(name)))

    # Input tables, with every column the rules read cast to the rules' type.
    def base(table: str, columns: dict[str, str], fields: dict[str, FieldSpec]) -> exp.Select:
        selects: list[exp.Expression] = [exp.column(UNIT_ID)]
        for name, type_ in sorted(columns.items()):
            col = fields[name].column
            selects.append(exp.alias_(exp.Cast(this=exp.column(col), to=d.data_type(type_)), col))
        return exp.select(*selects).from_(table)

    agg_columns = {alias: c.aggregate_column(e) for e, alias in c.aggregates.items()}
    query = exp.select(*leaf_selects).from_("unit_base AS u")
    with_parts: list[tuple[str, exp.Expression]] = []
    unit_base = base(units_table, c.unit_columns, dict(ruleset.inputs.unit_fields))
    with_parts.append(("unit_base", unit_base))
    if agg_columns:
        member_base = base(members_table, c.member_columns, dict(ruleset.inputs.member_fields))
        with_parts.append(("member_base", member_base))
        agg = exp.select(exp.column(UNIT_ID, "m"), *[exp.alias_(v, k) for k, v in agg_columns.items()])
        agg = agg.from_("member_base AS m")
        if c.aggregates_read_unit:
            agg = agg.join("unit_base AS u", on="u.unit_id = m.unit_id")
        agg = agg.group_by(exp.column(UNIT_ID, "m"))
        with_parts.append(("member_aggregates", agg))
        query = query.join("member_aggregates AS a", on="a.unit_id = u.unit_id", join_type="left")
    with_parts.append(("leaves", query))

    final: list[exp.Expression] = [exp.column(UNIT_ID)]
    columns = [UNIT_ID]
    for dec in ruleset.decisions.values():
        final.append(exp.alias_(_group_expr(dec.root), column_for_decision(dec.name)))
        columns.append(column_for_decision(dec.name))
    for _decision, node, _depth in ruleset.criteria():
        col = column_for_criterion(node.id)
        if isinstance(node, Criterion):
            final.append(exp.column(col))
        else:
            final.append(exp.alias_(_group_expr(node), col))
        columns.append(col)
    for name in ruleset.outputs:
        final.append(exp.column(column_for_output(name)))
        columns.append(column_for_output(name))
    outer = exp.select(*final).from_("leaves")
    for alias, sub in with_parts:
        outer = outer.with_(alias, as_=sub)
    return CompiledBatch(
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        decided_on=on,
        dialect=d.name,
        sql=d.render(outer),
        columns=columns,
        parameters=dict(c.params),
    )
