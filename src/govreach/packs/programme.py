"""``programme.yaml``: a programme with capped places, declared once: who works it, the cohort, how
places are allocated, attendance alerts, mock exams and outcomes.

- ``roles``: staff roles (title per language, the area level they work at, what they may do, and whether
  they see the whole cohort or only the class groups they teach).
- ``cohort``: the parameter (or output) of rules.yaml giving the places, the learning hubs with their
  capacity, the size of a class group and the session calendar (weekday, times, date range).
- ``eligibility``: the decision of rules.yaml that says who may enrol, and the output that orders priority.
- ``allocation``: priority descending, then a lottery whose seed is published: each student's public key
  is hashed as SHA-256(seed + ":" + key) and ties go to the smaller hash, so anyone can re-run it.
- ``waiting_list``: whether a freed place goes to the first on the waiting list, and until when.
- ``attendance_alert``: after N consecutive or M total absences, contact the guardian (a message id).
- ``mock_exams`` and ``outcomes``: the exams whose scores are tracked, and what counts as enrolled,
  sat and passed, reported against both denominators.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder
    from govreach.rules.model import RuleSet

FILE = "programme.yaml"
LOTTERY_PROCEDURE = "sha256(seed:key)"
Capability = Literal[
    "register",
    "view_cohort",
    "allocate",
    "manage_classes",
    "record_attendance",
    "record_scores",
    "record_outcomes",
]
CAPABILITIES: tuple[str, ...] = Capability.__args__  # type: ignore[attr-defined]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = Weekday.__args__  # type: ignore[attr-defined]
AllocationStatus = Literal["allocated", "waiting", "declined", "withdrawn"]

_Texts = dict[
    Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")],
    Annotated[str, StringConstraints(min_length=1)],
]
_Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
_HubId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
_Time = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
_MonthDay = Annotated[str, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]
_MONTH_DAY = re.compile(r"^(\d\d)-(\d\d)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class RoleSpec(_Strict):
    """A staff role of the programme: what its holders may do, and over whom."""

    title: _Texts
    area_level: str = Field(description="One of service.yaml's area_levels, e.g. municipality.")
    can: list[Capability] = Field(min_length=1, description="What holders may do.")
    scope: Literal["cohort", "own_classes"] = Field(
        "cohort", description="'own_classes': holders see only the class groups they teach."
    )


class HubSpec(_Strict):
    """A learning hub where classes meet, and how many students it can take."""

    id: _HubId
    title: _Texts
    capacity: int = Field(gt=0, description="Most students the hub can take in one cohort.")


class CalendarSpec(_Strict):
    """When sessions meet: one weekday, a time span, between two days of the cohort's year."""

    weekday: Weekday
    starts_at: _Time = Field(description="HH:MM, e.g. 08:00.")
    ends_at: _Time = Field(description="HH:MM, later than starts_at.")
    from_: _MonthDay = Field(alias="from", description="MM-DD in the cohort's year, e.g. 04-01.")
    to: _MonthDay = Field(description="MM-DD in the cohort's year, e.g. 11-30.")


class CohortSpec(_Strict):
    """The template every year's cohort is made from."""

    places: _Id = Field(description="Parameter or output of rules.yaml giving the year's places.")
    class_size: int = Field(gt=0, description="Students per class group (one teacher each).")
    hubs: list[HubSpec] = Field(min_length=1)
    calendar: CalendarSpec


class EligibilitySpec(_Strict):
    decision: _Id = Field(description="Decision of rules.yaml: who may enrol.")
    priority: _Id = Field(description="Output of rules.yaml ordering priority, highest first.")


class AllocationSpec(_Strict):
    """How capped places are filled; the procedure is fixed so that anyone can re-run it."""

    order: Literal["priority_then_lottery"] = Field(
        description="Priority descending, then the lottery; ties are broken only by the lottery."
    )
    lottery: Literal["sha256(seed:key)"] = Field(
        description="Each key's lottery number is SHA-256 of seed + ':' + key, in hex; smaller comes first."
    )
    hub: Literal["school_hub_then_most_free"] = Field(
        "school_hub_then_most_free",
        description="A student goes to their school's hub while it has room, else to the hub with most room.",
    )
    notify: dict[Literal["allocated", "waiting", "moved_up"], _Id] = Field(
        default_factory=dict, description="Message id the guardian gets for each result."
    )


