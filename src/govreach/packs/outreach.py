"""``outreach.yaml``: who goes to whom, how often, what a visit records and where people are referred.

An outreach pack (kind ``outreach``) declares:

- ``roles``: staff roles, the area level each works at and what each may do (``visit``, ``refer``,
  ``confirm_walk_in``, ``plan``, ``see_figures``);
- ``targeting``: which decision of rules.yaml marks people to visit, which marks the intensive group,
  which output gives the risk tier and (optionally) which gives the weeks between visits;
- ``tiers``: the tier values of that output that bring visits, each with its visit interval (a parameter
  of parameters.yaml or a number of weeks); ``capacity``: registered people per nurse and visits a day;
- ``registries``: how the registries become the rules' facts for a whole population, as SQL expressions
  over the population register and the registries linked to it (run in DuckDB, never row by row);
- ``intake``: referrals from partners (hospital discharges, walk-ins) and the facts they fill;
- ``visit_record``: the assessment areas as questions (the forms format), consent and notes;
- ``onward_referrals``: where a nurse may refer someone, each with its follow-up deadline in days;
- ``indicators``: the outcome figures to report (first against latest visit, or a share).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlglot import exp

from govreach.packs.forms import ANSWER_TYPES, QuestionSpec, _check_question
from govreach.rules.model import BOOLEAN, INTEGER, NUMBER, TEXT, RuleSet

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder

FILE = "outreach.yaml"
Capability = Literal["visit", "refer", "confirm_walk_in", "plan", "see_figures"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MON_TO_FRI: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
IntakeField = Literal["kind", "partner_hospital", "discharged_on", "need_confirmed", "birth_date", "resident"]
#: The rules type each intake field may fill.
INTAKE_TYPES: dict[str, tuple[str, ...]] = {
    "kind": (TEXT,),
    "partner_hospital": (BOOLEAN,),
    "discharged_on": ("date",),
    "need_confirmed": (BOOLEAN,),
    "birth_date": ("date",),
    "resident": (BOOLEAN,),
}

_Texts = dict[
    Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")],
    Annotated[str, StringConstraints(min_length=1)],
]
_Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
_FactName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
_Dataset = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
_Sql = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class RoleSpec(_Strict):
    """A staff role: its title, the area level its holders work at, and what they may do."""

    title: _Texts
    area_level: str = Field(description="One of service.yaml's area_levels, e.g. neighbourhood.")
    can: list[Capability] = Field(
        min_length=1, description="visit, refer, confirm_walk_in, plan, see_figures"
    )


class TargetingSpec(_Strict):
    """Which results of rules.yaml drive outreach."""

    decision: _Id = Field(description="The decision that marks people to visit and register.")
    intensive_decision: _Id = Field(description="The decision that marks the intensive group.")
    tier_output: _Id = Field(description="The output giving each person's risk tier (text).")
    interval_output: _Id | None = Field(
        None, description="An output giving the weeks between visits; else each tier's interval_weeks."
    )


class TierSpec(_Strict):
    """A tier value of ``tier_output`` that brings visits."""

    title: _Texts
    interval_weeks: _Id | int = Field(description="A parameter of parameters.yaml, or a number of weeks.")
    is_intensive: bool = False
    priority: int = Field(0, description="Higher is planned first when capacity is short.")


class CapacitySpec(_Strict):
    """How much one visiting nurse can carry."""

    registered_per_nurse: _Id | int = Field(description="Caseload per nurse: a parameter or a number.")
    visits_per_day: int = Field(gt=0, le=50)
    working_days: list[Weekday] = Field(default_factory=lambda: list(_MON_TO_FRI))


class RegistryFactSpec(_Strict):
    """One fact of rules.yaml, as SQL over the population register or over one linked registry.

    ``expr`` reads the population register's columns. With ``from``, the rows of that registry linked
    to the person are aggregated: ``list`` (distinct non-empty values), ``any`` (a condition true on some
    row), or ``latest`` (the value on the row with the largest ``order_by``).
    """

    expr: _Sql | None = None
    from_: _Dataset | None = Field(None, alias="from")
    list: _Sql | None = None
    any: _Sql | None = None
    latest: _Sql | None = None
    order_by: _Sql | None = None
    default: _Sql | None = Field(None, description="SQL used when no linked row exists.")


class RegistriesSpec(_Strict):
    """How the registries become the rules' facts for a whole population, in one SQL query."""

    population: _Dataset = Field(description="The population register: one row per person (record_id).")
    link_on: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")] = Field(
        "national_id", description="The column other registries share with the population register."
    )
    area_column: _Id = Field("area_code", description="Column of the population register with the area code.")
    facts: dict[_FactName, RegistryFactSpec | _Sql] = Field(min_length=1)


