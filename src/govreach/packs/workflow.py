"""``workflow.yaml``: the case workflow of an application service, as a checked state machine.

Roles (with the area level each works at), states (with deadlines and whom an overdue case escalates to),
transitions (who may take each, guarded by an expression in the rules language over the case's facts and
the pack's decisions, what the actor must give, which message the applicant gets), and the overall
deadline. ``rejection_requires_hearing`` names the fact that says the applicant was heard: every
rejecting transition must then be guarded by it, so that no pack can reject without a hearing.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govreach.packs.forms import check_expression, expression_scope
from govreach.rules import ast
from govreach.rules.evaluate import Evaluator, evaluate_unit
from govreach.rules.inputs import coerce_value
from govreach.rules.model import BOOLEAN, Group, RuleSet
from govreach.rules.trace import DecisionResult

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder

APPLICANT = "applicant"
SYSTEM = "system"
Requirement = Literal[
    "reason", "report", "notes", "hearing_at", "hearing_mode", "hearing_place", "heir_certificate_verified"
]
Effect = Literal["case_number", "hearing_scheduled", "hearing_held", "record"]
Outcome = Literal["approved", "rejected"]
EFFECT_REQUIRES: dict[str, tuple[str, ...]] = {"hearing_scheduled": ("hearing_at", "hearing_mode")}

_Texts = dict[
    Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")],
    Annotated[str, StringConstraints(min_length=1)],
]
_Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
_FactName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class RoleSpec(_Strict):
    """A staff role and the level of the area hierarchy its holders work at."""

    title: _Texts
    area_level: str = Field(description="One of service.yaml's area_levels, e.g. union.")


class StateSpec(_Strict):
    title: _Texts = Field(description="What staff see.")
    public_title: _Texts = Field(description="What the public tracking page shows.")
    deadline_days: int | None = Field(None, gt=0, description="Days a case may stay in this state.")
    escalate_to: _Id | None = Field(None, description="Role an overdue case in this state escalates to.")
    terminal: bool = False
    on_clock: bool = Field(True, description="Whether time here counts towards the overall deadline.")


class FeeSpec(_Strict):
    """A fee the applicant pays: its amount is a parameter, definition or output of rules.yaml."""

    title: _Texts
    amount: _Id = Field(description="Name in rules.yaml giving the amount in force, e.g. court_fee_tk.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    payable: _Id = Field(description="'application' (before submitting) or the state in which it is paid.")
    paid_fact: _FactName = Field(description="Number fact of rules.yaml that receives the amount paid.")
    paid_on_fact: _FactName | None = Field(None, description="Date fact that receives the payment date.")


class TransitionSpec(_Strict):
    """A step from one state (or several) to another, taken by one of ``by``."""

    id: _Id
    title: _Texts
    from_: _Id | list[_Id] = Field(alias="from")
    to: _Id
    by: _Id | list[_Id] = Field(description="Roles, or 'applicant' / 'system'.")
    guard: str | None = Field(None, description="Rules expression that must hold (decisions are facts).")
    requires: list[Requirement] = Field(default_factory=list, description="What the actor must give.")
    notify: _Id | None = Field(None, description="Message id sent to the applicant.")
    sets: dict[_FactName, Any] = Field(default_factory=dict, description="Case facts this step sets.")
    outcome: Outcome | None = Field(None, description="Records a decision with its reasons and rule trace.")
    effect: Effect | None = None


class WorkflowFile(_Strict):
    """``workflow.yaml``: roles, states, transitions and deadlines of the case."""

    initial: _Id
    deadline_days: int | None = Field(None, gt=0, description="Overall days from submission to decision.")
    escalate_to: _Id | None = Field(None, description="Role a case past the overall deadline escalates to.")
    rejection_requires_hearing: _FactName | None = Field(
        None, description="The fact that says the applicant was heard; every rejection must be guarded by it."
    )
    facts: dict[_FactName, Any] = Field(default_factory=dict, description="Case facts at submission.")
    fees: dict[_Id, FeeSpec] = Field(default_factory=dict, description="Fees by purpose, e.g. court_fee.")
    roles: dict[_Id, RoleSpec] = Field(min_length=1)
    states: dict[_Id, StateSpec] = Field(min_length=1)
    transitions: list[TransitionSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Role:
    id: str
    title: dict[str, str]
    area_level: str


@dataclass(frozen=True)
class State:
    id: str
    title: dict[str, str]
    public_title: dict[str, str]
    deadline_days: int | None = None
    escalate_to: str | None = None
    is_terminal: bool = False
    is_on_clock: bool = True


@dataclass(frozen=True)
class Fee:
    """A fee by purpose; ``payable`` is 'application' (before submitting) or a state id."""

    purpose: str
    title: dict[str, str]
    amount: str
    currency: str
    payable: str
    paid_fact: str
    paid_on_fact: str | None = None


@dataclass(frozen=True)
class Transition:
    """A checked transition; ``guard_expr`` is the parsed guard (None: always allowed)."""

    id: str
    title: dict[str, str]
    sources: tuple[str, ...]
    target: str
    by: tuple[str, ...]
    guard: str | None = None
    guard_expr: ast.Expr | None = None
    requires: tuple[str, ...] = ()
    notify: str | None = None
    sets: dict[str, object] = field(default_factory=dict)
    outcome: str | None = None
    effect: str | None = None

    @property
    def staff_roles(self) -> tuple[str, ...]:
        return tuple(r for r in self.by if r not in (APPLICANT, SYSTEM))


@dataclass(frozen=True)
class Workflow:
    """A loaded workflow. ``scope`` is the rule set guards are evaluated in (decisions as facts)."""

    initial: str
    roles: dict[str, Role]
    states: dict[str, State]
    transitions: dict[str, Transition]
    deadline_days: int | None = None
    escalate_to: str | None = None
    rejection_requires_hearing: str | None = None
    facts: dict[str, object] = field(default_factory=dict)
    fees: dict[str, Fee] = field(default_factory=dict)
    scope: RuleSet | None = field(default=None, compare=False, repr=False)

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions.values() if state in t.sources]

    def guard_holds(
        self, transition: Transition, ruleset: RuleSet, facts: Mapping[str, Any], *, on: dt.date
    ) -> tuple[bool, DecisionResult]:
        """Whether the guard holds on these case facts (unknown counts as not), and the rules' result."""
        known = {k: v for k, v in facts.items() if k in ruleset.inputs.unit_fields}
        result = evaluate_unit(ruleset, known, on=on)
        if transition.guard_expr is None or self.scope is None:
            return True, result
        unit: dict[str, object] = dict.fromkeys(self.scope.inputs.unit_fields)
        for name, value in known.items():
            unit[name] = coerce_value(ruleset.inputs.unit_fields[name], value)
        unit.update(result.decisions)
        value = Evaluator(self.scope, unit, [], on).eval(transition.guard_expr, None)
        return value is True, result


