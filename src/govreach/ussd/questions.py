"""A pack's eligibility questions as a feature phone can ask them, and the answer in plain language.

Pure: reads a ``RuleSet`` only. The questions are the unit facts the main decision reads (directly or
through definitions) that a keypad can answer: booleans as 1 Yes / 2 No, numbers as typed digits, text
with a closed list of values as a numbered list, dates as DDMMYYYY. Member facts, lists and free text
cannot be asked; they are counted as skipped, and a decision that rests on them is only a guide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from govreach.rules import RuleSet, evaluate_unit
from govreach.rules.ast import names_in
from govreach.rules.evaluate import kleene_and, kleene_or
from govreach.rules.model import BOOLEAN, DATE, INTEGER, NUMBER, TEXT, Criterion, FieldSpec, Group, Texts

ASKABLE_TYPES = (BOOLEAN, INTEGER, NUMBER, DATE, TEXT)


@dataclass(frozen=True)
class Question:
    """One fact to ask: its name in the rules, its type and, for text, the values to choose from."""

    name: str
    type: str
    label: Texts
    unit: str | None = None
    choices: tuple[str, ...] = ()

    def parse(self, raw: str) -> object | None:
        """The typed value of what the person keyed in, or None when it does not answer the question."""
        raw = raw.strip()
        if self.type == BOOLEAN:
            return {"1": True, "2": False}.get(raw)
        if self.type in (INTEGER, NUMBER):
            if not raw.isdigit() or len(raw) > 12:
                return None
            return int(raw) if self.type == INTEGER else float(raw)
        if self.type == DATE:
            if len(raw) != 8 or not raw.isdigit():
                return None
            try:
                return dt.date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
            except ValueError:
                return None
        if self.type == TEXT and raw.isdigit() and 1 <= int(raw) <= len(self.choices):
            return self.choices[int(raw) - 1]
        return None


@dataclass(frozen=True)
class Questionnaire:
    """What the phone asks for one pack's main decision, and the facts it cannot ask."""

    pack_id: str
    decision_title: Texts
    questions: tuple[Question, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class EligibilityAnswer:
    """``outcome`` is yes, no or unsure; ``reason`` the first criterion's explanation that explains it."""

    outcome: str
    reason: str
    rests_on_skipped: bool


def _is_askable(spec: FieldSpec) -> bool:
    if spec.type not in ASKABLE_TYPES:
        return False
    return spec.type != TEXT or bool(spec.allowed)


def _facts_read(ruleset: RuleSet, names: Sequence[str], seen: set[str] | None = None) -> list[str]:
    """Input facts (unit or member) behind ``names``, following definitions, in order of first use."""
    seen = set() if seen is None else seen
    out: list[str] = []
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        if name in ruleset.definitions:
            out.extend(_facts_read(ruleset, names_in(ruleset.definitions[name].expr), seen))
        elif name in ruleset.inputs.unit_fields or name in ruleset.inputs.member_fields or name == "members":
            out.append(name)
    return out


def _criteria_of(ruleset: RuleSet, decision: str) -> list[Criterion]:
    return [n for d, n, _depth in ruleset.criteria() if d.name == decision and isinstance(n, Criterion)]


def questionnaire_for(pack_id: str, ruleset: RuleSet) -> Questionnaire:
    """The questions for ``ruleset``'s main decision, in the order its criteria read them."""
    names: list[str] = []
    for criterion in _criteria_of(ruleset, ruleset.main):
        names.extend(names_in(criterion.when))
    questions: list[Question] = []
    skipped: list[str] = []
    for fact in dict.fromkeys(_facts_read(ruleset, names)):
        spec = ruleset.inputs.unit_fields.get(fact)
        if spec is not None and _is_askable(spec):
            questions.append(Question(fact, spec.type, spec.description, spec.unit, spec.allowed or ()))
        elif fact != "members":
            skipped.append(fact)
    decision = ruleset.decisions[ruleset.main]
    return Questionnaire(pack_id, decision.title, tuple(questions), tuple(skipped))


def answers_parse(questionnaire: Questionnaire, raw_answers: Sequence[str]) -> dict[str, object]:
    """The facts given so far, by name (each raw answer already checked by ``Question.parse``)."""
    return {q.name: q.parse(raw) for q, raw in zip(questionnaire.questions, raw_answers, strict=False)}


def eligibility_answer(
    ruleset: RuleSet,
    questionnaire: Questionnaire,
    facts: Mapping[str, object],
    *,
    on: dt.date,
    language: str,
) -> EligibilityAnswer:
    """Decide with the facts given and say why in one sentence, from the criteria the person answered.

    A "no" that rests on a fact the phone could not ask is reported as unsure: the person may well
    qualify through what we did not ask (a member's benefit). ``rests_on_skipped`` says an unsure
    answer may change with those facts.
    """
    result = evaluate_unit(ruleset, dict(facts), on=on, language=language)
    skipped = set(questionnaire.skipped)
    reads_skipped = {
        c.id: bool(skipped & set(_facts_read(ruleset, names_in(c.when))))
        for c in _criteria_of(ruleset, ruleset.main)
    }
    leaves = [c for c in result.criteria if c.decision == result.main and c.kind == "criterion"]
    known = {c.id: (None if reads_skipped.get(c.id) and c.outcome is not True else c.outcome) for c in leaves}
    outcome = _combine(ruleset.decisions[ruleset.main].root, known)
    asked = [c for c in leaves if not reads_skipped.get(c.id)]
    if outcome is True:
        reason = next((c.explanation for c in leaves if c.outcome is True), "")
        return EligibilityAnswer("yes", reason, False)
    if outcome is False:
        reason = next((c.explanation for c in asked if c.outcome is False), "")
        return EligibilityAnswer("no", reason, False)
    # The reason: a criterion that failed on answers alone, then one that read an answer, then any.
    answered = {q.name for q in questionnaire.questions}
    reads_answered = {c.id for c in _criteria_of(ruleset, ruleset.main) if answered & set(names_in(c.when))}
    ranked = [c for c in asked if c.outcome is False]
    ranked += [c for c in leaves if c.outcome is False and c.id in reads_answered]
    ranked += [c for c in leaves if c.outcome is False] + [c for c in leaves if c.outcome is None]
    first = ranked[0] if ranked else None
    return EligibilityAnswer("unsure", first.explanation if first else "", bool(skipped))


def _combine(node: Group | Criterion, known: Mapping[str, bool | None]) -> bool | None:
    """The decision with every criterion that reads a skipped fact taken as unknown unless already met.

    A "no" then holds only when it would stay a "no" whatever the skipped facts say (three-valued logic).
    """
    if isinstance(node, Criterion):
        return known.get(node.id)
    values = [_combine(child, known) for child in node.children]
    return kleene_and(list(values)) if node.mode == "all" else kleene_or(list(values))