class WaitingListSpec(_Strict):
    moves_up: bool = Field(description="A freed place goes to the first on the waiting list.")
    closes_on: _MonthDay | None = Field(
        None, description="MM-DD of the cohort's year after which freed places stay empty."
    )


class AttendanceAlertSpec(_Strict):
    """When to contact a student's guardian; one message per run of absences."""

    consecutive_absences: int = Field(gt=0)
    total_absences: int = Field(gt=0)
    message: _Id = Field(description="Message id in messages/<lang>.yaml.")
    channel: Literal["sms", "email"] = "sms"


class MockExamSpec(_Strict):
    id: _Id
    title: _Texts
    max_score: int = Field(gt=0)


class InstitutionSpec(_Strict):
    id: _Id
    title: _Texts


class OutcomesSpec(_Strict):
    """What the programme reports at the end: sat and passed, against both denominators."""

    enrolled: list[AllocationStatus] = Field(
        min_length=1, description="Allocation statuses counted as enrolled, e.g. [allocated, withdrawn]."
    )
    institutions: list[InstitutionSpec] = Field(min_length=1, description="Where a pass takes a student.")
    denominators: list[Literal["enrolled", "sat"]] = Field(
        min_length=2, description="Both: a pass rate among those who sat hides those who never did."
    )


class ProgrammeFile(_Strict):
    """``programme.yaml``."""

    roles: dict[_Id, RoleSpec] = Field(min_length=1)
    cohort: CohortSpec
    eligibility: EligibilitySpec
    allocation: AllocationSpec
    waiting_list: WaitingListSpec
    attendance_alert: AttendanceAlertSpec
    mock_exams: list[MockExamSpec] = Field(default_factory=list)
    outcomes: OutcomesSpec


# --- the loaded programme --------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    id: str
    title: dict[str, str]
    area_level: str
    can: tuple[str, ...]
    is_own_classes_only: bool


@dataclass(frozen=True)
class Hub:
    id: str
    title: dict[str, str]
    capacity: int


@dataclass(frozen=True)
class Calendar:
    weekday: int  # Monday 0 .. Sunday 6, as dt.date.weekday()
    starts_at: dt.time
    ends_at: dt.time
    from_month_day: tuple[int, int]
    to_month_day: tuple[int, int]

    def dates_in(self, year: int) -> list[dt.date]:
        """Every session day of ``year``'s cohort, in order."""
        first = dt.date(year, *self.from_month_day)
        last = dt.date(year, *self.to_month_day)
        day = first + dt.timedelta(days=(self.weekday - first.weekday()) % 7)
        out: list[dt.date] = []
        while day <= last:
            out.append(day)
            day += dt.timedelta(days=7)
        return out


@dataclass(frozen=True)
class MockExam:
    id: str
    title: dict[str, str]
    max_score: int


@dataclass(frozen=True)
class Programme:
    """A checked ``programme.yaml``."""

    roles: dict[str, Role]
    places: str
    class_size: int
    hubs: tuple[Hub, ...]
    calendar: Calendar
    eligibility_decision: str
    priority_output: str
    lottery: str
    notify: dict[str, str]
    waiting_list_moves_up: bool
    waiting_list_closes_on: tuple[int, int] | None
    alert_consecutive: int
    alert_total: int
    alert_message: str
    alert_channel: str
    mock_exams: tuple[MockExam, ...]
    enrolled_statuses: tuple[str, ...]
    institutions: dict[str, dict[str, str]]

    def roles_that_can(self, capability: str) -> list[str]:
        return [r.id for r in self.roles.values() if capability in r.can]

    def hub(self, hub_id: str) -> Hub | None:
        return next((h for h in self.hubs if h.id == hub_id), None)

    def mock_exam(self, exam_id: str) -> MockExam | None:
        return next((e for e in self.mock_exams if e.id == exam_id), None)

    def waiting_list_open_on(self, day: dt.date, *, year: int) -> bool:
        """Whether a place freed on ``day`` still goes to the waiting list of ``year``'s cohort."""
        if not self.waiting_list_moves_up:
            return False
        return self.waiting_list_closes_on is None or day <= dt.date(year, *self.waiting_list_closes_on)


