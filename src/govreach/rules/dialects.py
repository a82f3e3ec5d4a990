"""SQL engines the batch compiler targets. An engine is a dialect here, never a second code path.

The compiler builds one SQLGlot tree; a dialect only names the SQLGlot dialect, the SQL types of
the rules' types, and fixes for the few constructs that SQLGlot does not translate as we need.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from govreach.rules.model import BOOLEAN, DATE, INTEGER, INTEGER_LIST, NUMBER, NUMBER_LIST, TEXT, TEXT_LIST

_TYPES = {
    BOOLEAN: "BOOLEAN",
    INTEGER: "BIGINT",
    NUMBER: "DOUBLE",
    TEXT: "TEXT",
    DATE: "DATE",
    TEXT_LIST: "ARRAY<TEXT>",
    INTEGER_LIST: "ARRAY<BIGINT>",
    NUMBER_LIST: "ARRAY<DOUBLE>",
}


@dataclass(frozen=True)
class Dialect:
    """One SQL engine: its SQLGlot name. Add an engine by adding an instance to DIALECTS."""

    name: str
    sqlglot_name: str

    def data_type(self, rules_type: str) -> exp.DataType:
        return exp.DataType.build(_TYPES[rules_type])

    def array_overlaps(self, array: exp.Expression, values: exp.Expression) -> exp.Expression:
        """True when the two lists share an element; null when ``array`` is null."""
        if self.name == "spark":
            return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[array, values])
        return exp.ArrayOverlaps(this=array, expression=values)

    def render(self, tree: exp.Expression) -> str:
        return str(tree.sql(dialect=self.sqlglot_name, pretty=True))


DIALECTS = {
    "duckdb": Dialect("duckdb", "duckdb"),
    "spark": Dialect("spark", "spark"),
    "postgres": Dialect("postgres", "postgres"),
}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown SQL engine '{name}'; known: {', '.join(DIALECTS)}") from None