class HospitalSpec(_Strict):
    name: _Texts
    is_partner: bool = True


class IntakeKindSpec(_Strict):
    """A way a person is referred in: who may refer, and the value of the ``kind`` fact."""

    title: _Texts
    by: list[_Id] = Field(min_length=1, description="Roles that may enter this referral.")
    needs_hospital: bool = False
    confirms_need: bool = Field(False, description="Entering it confirms the need (a welfare official).")


class IntakeSpec(_Strict):
    """Referrals into the programme and the rules facts a referral fills."""

    kinds: dict[_Id, IntakeKindSpec] = Field(min_length=1)
    hospitals: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")], HospitalSpec] = Field(
        default_factory=dict
    )
    facts: dict[IntakeField, _FactName] = Field(min_length=1)


class SectionSpec(_Strict):
    """One assessment area of the visit record, with its questions (the forms format)."""

    id: _Id
    title: _Texts
    intro: _Texts | None = None
    questions: list[QuestionSpec] = Field(min_length=1)


class ConsentSpec(_Strict):
    label: _Texts
    fact: _FactName | None = Field(
        None, description="Boolean fact that consent fills, e.g. programme.registered."
    )


class VisitRecordSpec(_Strict):
    """The visit record: assessment areas, consent and notes."""

    sections: list[SectionSpec] = Field(min_length=1)
    consent: ConsentSpec
    notes: _Texts


class OnwardKindSpec(_Strict):
    title: _Texts
    follow_up_days: int = Field(gt=0, le=365, description="Days within which the referral is followed up.")


class IndicatorSpec(_Strict):
    """An outcome figure: a question's mean at the first against the latest visit, or a share."""

    title: _Texts
    question: _Id
    measure: Literal["first_latest", "share_true"] = "first_latest"
    better: Literal["lower", "higher"] = "higher"


class OutreachFile(_Strict):
    """``outreach.yaml``: roles, targeting, tiers, capacity, registries, intake, visit record, referrals."""

    roles: dict[_Id, RoleSpec] = Field(min_length=1)
    targeting: TargetingSpec
    tiers: dict[_Id, TierSpec] = Field(min_length=1)
    capacity: CapacitySpec
    registries: RegistriesSpec
    intake: IntakeSpec
    visit_record: VisitRecordSpec
    onward_referrals: dict[_Id, OnwardKindSpec] = Field(min_length=1)
    indicators: dict[_Id, IndicatorSpec] = Field(default_factory=dict)


# -- the loaded declaration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    id: str
    title: dict[str, str]
    area_level: str
    can: tuple[str, ...]


@dataclass(frozen=True)
class Tier:
    id: str
    title: dict[str, str]
    interval_weeks: str | int
    is_intensive: bool
    priority: int