def _month_day(text: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text)
    assert match is not None
    return int(match.group(1)), int(match.group(2))


def _suggest(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean '{close[0]}'?" if close else f"{what}: {', '.join(known) or '(none)'}"


def load_programme(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Programme | None:
    """The pack's programme declaration, or None when it has no programme.yaml; problems go on ``builder``."""
    located = builder.load(FILE, required=False)
    if located is None:
        return None
    spec: ProgrammeFile | None = builder.validate(FILE, ProgrammeFile, located)
    if spec is None:
        return None
    before = len(builder.problems)
    _check(builder, path, spec, ruleset, languages)
    if len(builder.problems) > before:
        return None
    cal = spec.cohort.calendar
    return Programme(
        roles={
            rid: Role(rid, dict(r.title), r.area_level, tuple(r.can), r.scope == "own_classes")
            for rid, r in spec.roles.items()
        },
        places=spec.cohort.places,
        class_size=spec.cohort.class_size,
        hubs=tuple(Hub(h.id, dict(h.title), h.capacity) for h in spec.cohort.hubs),
        calendar=Calendar(
            WEEKDAYS.index(cal.weekday),
            dt.time.fromisoformat(cal.starts_at),
            dt.time.fromisoformat(cal.ends_at),
            _month_day(cal.from_),
            _month_day(cal.to),
        ),
        eligibility_decision=spec.eligibility.decision,
        priority_output=spec.eligibility.priority,
        lottery=spec.allocation.lottery,
        notify={str(k): v for k, v in spec.allocation.notify.items()},
        waiting_list_moves_up=spec.waiting_list.moves_up,
        waiting_list_closes_on=(
            _month_day(spec.waiting_list.closes_on) if spec.waiting_list.closes_on else None
        ),
        alert_consecutive=spec.attendance_alert.consecutive_absences,
        alert_total=spec.attendance_alert.total_absences,
        alert_message=spec.attendance_alert.message,
        alert_channel=spec.attendance_alert.channel,
        mock_exams=tuple(MockExam(e.id, dict(e.title), e.max_score) for e in spec.mock_exams),
        enrolled_statuses=tuple(spec.outcomes.enrolled),
        institutions={i.id: dict(i.title) for i in spec.outcomes.institutions},
    )


def _message_ids(path: Path, languages: tuple[str, ...]) -> set[str] | None:
    """Message ids of the pack's first language file, or None when it has no messages/ folder."""
    import yaml

    folder = path / "messages"
    if not folder.is_dir():
        return None
    for lang in languages:
        file = folder / f"{lang}.yaml"
        if file.exists():
            try:
                data = yaml.safe_load(file.read_text(encoding="utf-8"))
            except yaml.YAMLError:
                return None  # the messages loader reports the syntax error with its line
            return {str(k) for k in data} if isinstance(data, dict) else set()
    return set()


def _check(
    builder: _PackBuilder,
    path: Path,
    spec: ProgrammeFile,
    ruleset: RuleSet | None,
    languages: tuple[str, ...],
) -> None:
    def require(at: tuple[str | int, ...], texts: dict[str, str]) -> None:
        builder.require_texts(FILE, at, texts, languages)

    levels = builder.area_levels()
    for rid, role in spec.roles.items():
        require(("roles", rid, "title"), role.title)
        if levels is not None and role.area_level not in levels:
            builder.problem(
                FILE,
                ("roles", rid, "area_level"),
                f"unknown area level '{role.area_level}'",
                f"use one of service.yaml's area_levels: {', '.join(levels)}",
            )
    for capability in ("register", "allocate", "record_attendance"):
        if not any(capability in r.can for r in spec.roles.values()):
            builder.problem(
                FILE,
                ("roles",),
                f"no role can '{capability}'",
                f"add {capability} to the 'can' list of a role (coordinator, for example)",
            )

    seen: set[str] = set()
    for i, hub in enumerate(spec.cohort.hubs):
        require(("cohort", "hubs", i, "title"), hub.title)
        if hub.id in seen:
            builder.problem(
                FILE, ("cohort", "hubs", i, "id"), f"the hub id '{hub.id}' is used twice", "rename one"
            )
        seen.add(hub.id)
    cal = spec.cohort.calendar
    if cal.ends_at <= cal.starts_at:
        builder.problem(
            FILE,
            ("cohort", "calendar", "ends_at"),
            f"sessions end at {cal.ends_at}, not after {cal.starts_at}",
            "give ends_at a later time than starts_at",
        )
    for key, text in (("from", cal.from_), ("to", cal.to)):
        try:
            dt.date(2024, *_month_day(text))  # a leap year, so that 02-29 is allowed
        except ValueError:
            builder.problem(
                FILE, ("cohort", "calendar", key), f"'{text}' is not a day of the year", "use MM-DD"
            )
    if cal.to < cal.from_:
        builder.problem(
            FILE,
            ("cohort", "calendar", "to"),
            f"the calendar ends ({cal.to}) before it starts ({cal.from_})",
            "a cohort's sessions fall within one calendar year: use from <= to",
        )
    mock_ids = [e.id for e in spec.mock_exams]
    for i, exam in enumerate(spec.mock_exams):
        require(("mock_exams", i, "title"), exam.title)
        if mock_ids.count(exam.id) > 1 and mock_ids.index(exam.id) != i:
            builder.problem(
                FILE, ("mock_exams", i, "id"), f"the exam id '{exam.id}' is used twice", "rename one"
            )
    for i, inst in enumerate(spec.outcomes.institutions):
        require(("outcomes", "institutions", i, "title"), inst.title)
    if sorted(set(spec.outcomes.denominators)) != ["enrolled", "sat"]:
        builder.problem(
            FILE,
            ("outcomes", "denominators"),
            "outcomes must be reported against both denominators",
            "write denominators: [enrolled, sat]",
        )
    if spec.attendance_alert.total_absences < spec.attendance_alert.consecutive_absences:
        builder.problem(
            FILE,
            ("attendance_alert", "total_absences"),
            "fewer total absences than consecutive ones: the consecutive rule could never fire first",
            "make total_absences at least consecutive_absences",
        )

    if ruleset is not None:
        names = [*ruleset.parameters, *ruleset.outputs]
        if spec.cohort.places not in names:
            builder.problem(
                FILE,
                ("cohort", "places"),
                f"no parameter or output '{spec.cohort.places}' in rules.yaml",
                _suggest(spec.cohort.places, names, "parameters and outputs"),
            )
        decisions = list(ruleset.decisions)
        if spec.eligibility.decision not in decisions:
            builder.problem(
                FILE,
                ("eligibility", "decision"),
                f"no decision '{spec.eligibility.decision}' in rules.yaml",
                _suggest(spec.eligibility.decision, decisions, "decisions"),
            )
        outputs = list(ruleset.outputs)
        if spec.eligibility.priority not in outputs:
            builder.problem(
                FILE,
                ("eligibility", "priority"),
                f"no output '{spec.eligibility.priority}' in rules.yaml",
                _suggest(spec.eligibility.priority, outputs, "outputs"),
            )
        elif ruleset.types.get(spec.eligibility.priority) not in (None, "integer", "number"):
            builder.problem(
                FILE,
                ("eligibility", "priority"),
                f"'{spec.eligibility.priority}' is {ruleset.types[spec.eligibility.priority]}, not a number",
                "name an output that computes a number (a score)",
            )

    wanted: list[tuple[tuple[str | int, ...], str]] = [
        (("attendance_alert", "message"), spec.attendance_alert.message)
    ]
    wanted += [(("allocation", "notify", k), v) for k, v in spec.allocation.notify.items()]
    known = _message_ids(path, languages)
    for at, message_id in wanted:
        if known is None:
            builder.problem(
                FILE,
                at,
                f"the message '{message_id}' needs a messages/ folder",
                f"create messages/<lang>.yaml for {', '.join(languages)} with '{message_id}'",
            )
        elif message_id not in known:
            builder.problem(
                FILE,
                at,
                f"no message '{message_id}' in messages/",
                _suggest(message_id, sorted(known), "messages"),
            )


def programme_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``programme.yaml``, for `govreach packs schema`."""
    return ProgrammeFile.model_json_schema(by_alias=True)