def load_workflow(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Workflow | None:
    """The pack's workflow, or None when the pack has no workflow.yaml; problems go on ``builder``."""
    file = "workflow.yaml"
    located = builder.load(file, required=False)
    if located is None:
        return None
    spec = builder.validate(file, WorkflowFile, located)
    if spec is None:
        return None
    return _build(builder, file, spec, ruleset, languages)


def _suggest(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean '{close[0]}'?" if close else f"{what}: {', '.join(known)}"


def _build(
    builder: _PackBuilder, file: str, spec: WorkflowFile, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Workflow | None:
    before = len(builder.problems)

    def require(at: tuple[str | int, ...], texts: dict[str, str] | None) -> None:
        builder.require_texts(file, at, texts, languages)

    states = list(spec.states)
    roles = list(spec.roles)
    actors = [*roles, APPLICANT, SYSTEM]

    def check_state(at: tuple[str | int, ...], name: str) -> None:
        if name not in spec.states:
            builder.problem(file, at, f"no state '{name}'", _suggest(name, states, "states"))

    def check_role(at: tuple[str | int, ...], name: str | None, *, staff_only: bool = True) -> None:
        known = roles if staff_only else actors
        if name is not None and name not in known:
            builder.problem(file, at, f"no role '{name}'", _suggest(name, known, "roles"))

    levels = builder.area_levels()
    for role_id, role in spec.roles.items():
        require(("roles", role_id, "title"), role.title)
        if levels is not None and role.area_level not in levels:
            builder.problem(
                file,
                ("roles", role_id, "area_level"),
                f"unknown area level '{role.area_level}'",
                f"use one of service.yaml's area_levels: {', '.join(levels)}",
            )
    for state_id, state in spec.states.items():
        require(("states", state_id, "title"), state.title)
        require(("states", state_id, "public_title"), state.public_title)
        check_role(("states", state_id, "escalate_to"), state.escalate_to)
        if state.terminal and state.deadline_days is not None:
            builder.problem(
                file,
                ("states", state_id, "deadline_days"),
                "a final state has no deadline",
                "remove deadline_days or terminal",
            )
    check_state(("initial",), spec.initial)
    check_role(("escalate_to",), spec.escalate_to)
    if spec.deadline_days is not None and spec.escalate_to is None:
        builder.problem(
            file,
            ("deadline_days",),
            "an overall deadline needs someone to escalate overdue cases to",
            "add escalate_to: <role>",
        )

    facts = ruleset.inputs.unit_fields if ruleset is not None else None
    decision_names = list(ruleset.decisions) if ruleset is not None else []
    scope = expression_scope(ruleset, dict.fromkeys(decision_names, BOOLEAN))

    def check_sets(at: tuple[str | int, ...], sets: Mapping[str, Any]) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, raw in sets.items():
            if facts is None:
                out[name] = raw
                continue
            if name not in facts:
                builder.problem(
                    file,
                    (*at, name),
                    f"no input fact '{name}' in rules.yaml",
                    _suggest(name, list(facts), "facts"),
                )
                continue
            try:
                out[name] = coerce_value(facts[name], raw)
            except ValueError as exc:
                builder.problem(file, (*at, name), f"{exc} for '{name}' ({facts[name].type})")
        return out

    initial_facts = check_sets(("facts",), spec.facts)
    transitions: dict[str, Transition] = {}
    for i, t in enumerate(spec.transitions):
        at: tuple[str | int, ...] = ("transitions", i)
        if t.id in transitions:
            builder.problem(file, (*at, "id"), f"the transition id '{t.id}' is used twice", "rename one")
        require((*at, "title"), t.title)
        sources = (t.from_,) if isinstance(t.from_, str) else tuple(t.from_)
        for j, source in enumerate(sources):
            check_state((*at, "from") if isinstance(t.from_, str) else (*at, "from", j), source)
            if source in spec.states and spec.states[source].terminal:
                builder.problem(
                    file,
                    (*at, "from"),
                    f"'{source}' is a final state: nothing may leave it",
                    f"remove '{source}' from 'from', or make it not terminal",
                )
        check_state((*at, "to"), t.to)
        by = (t.by,) if isinstance(t.by, str) else tuple(t.by)
        for j, actor in enumerate(by):
            check_role((*at, "by") if isinstance(t.by, str) else (*at, "by", j), actor, staff_only=False)
        guard_expr = check_expression(builder, file, (*at, "guard"), t.guard, scope) if t.guard else None
        for needed in EFFECT_REQUIRES.get(t.effect or "", ()):
            if needed not in t.requires:
                builder.problem(
                    file,
                    (*at, "requires"),
                    f"effect '{t.effect}' needs '{needed}'",
                    f"add {needed} to requires",
                )
        if t.outcome is not None and "reason" not in t.requires:
            builder.problem(
                file,
                (*at, "requires"),
                "a decision must give its reasons",
                "add reason to requires",
            )
        transitions.setdefault(
            t.id,
            Transition(
                id=t.id,
                title=dict(t.title),
                sources=sources,
                target=t.to,
                by=by,
                guard=t.guard,
                guard_expr=guard_expr,
                requires=tuple(t.requires),
                notify=t.notify,
                sets=check_sets((*at, "sets"), t.sets),
                outcome=t.outcome,
                effect=t.effect,
            ),
        )

    fees = _check_fees(builder, file, spec, ruleset, require)
    _check_graph(builder, file, spec, list(transitions.values()))
    if spec.rejection_requires_hearing is not None:
        _check_hearing(builder, file, spec, ruleset, list(transitions.values()))
    if len(builder.problems) > before:
        return None
    return Workflow(
        initial=spec.initial,
        roles={r: Role(r, dict(s.title), s.area_level) for r, s in spec.roles.items()},
        states={
            s: State(
                s, dict(x.title), dict(x.public_title), x.deadline_days, x.escalate_to, x.terminal, x.on_clock
            )
            for s, x in spec.states.items()
        },
        transitions=transitions,
        deadline_days=spec.deadline_days,
        escalate_to=spec.escalate_to,
        rejection_requires_hearing=spec.rejection_requires_hearing,
        facts=initial_facts,
        fees=fees,
        scope=scope,
    )


def _check_fees(
    builder: _PackBuilder, file: str, spec: WorkflowFile, ruleset: RuleSet | None, require: Any
) -> dict[str, Fee]:
    fees: dict[str, Fee] = {}
    for purpose, fee in spec.fees.items():
        at: tuple[str | int, ...] = ("fees", purpose)
        require((*at, "title"), fee.title)
        if fee.payable != "application" and fee.payable not in spec.states:
            builder.problem(
                file,
                (*at, "payable"),
                f"no state '{fee.payable}'",
                _suggest(fee.payable, ["application", *spec.states], "use 'application' or a state"),
            )
        if ruleset is not None:
            names = [*ruleset.parameters, *ruleset.definitions, *ruleset.outputs]
            if fee.amount not in names:
                builder.problem(
                    file, (*at, "amount"), f"no parameter, definition or output '{fee.amount}'",
                    _suggest(fee.amount, names, "names"),
                )  # fmt: skip
            facts = ruleset.inputs.unit_fields
            for key, wanted in (("paid_fact", ("number", "integer")), ("paid_on_fact", ("date",))):
                name = getattr(fee, key)
                if name is None:
                    continue
                if name not in facts:
                    builder.problem(file, (*at, key), f"no input fact '{name}' in rules.yaml",
                                    _suggest(name, list(facts), "facts"))  # fmt: skip
                elif facts[name].type not in wanted:
                    builder.problem(file, (*at, key), f"'{name}' is {facts[name].type}, not {wanted[0]}")
        fees[purpose] = Fee(purpose, dict(fee.title), fee.amount, fee.currency, fee.payable,
                            fee.paid_fact, fee.paid_on_fact)  # fmt: skip
    return fees


def _check_graph(builder: _PackBuilder, file: str, spec: WorkflowFile, transitions: list[Transition]) -> None:
    """Every state is reachable from the initial one; every state that is not final has a way out."""
    if spec.initial not in spec.states:
        return
    reached = {spec.initial}
    frontier = [spec.initial]
    while frontier:
        current = frontier.pop()
        for t in transitions:
            if current in t.sources and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    for state_id, state in spec.states.items():
        if state_id not in reached:
            builder.problem(
                file,
                ("states", state_id),
                f"the state '{state_id}' cannot be reached from '{spec.initial}'",
                "add a transition to it, or remove it",
            )
        elif not state.terminal and not any(state_id in t.sources for t in transitions):
            builder.problem(
                file,
                ("states", state_id),
                f"a case in '{state_id}' could never move on",
                "add a transition from it, or mark it terminal: true",
            )


def _depends_on(expr: ast.Expr, fact: str, ruleset: RuleSet | None, seen: set[str] | None = None) -> bool:
    """Whether ``expr`` reads ``fact``, directly or through a definition or a decision of the rules."""
    seen = set() if seen is None else seen
    for name in ast.names_in(expr):
        if name == fact:
            return True
        if ruleset is None or name in seen:
            continue
        seen.add(name)
        if name in ruleset.definitions and _depends_on(ruleset.definitions[name].expr, fact, ruleset, seen):
            return True
        if name in ruleset.decisions:
            stack: list[Any] = [ruleset.decisions[name].root]
            while stack:
                node = stack.pop()
                if isinstance(node, Group):
                    stack.extend(node.children)
                elif _depends_on(node.when, fact, ruleset, seen):
                    return True
    return False


def _check_hearing(
    builder: _PackBuilder,
    file: str,
    spec: WorkflowFile,
    ruleset: RuleSet | None,
    transitions: list[Transition],
) -> None:
    fact = spec.rejection_requires_hearing
    assert fact is not None
    if ruleset is not None and fact not in ruleset.inputs.unit_fields:
        builder.problem(
            file,
            ("rejection_requires_hearing",),
            f"no input fact '{fact}' in rules.yaml",
            _suggest(fact, list(ruleset.inputs.unit_fields), "facts"),
        )
        return
    if not any(t.sets.get(fact) is True for t in transitions):
        builder.problem(
            file,
            ("rejection_requires_hearing",),
            f"no transition sets '{fact}' to true, so no case could ever be rejected",
            f"add 'sets: {{{fact}: true}}' to the transition that records the hearing",
        )
    for i, t in enumerate(transitions):
        if t.outcome != "rejected":
            continue
        if t.guard_expr is None or not _depends_on(t.guard_expr, fact, ruleset):
            builder.problem(
                file,
                ("transitions", i, "guard") if t.guard else ("transitions", i),
                f"the rejection '{t.id}' is not guarded by the hearing ('{fact}')",
                f"add guard: {fact} (or a decision of rules.yaml that requires it)",
            )


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``workflow.yaml``, for `govreach packs schema`."""
    return WorkflowFile.model_json_schema(by_alias=True)
