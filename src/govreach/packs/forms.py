"""``forms/*.yaml``: the questions a service asks, page by page.

A question may fill an input fact of the rules (``fact:``), so that what the applicant answers is what
the rules decide on; ``show_if`` is an expression in the rules language over the form's answers (by
question id) and the facts the form fills. Everything is checked when the pack loads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govreach.rules import ast
from govreach.rules.check import Scope, type_of
from govreach.rules.errors import RuleError
from govreach.rules.evaluate import Evaluator
from govreach.rules.inputs import coerce_value
from govreach.rules.model import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    TEXT,
    FieldSpec,
    InputSchema,
    RuleSet,
)
from govreach.rules.parser import parse_expression

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder

QuestionType = Literal[
    "text", "number", "integer", "date", "boolean", "choice", "phone", "national_id", "document", "area"
]
DocumentFormat = Literal["pdf", "jpeg", "png"]
_Texts = dict[
    Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")],
    Annotated[str, StringConstraints(min_length=1)],
]
_Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
_FormId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
_FactName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]

# Which rules types a question of each type may fill (a document question fills "is attached").
FACT_TYPES: dict[str, tuple[str, ...]] = {
    "text": (TEXT,),
    "phone": (TEXT,),
    "national_id": (TEXT,),
    "choice": (TEXT,),
    "area": (TEXT,),
    "number": (NUMBER,),
    "integer": (INTEGER, NUMBER),
    "date": (DATE,),
    "boolean": (BOOLEAN,),
    "document": (BOOLEAN,),
}
# The rules type of an answer, for show_if expressions that read answers by question id.
ANSWER_TYPES = {
    "text": TEXT,
    "phone": TEXT,
    "national_id": TEXT,
    "choice": TEXT,
    "area": TEXT,
    "number": NUMBER,
    "integer": INTEGER,
    "date": DATE,
    "boolean": BOOLEAN,
    "document": BOOLEAN,
}
CONTENT_TYPES: dict[str, str] = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class ChoiceSpec(_Strict):
    """One allowed answer of a choice question: the stored value and its label per language."""

    value: Annotated[str, StringConstraints(min_length=1)]
    label: _Texts


class QuestionSpec(_Strict):
    """One question: its answer type, words per language, limits, and the rules fact it fills."""

    id: _Id
    type: QuestionType
    label: _Texts
    hint: _Texts | None = None
    required: bool = True
    choices: list[ChoiceSpec] | None = Field(None, description="For type choice: the allowed answers.")
    min: float | None = Field(None, description="Number/integer: smallest value; text: fewest characters.")
    max: float | None = Field(None, description="Number/integer: largest value; text: most characters.")
    pattern: str | None = Field(None, description="Text, phone, national_id: a regular expression.")
    fact: _FactName | None = Field(None, description="The input fact of rules.yaml this answer fills.")
    show_if: str | None = Field(None, description="Ask only when this rules expression holds.")
    accept: list[DocumentFormat] | None = Field(None, description="Document: formats accepted.")
    max_mb: float | None = Field(None, gt=0, description="Document: largest file, in megabytes.")
    level: str | None = Field(None, description="Area: the area level to choose, e.g. union.")


class PageSpec(_Strict):
    """A page of a few questions, so that the form works on a small phone."""

    id: _Id
    title: _Texts
    intro: _Texts | None = None
    show_if: str | None = None
    questions: list[QuestionSpec] = Field(min_length=1)


class FormFile(_Strict):
    """``forms/<form-id>.yaml``: a form, its pages and their questions."""

    id: _FormId
    title: _Texts
    description: _Texts | None = None
    pages: list[PageSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Choice:
    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class Question:
    """A checked question; ``show_if_expr`` is the parsed ``show_if`` (None: always asked)."""

    id: str
    type: str
    label: dict[str, str]
    hint: dict[str, str] = field(default_factory=dict)
    required: bool = True
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    fact: str | None = None
    show_if: str | None = None
    show_if_expr: ast.Expr | None = None
    accept: tuple[str, ...] = ()
    max_mb: float | None = None
    level: str | None = None

    @property
    def max_bytes(self) -> int | None:
        """The largest document accepted, in bytes (1 MB = 1,000,000 bytes)."""
        return None if self.max_mb is None else int(self.max_mb * 1_000_000)

    @property
    def accepted_content_types(self) -> tuple[str, ...]:
        return tuple(CONTENT_TYPES[f] for f in self.accept)


@dataclass(frozen=True)
class Page:
    id: str
    title: dict[str, str]
    questions: tuple[Question, ...]
    intro: dict[str, str] = field(default_factory=dict)
    show_if: str | None = None
    show_if_expr: ast.Expr | None = None


@dataclass(frozen=True)
class Form:
    """A loaded form. ``scope`` is the rule set show_if expressions are evaluated against."""

    id: str
    title: dict[str, str]
    pages: tuple[Page, ...]
    description: dict[str, str] = field(default_factory=dict)
    scope: RuleSet | None = field(default=None, compare=False, repr=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for p in self.pages for q in p.questions)

    def question(self, question_id: str) -> Question:
        """The question ``question_id``; KeyError names the known ids."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"no question '{question_id}' in form '{self.id}'")

    def documents(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.type == "document")

    def answer_values(
        self, answers: Mapping[str, Any], documents: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """Answers coerced to rules types by question id, documents as attached-or-not."""
        values: dict[str, Any] = {}
        for q in self.questions:
            if q.type == "document":
                values[q.id] = q.id in documents
                continue
            try:
                values[q.id] = coerce_value(FieldSpec(q.id, ANSWER_TYPES[q.type]), answers.get(q.id))
            except ValueError:
                values[q.id] = None
        return values

    def is_shown(
        self,
        item: Question | Page,
        answers: Mapping[str, Any],
        on: dt.date,
        documents: frozenset[str] = frozenset(),
    ) -> bool:
        """Whether a page or question is asked given the answers so far; unknown counts as not asked."""
        if isinstance(item, Question):
            page = next(p for p in self.pages if item in p.questions)
            if not self.is_shown(page, answers, on, documents):
                return False
        if item.show_if_expr is None or self.scope is None:
            return True
        values = self.answer_values(answers, documents)
        unit: dict[str, object] = dict.fromkeys(self.scope.inputs.unit_fields)
        unit.update(values)
        unit.update(self.facts_from(answers, documents, values=values))
        result = Evaluator(self.scope, unit, [], on).eval(item.show_if_expr, None)
        return result is True

    def visible_questions(
        self, answers: Mapping[str, Any], on: dt.date, documents: frozenset[str] = frozenset()
    ) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if self.is_shown(q, answers, on, documents))

    def facts_from(
        self,
        answers: Mapping[str, Any],
        documents: frozenset[str] = frozenset(),
        *,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The rules facts the answers fill (dotted names); a document fact is whether it is attached."""
        values = values if values is not None else self.answer_values(answers, documents)
        return {q.fact: values.get(q.id) for q in self.questions if q.fact}


def expression_scope(ruleset: RuleSet | None, extra: Mapping[str, str]) -> RuleSet | None:
    """A copy of ``ruleset`` whose unit also has the ``extra`` names (name -> rules type).

    Form answers and workflow facts (decisions as booleans) are checked and evaluated in this scope, so
    the rules language means the same thing everywhere in a pack.
    """
    if ruleset is None:
        return None
    unit_fields = dict(ruleset.inputs.unit_fields)
    for name, type_ in extra.items():
        unit_fields.setdefault(name, FieldSpec(name, type_))
    inputs = InputSchema(ruleset.inputs.unit_kind, unit_fields, ruleset.inputs.member_fields)
    return dataclasses.replace(ruleset, inputs=inputs, decisions={}, main="")


def check_expression(
    builder: _PackBuilder,
    file: str,
    at: tuple[str | int, ...],
    text: str,
    scope: RuleSet | None,
    *,
    expect: str = BOOLEAN,
) -> ast.Expr | None:
    """Parse ``text`` and, when a scope is known, check its names and that it is a condition."""
    try:
        expr = parse_expression(text)
    except RuleError as exc:
        where = f" (at character {exc.column})" if exc.column else ""
        builder.problem(file, at, exc.message + where, exc.fix)
        return None
    if scope is None:
        return expr
    try:
        type_ = type_of(expr, Scope(scope, defined=frozenset(scope.definitions)))
    except RuleError as exc:
        where = f" (at character {exc.column})" if exc.column else ""
        builder.problem(file, at, exc.message + where, exc.fix)
        return None
    if type_ != expect:
        builder.problem(
            file,
            at,
            f"expected a condition (true/false), but this is {type_}",
            'compare the value, e.g. transfer_kind == "inheritance"',
        )
        return None
    return expr


def load_forms(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> dict[str, Form]:
    """Every form of the pack by id; problems are reported on ``builder``. No forms/ folder: no forms."""
    forms_dir = path / "forms"
    if not forms_dir.is_dir():
        return {}
    forms: dict[str, Form] = {}
    for form_path in sorted(forms_dir.iterdir()):
        rel = f"forms/{form_path.name}"
        if form_path.suffix not in (".yaml", ".yml"):
            if not form_path.name.startswith("."):
                builder.problem(rel, (), "not a form file", "a form is forms/<form-id>.yaml")
            continue
        located = builder.load(rel)
        if located is None:
            continue
        spec = builder.validate(rel, FormFile, located)
        if spec is None:
            continue
        form = _build_form(builder, rel, form_path.stem, spec, ruleset, languages)
        if form is not None:
            forms[form.id] = form
    return forms


def _require(builder: _PackBuilder, languages: tuple[str, ...]) -> Any:
    def require(file: str, at: tuple[str | int, ...], texts: dict[str, str] | None) -> None:
        builder.require_texts(file, at, texts, languages)

    return require


def _build_form(
    builder: _PackBuilder,
    file: str,
    stem: str,
    spec: FormFile,
    ruleset: RuleSet | None,
    languages: tuple[str, ...],
) -> Form | None:
    before = len(builder.problems)
    require = _require(builder, languages)
    if spec.id != stem:
        builder.problem(
            file,
            ("id",),
            f"the form id '{spec.id}' differs from its file name '{stem}'",
            f"name the file forms/{spec.id}.yaml or set id: {stem}",
        )
    require(file, ("title",), spec.title)
    require(file, ("description",), spec.description)
    facts = ruleset.inputs.unit_fields if ruleset is not None else None
    levels = builder.area_levels()
    seen_pages: dict[str, int] = {}
    seen_questions: dict[str, tuple[int, int]] = {}
    filled: dict[str, str] = {}
    for p, page in enumerate(spec.pages):
        if page.id in seen_pages:
            builder.problem(
                file,
                ("pages", p, "id"),
                f"the page id '{page.id}' is used twice",
                "give every page its own id",
            )
        seen_pages.setdefault(page.id, p)
        require(file, ("pages", p, "title"), page.title)
        require(file, ("pages", p, "intro"), page.intro)
        for i, q in enumerate(page.questions):
            at: tuple[str | int, ...] = ("pages", p, "questions", i)
            if q.id in seen_questions:
                builder.problem(
                    file,
                    (*at, "id"),
                    f"the question id '{q.id}' is used twice in this form",
                    "give every question its own id",
                )
            seen_questions.setdefault(q.id, (p, i))
            require(file, (*at, "label"), q.label)
            require(file, (*at, "hint"), q.hint)
            _check_question(builder, file, at, q, require, facts, levels)
            if q.fact:
                if q.fact in filled:
                    builder.problem(
                        file,
                        (*at, "fact"),
                        f"the fact '{q.fact}' is already filled by question '{filled[q.fact]}'",
                        "let one question fill each fact",
                    )
                filled.setdefault(q.fact, q.id)
    clash = sorted(set(seen_questions) & set(facts or {}))
    for name in clash:
        p, i = seen_questions[name]
        builder.problem(
            file,
            ("pages", p, "questions", i, "id"),
            f"the question id '{name}' is also a fact of rules.yaml",
            "rename the question",
        )
    answer_types = {q.id: ANSWER_TYPES[q.type] for page in spec.pages for q in page.questions}
    scope = expression_scope(ruleset, answer_types)
    pages: list[Page] = []
    for p, page in enumerate(spec.pages):
        page_expr = (
            check_expression(builder, file, ("pages", p, "show_if"), page.show_if, scope)
            if page.show_if
            else None
        )
        questions: list[Question] = []
        for i, q in enumerate(page.questions):
            at = ("pages", p, "questions", i)
            expr = check_expression(builder, file, (*at, "show_if"), q.show_if, scope) if q.show_if else None
            if expr is not None:
                _check_show_if_order(
                    builder, file, (*at, "show_if"), expr, q.id, seen_questions, filled, p, i
                )
            accept = tuple(q.accept) if q.accept else (tuple(CONTENT_TYPES) if q.type == "document" else ())
            questions.append(
                Question(
                    id=q.id,
                    type=q.type,
                    label=dict(q.label),
                    hint=dict(q.hint or {}),
                    required=q.required,
                    choices=tuple(Choice(c.value, dict(c.label)) for c in q.choices or ()),
                    min=q.min,
                    max=q.max,
                    pattern=q.pattern,
                    fact=q.fact,
                    show_if=q.show_if,
                    show_if_expr=expr,
                    accept=accept,
                    max_mb=q.max_mb,
                    level=q.level,
                )
            )
        pages.append(
            Page(page.id, dict(page.title), tuple(questions), dict(page.intro or {}), page.show_if, page_expr)
        )
    if len(builder.problems) > before:
        return None
    return Form(spec.id, dict(spec.title), tuple(pages), dict(spec.description or {}), scope)


def _check_show_if_order(
    builder: _PackBuilder,
    file: str,
    at: tuple[str | int, ...],
    expr: ast.Expr,
    own_id: str,
    questions: dict[str, tuple[int, int]],
    filled: dict[str, str],
    page: int,
    index: int,
) -> None:
    """A question may only depend on questions asked before it (else the applicant cannot see why)."""
    for name in ast.names_in(expr):
        source = name if name in questions else filled.get(name)
        if source is None:
            continue
        if source == own_id or questions[source] >= (page, index):
            builder.problem(
                file,
                at,
                f"show_if reads '{name}', which is asked at or after this question",
                "move the question it depends on to an earlier place",
            )


_PATTERN_TYPES = ("text", "phone", "national_id")


def _check_question(
    builder: _PackBuilder,
    file: str,
    at: tuple[str | int, ...],
    q: QuestionSpec,
    require: Any,
    facts: Mapping[str, FieldSpec] | None,
    levels: list[str] | None,
) -> None:
    if q.type == "choice":
        if not q.choices:
            builder.problem(
                file,
                (*at, "choices"),
                "a choice question needs choices",
                "add choices: [{value: ..., label: {...}}]",
            )
        values = [c.value for c in q.choices or ()]
        for c, choice in enumerate(q.choices or ()):
            require(file, (*at, "choices", c, "label"), choice.label)
            if values.count(choice.value) > 1 and values.index(choice.value) != c:
                builder.problem(
                    file,
                    (*at, "choices", c, "value"),
                    f"the value '{choice.value}' is offered twice",
                    "keep each value once",
                )
    elif q.choices is not None:
        builder.problem(
            file,
            (*at, "choices"),
            f"only a choice question has choices, this one is {q.type}",
            "set type: choice or remove choices",
        )
    if (q.min is not None or q.max is not None) and q.type not in ("number", "integer", "text"):
        builder.problem(
            file,
            (*at, "min" if q.min is not None else "max"),
            f"min/max apply to number, integer and text questions, not {q.type}",
            "remove min/max",
        )
    if q.min is not None and q.max is not None and q.min > q.max:
        builder.problem(file, (*at, "max"), f"max ({q.max:g}) is below min ({q.min:g})", "swap them")
    if q.pattern is not None:
        if q.type not in _PATTERN_TYPES:
            builder.problem(
                file,
                (*at, "pattern"),
                f"a pattern applies to {', '.join(_PATTERN_TYPES)} questions",
                "remove pattern",
            )
        try:
            re.compile(q.pattern)
        except re.error as exc:
            builder.problem(
                file,
                (*at, "pattern"),
                f"not a regular expression: {exc}",
                "write a Python regular expression, e.g. '^01[3-9][0-9]{8}$'",
            )
    if q.type == "document":
        if q.max_mb is None:
            builder.problem(
                file, (*at, "max_mb"), "a document question needs a size limit", "add max_mb: 5 (megabytes)"
            )
    else:
        for key in ("accept", "max_mb"):
            if getattr(q, key) is not None:
                builder.problem(
                    file,
                    (*at, key),
                    f"'{key}' applies to document questions only",
                    f"remove {key} or set type: document",
                )
    if q.type == "area":
        if q.level is None:
            builder.problem(
                file,
                (*at, "level"),
                "an area question names the level to choose",
                "add level: union (one of service.yaml's area_levels)",
            )
        elif levels is not None and q.level not in levels:
            builder.problem(
                file, (*at, "level"), f"unknown area level '{q.level}'", f"use one of {', '.join(levels)}"
            )
    elif q.level is not None:
        builder.problem(file, (*at, "level"), "'level' applies to area questions only", "remove level")
    if q.fact is None or facts is None:
        return
    spec = facts.get(q.fact)
    if spec is None:
        close = difflib.get_close_matches(q.fact, list(facts), n=1)
        builder.problem(
            file,
            (*at, "fact"),
            f"no input fact '{q.fact}' in rules.yaml",
            f"did you mean '{close[0]}'?" if close else f"known facts: {', '.join(facts)}",
        )
        return
    if spec.type not in FACT_TYPES[q.type]:
        builder.problem(
            file,
            (*at, "fact"),
            f"a {q.type} question cannot fill '{q.fact}', which is {spec.type}",
            f"use a question of type {_question_types_for(spec.type)}",
        )
        return
    if q.type == "choice" and spec.allowed is not None:
        for c, choice in enumerate(q.choices or ()):
            if choice.value not in spec.allowed:
                builder.problem(
                    file,
                    (*at, "choices", c, "value"),
                    f"'{choice.value}' is not a value of '{q.fact}'",
                    f"use one of {', '.join(spec.allowed)}",
                )


def _question_types_for(fact_type: str) -> str:
    return " or ".join(t for t, allowed in FACT_TYPES.items() if fact_type in allowed) or "none (lists)"


def forms_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``forms/<form-id>.yaml``, for `govreach packs schema`."""
    return FormFile.model_json_schema(by_alias=True)
