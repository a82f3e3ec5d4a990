"""The rules language: parse, type-check, evaluate one unit with a trace, compile a population to SQL.

A pure library: it knows nothing of Django, of any country or of any pack. Packs (``govreach.packs``)
build a :class:`RuleSet` from YAML; the same rule set is evaluated for one applicant
(:func:`evaluate_unit`) and for a whole registry in batch (:func:`compile_batch`, :func:`run_batch_duckdb`).
"""

from govreach.rules.ast import Expr
from govreach.rules.batch import BatchTables, run_batch_duckdb
from govreach.rules.compile import compile_batch
from govreach.rules.errors import RuleError, RuleNameError, RuleSyntaxError, RuleTypeError
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.model import (
    Criterion,
    Decision,
    Definition,
    FieldSpec,
    Group,
    InputSchema,
    Output,
    Parameter,
    ParameterValue,
    RuleSet,
)
from govreach.rules.parser import parse_expression
from govreach.rules.trace import CriterionResult, DecisionResult, ParameterUsed

__all__ = [
    "BatchTables",
    "Criterion",
    "CriterionResult",
    "Decision",
    "DecisionResult",
    "Definition",
    "Expr",
    "FieldSpec",
    "Group",
    "InputSchema",
    "Output",
    "Parameter",
    "ParameterUsed",
    "ParameterValue",
    "RuleError",
    "RuleNameError",
    "RuleSet",
    "RuleSyntaxError",
    "RuleTypeError",
    "compile_batch",
    "evaluate_unit",
    "parse_expression",
    "run_batch_duckdb",
]