@dataclass(frozen=True)
class RegistryFact:
    """A fact's SQL: ``expr`` over the register, or an aggregate of the linked ``source`` registry."""

    name: str
    expr: str | None = None
    source: str | None = None
    aggregate: str | None = None  # list | any | latest
    value: str | None = None
    order_by: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class Registries:
    population: str
    link_on: str
    area_column: str
    facts: dict[str, RegistryFact]

    @property
    def datasets(self) -> tuple[str, ...]:
        linked = sorted({f.source for f in self.facts.values() if f.source})
        return (self.population, *linked)


@dataclass(frozen=True)
class Section:
    id: str
    title: dict[str, str]
    intro: dict[str, str]
    question_ids: tuple[str, ...]


@dataclass(frozen=True)
class Outreach:
    """A checked ``outreach.yaml``. Questions are forms ``Question``s; see govreach.packs.forms."""

    roles: dict[str, Role]
    decision: str
    intensive_decision: str
    tier_output: str
    interval_output: str | None
    tiers: dict[str, Tier]
    registered_per_nurse: str | int
    visits_per_day: int
    working_days: tuple[int, ...]  # Monday = 0
    registries: Registries
    intake_kinds: dict[str, IntakeKindSpec]
    hospitals: dict[str, HospitalSpec]
    intake_facts: dict[str, str]
    sections: tuple[Section, ...]
    questions: dict[str, Any]  # question id -> govreach.packs.forms.Question
    consent_label: dict[str, str]
    consent_fact: str | None
    notes_label: dict[str, str]
    onward_kinds: dict[str, OnwardKindSpec]
    indicators: dict[str, IndicatorSpec] = field(default_factory=dict)

    def roles_that(self, capability: str) -> tuple[str, ...]:
        """Role ids whose holders may do ``capability`` (visit, refer, ...)."""
        return tuple(r.id for r in self.roles.values() if capability in r.can)


def load_outreach(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Outreach | None:
    """The pack's outreach declaration, or None when it has no outreach.yaml; problems go on ``builder``."""
    located = builder.load(FILE, required=False)
    if located is None:
        return None
    spec = builder.validate(FILE, OutreachFile, located)
    if spec is None:
        return None
    return _build(builder, spec, ruleset, languages)


def _suggest(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"{what}: {', '.join(known)}" if known else f"declare it first ({what})"


def check_sql_expression(builder: _PackBuilder, at: tuple[str | int, ...], text: str) -> None:
    """A registry fact is one SQL expression (DuckDB dialect): no statement, no subquery, no ';'."""
    try:
        parsed = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "cannot parse"
        builder.problem(
            FILE, at, f"not an SQL expression: {first}", "write one expression, e.g. age_years >= 75"
        )
        return
    if isinstance(parsed, exp.Query | exp.Command | exp.DDL | exp.DML) or parsed.find(
        exp.Subquery, exp.Select
    ):
        builder.problem(
            FILE,
            at,
            "a fact is one SQL expression, not a statement or a subquery",
            "read the registry's columns directly; use from: <registry> to aggregate a linked registry",
        )


def _build(
    builder: _PackBuilder, spec: OutreachFile, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Outreach | None:
    before = len(builder.problems)

    def require(at: tuple[str | int, ...], texts: Mapping[str, str] | None) -> None:
        builder.require_texts(FILE, at, texts, languages)

    # roles
    levels = builder.area_levels()
    for role_id, role in spec.roles.items():
        require(("roles", role_id, "title"), role.title)
        if levels is not None and role.area_level not in levels:
            builder.problem(
                FILE,
                ("roles", role_id, "area_level"),
                f"unknown area level '{role.area_level}'",
                f"use one of service.yaml's area_levels: {', '.join(levels)}",
            )
    if not any("visit" in r.can for r in spec.roles.values()):
        builder.problem(FILE, ("roles",), "no role may visit", "give the nurses' role can: [visit]")

    # targeting and tiers against rules.yaml
    params = ruleset.parameters if ruleset is not None else {}
    if ruleset is not None:
        for key in ("decision", "intensive_decision"):
            name = getattr(spec.targeting, key)
            if name not in ruleset.decisions:
                builder.problem(
                    FILE,
                    ("targeting", key),
                    f"no decision '{name}' in rules.yaml",
                    _suggest(name, list(ruleset.decisions), "decisions"),
                )
        for key, wanted in (("tier_output", (TEXT,)), ("interval_output", (INTEGER, NUMBER))):
            name = getattr(spec.targeting, key)
            if name is None:
                continue
            if name not in ruleset.outputs:
                builder.problem(
                    FILE,
                    ("targeting", key),
                    f"no output '{name}' in rules.yaml",
                    _suggest(name, list(ruleset.outputs), "outputs"),
                )
            elif ruleset.types.get(name) not in wanted:
                builder.problem(
                    FILE,
                    ("targeting", key),
                    f"the output '{name}' is {ruleset.types.get(name)}, not {wanted[0]}",
                    "name an output of the right type",
                )

    def check_number(at: tuple[str | int, ...], value: str | int, what: str) -> None:
        if isinstance(value, int):
            if value <= 0:
                builder.problem(FILE, at, f"{what} must be above 0", "give a positive number")
            return
        if ruleset is None:
            return
        if value not in params:
            builder.problem(
                FILE,
                at,
                f"no parameter '{value}' in parameters.yaml",
                _suggest(value, sorted(params), "parameters"),
            )
        elif params[value].type not in (INTEGER, NUMBER):
            builder.problem(
                FILE,
                at,
                f"the parameter '{value}' is {params[value].type}, not a number",
                "name a number parameter",
            )

    for tier_id, tier in spec.tiers.items():
        require(("tiers", tier_id, "title"), tier.title)
        check_number(("tiers", tier_id, "interval_weeks"), tier.interval_weeks, "interval_weeks")
    if sum(1 for t in spec.tiers.values() if t.is_intensive) != 1:
        builder.problem(
            FILE,
            ("tiers",),
            "exactly one tier is the intensive one",
            "set is_intensive: true on the intensive tier, and only on it",
        )
    check_number(
        ("capacity", "registered_per_nurse"), spec.capacity.registered_per_nurse, "registered_per_nurse"
    )
    if not spec.capacity.working_days:
        builder.problem(FILE, ("capacity", "working_days"), "no working day", "list the days nurses visit")

    # registries: facts of rules.yaml as SQL
    facts = dict(ruleset.inputs.unit_fields) if ruleset is not None else None
    registry_facts: dict[str, RegistryFact] = {}
    for name, raw in spec.registries.facts.items():
        at: tuple[str | int, ...] = ("registries", "facts", name)
        if facts is not None and name not in facts:
            builder.problem(
                FILE, at, f"no input fact '{name}' in rules.yaml", _suggest(name, list(facts), "facts")
            )
        fact = _registry_fact(builder, at, name, raw)
        if fact is not None:
            registry_facts[name] = fact

    # intake
    roles = list(spec.roles)
    for kind_id, kind in spec.intake.kinds.items():
        require(("intake", "kinds", kind_id, "title"), kind.title)
        for i, by_role in enumerate(kind.by):
            if by_role not in spec.roles:
                builder.problem(
                    FILE,
                    ("intake", "kinds", kind_id, "by", i),
                    f"no role '{by_role}'",
                    _suggest(by_role, roles, "roles"),
                )
        if kind.needs_hospital and not spec.intake.hospitals:
            builder.problem(
                FILE,
                ("intake", "hospitals"),
                f"the referral '{kind_id}' needs hospitals",
                "list the hospitals: H01: {name: {...}}",
            )
    for hospital_id, hospital in spec.intake.hospitals.items():
        require(("intake", "hospitals", hospital_id, "name"), hospital.name)
    if facts is not None:
        for key, fact_name in spec.intake.facts.items():
            at = ("intake", "facts", key)
            if fact_name not in facts:
                builder.problem(
                    FILE,
                    at,
                    f"no input fact '{fact_name}' in rules.yaml",
                    _suggest(fact_name, list(facts), "facts"),
                )
                continue
            if facts[fact_name].type not in INTAKE_TYPES[key]:
                builder.problem(
                    FILE,
                    at,
                    f"'{fact_name}' is {facts[fact_name].type}; {key} fills {INTAKE_TYPES[key][0]}",
                    "name a fact of that type",
                )
            allowed = facts[fact_name].allowed
            if key == "kind" and allowed is not None:
                for kind_id in spec.intake.kinds:
                    if kind_id not in allowed:
                        builder.problem(
                            FILE,
                            ("intake", "kinds", kind_id),
                            f"'{kind_id}' is not a value of '{fact_name}'",
                            f"use one of {', '.join(allowed)}",
                        )

    # visit record: questions in the forms format
    from govreach.packs.forms import Choice, Question

    questions: dict[str, Question] = {}
    sections: list[Section] = []
    seen_sections: set[str] = set()
    filled: dict[str, str] = {}
    levels_for_questions = levels
    for s, section in enumerate(spec.visit_record.sections):
        at = ("visit_record", "sections", s)
        if section.id in seen_sections:
            builder.problem(
                FILE, (*at, "id"), f"the section id '{section.id}' is used twice", "give each its own id"
            )
        seen_sections.add(section.id)
        require((*at, "title"), section.title)
        require((*at, "intro"), section.intro)
        ids: list[str] = []
        for i, q in enumerate(section.questions):
            qat = (*at, "questions", i)
            if q.id in questions:
                builder.problem(
                    FILE, (*qat, "id"), f"the question id '{q.id}' is used twice", "give each its own id"
                )
                continue
            require((*qat, "label"), q.label)
            require((*qat, "hint"), q.hint)
            _check_question(
                builder, FILE, qat, q, lambda _f, a, t: require(a, t), facts, levels_for_questions
            )
            if q.type in ("document", "area", "national_id"):
                builder.problem(
                    FILE,
                    (*qat, "type"),
                    f"a visit record does not ask {q.type} questions",
                    "use text, number, integer, date, boolean or choice",
                )
            if q.show_if is not None:
                builder.problem(
                    FILE,
                    (*qat, "show_if"),
                    "visit record questions are always asked",
                    "remove show_if; make the question required: false",
                )
            if q.fact:
                if q.fact in filled:
                    builder.problem(
                        FILE,
                        (*qat, "fact"),
                        f"the fact '{q.fact}' is already filled by '{filled[q.fact]}'",
                        "let one question fill each fact",
                    )
                filled.setdefault(q.fact, q.id)
            ids.append(q.id)
            questions[q.id] = Question(
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
            )
        sections.append(Section(section.id, dict(section.title), dict(section.intro or {}), tuple(ids)))
    consent = spec.visit_record.consent
    require(("visit_record", "consent", "label"), consent.label)
    require(("visit_record", "notes"), spec.visit_record.notes)
    if consent.fact is not None and facts is not None:
        if consent.fact not in facts:
            builder.problem(
                FILE,
                ("visit_record", "consent", "fact"),
                f"no input fact '{consent.fact}' in rules.yaml",
                _suggest(consent.fact, list(facts), "facts"),
            )
        elif facts[consent.fact].type != BOOLEAN:
            builder.problem(
                FILE,
                ("visit_record", "consent", "fact"),
                f"'{consent.fact}' is not boolean",
                "consent fills a boolean fact",
            )

    for kind_id, onward in spec.onward_referrals.items():
        require(("onward_referrals", kind_id, "title"), onward.title)
    for ind_id, indicator in spec.indicators.items():
        at = ("indicators", ind_id)
        require((*at, "title"), indicator.title)
        question = questions.get(indicator.question)
        if question is None:
            builder.problem(
                FILE,
                (*at, "question"),
                f"no question '{indicator.question}' in visit_record",
                _suggest(indicator.question, list(questions), "questions"),
            )
            continue
        answer_type = ANSWER_TYPES[question.type]
        if indicator.measure == "first_latest" and answer_type not in (INTEGER, NUMBER):
            builder.problem(
                FILE,
                (*at, "measure"),
                f"first_latest needs a number question; '{question.id}' is {question.type}",
                "use measure: share_true for a yes/no question",
            )
        if indicator.measure == "share_true" and answer_type != BOOLEAN:
            builder.problem(
                FILE,
                (*at, "measure"),
                f"share_true needs a yes/no question; '{question.id}' is {question.type}",
                "use measure: first_latest for a number question",
            )

    if len(builder.problems) > before:
        return None
    return Outreach(
        roles={r: Role(r, dict(x.title), x.area_level, tuple(x.can)) for r, x in spec.roles.items()},
        decision=spec.targeting.decision,
        intensive_decision=spec.targeting.intensive_decision,
        tier_output=spec.targeting.tier_output,
        interval_output=spec.targeting.interval_output,
        tiers={
            t: Tier(t, dict(x.title), x.interval_weeks, x.is_intensive, x.priority)
            for t, x in spec.tiers.items()
        },
        registered_per_nurse=spec.capacity.registered_per_nurse,
        visits_per_day=spec.capacity.visits_per_day,
        working_days=tuple(sorted({WEEKDAYS.index(d) for d in spec.capacity.working_days})),
        registries=Registries(
            spec.registries.population, spec.registries.link_on, spec.registries.area_column, registry_facts
        ),
        intake_kinds=dict(spec.intake.kinds),
        hospitals=dict(spec.intake.hospitals),
        intake_facts={str(k): v for k, v in spec.intake.facts.items()},
        sections=tuple(sections),
        questions=questions,
        consent_label=dict(consent.label),
        consent_fact=consent.fact,
        notes_label=dict(spec.visit_record.notes),
        onward_kinds=dict(spec.onward_referrals),
        indicators=dict(spec.indicators),
    )


def _registry_fact(
    builder: _PackBuilder, at: tuple[str | int, ...], name: str, raw: RegistryFactSpec | str
) -> RegistryFact | None:
    if isinstance(raw, str):
        check_sql_expression(builder, at, raw)
        return RegistryFact(name, expr=raw)
    aggregates = [k for k in ("list", "any", "latest") if getattr(raw, k) is not None]
    if raw.from_ is None:
        if raw.expr is None or aggregates or raw.order_by or raw.default:
            builder.problem(
                FILE,
                at,
                "a fact of the population register has only 'expr'",
                "write expr: <SQL>, or name the linked registry with from: <registry>",
            )
            return None
        check_sql_expression(builder, (*at, "expr"), raw.expr)
        return RegistryFact(name, expr=raw.expr)
    if raw.expr is not None or len(aggregates) != 1:
        builder.problem(
            FILE,
            at,
            f"a fact from '{raw.from_}' has exactly one of list, any or latest",
            "list: <SQL> (distinct values), any: <condition> (true on some row), latest: <SQL> with order_by",
        )
        return None
    kind = aggregates[0]
    value = getattr(raw, kind)
    check_sql_expression(builder, (*at, kind), value)
    if kind == "latest" and raw.order_by is None:
        builder.problem(FILE, (*at, "order_by"), "latest needs order_by", "add order_by: <date column>")
        return None
    if raw.order_by is not None:
        check_sql_expression(builder, (*at, "order_by"), raw.order_by)
    if raw.default is not None:
        check_sql_expression(builder, (*at, "default"), raw.default)
    return RegistryFact(
        name, source=raw.from_, aggregate=kind, value=value, order_by=raw.order_by, default=raw.default
    )


def outreach_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``outreach.yaml``, for `govreach packs schema`."""
    return OutreachFile.model_json_schema(by_alias=True)
