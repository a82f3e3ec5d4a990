"""Writes for programme enrolment; each owns its transaction.

Eligibility and priority come from the pack's rules: one student at a time with the full trace
(``registration_create``), or a school's whole list through the compiled rules in DuckDB
(``registration_create_batch``). Places are allocated by ``programme_allocate`` with the published
procedure of ``govreach.programmes.lottery``; a freed place moves the waiting list up
(``allocation_free``). Attendance is taken for a whole class at once and tells the guardian, once per
run of absences, when the pack's alert rule is met. Messages go through the outbox, in the same
transaction as the change that caused them.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from govreach.catalogue.selectors import active_pack
from govreach.notify.services import outbox_enqueue
from govreach.packs.loader import Pack, text_in
from govreach.packs.programme import Programme
from govreach.programmes.lottery import PROCEDURE, Ranked, allocation_order
from govreach.programmes.models import (
    AbsenceAlert,
    Allocation,
    Attendance,
    ClassGroup,
    Cohort,
    Hub,
    MockExam,
    Outcome,
    Registration,
    Score,
    Session,
)
from govreach.registry.models import Area, Person
from govreach.rules import compile_batch, evaluate_unit
from govreach.rules.compile import column_for_criterion, column_for_decision, column_for_output
from govreach.rules.inputs import UnitInputError, coerce_unit
from govreach.rules.model import BOOLEAN, DATE, INTEGER, NUMBER, TEXT, RuleSet

logger = logging.getLogger(__name__)

KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on a phone
_DUCKDB_TYPES = {TEXT: "VARCHAR", INTEGER: "BIGINT", NUMBER: "DOUBLE", BOOLEAN: "BOOLEAN", DATE: "DATE"}


class ProgrammeError(Exception):
    """A programme action was refused; the message says why, in words fit for a page."""


class RegistrationRefused(ProgrammeError):
    """The registration cannot be taken (facts wrong, cohort closed, already registered)."""

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})


def programme_of(pack: Pack) -> Programme:
    """The pack's programme declaration; ProgrammeError when the pack declares none."""
    programme = pack.programme
    if not isinstance(programme, Programme):
        raise ProgrammeError(f"the service '{pack.id}' is not a programme: it has no programme.yaml")
    return programme


def _places_for(pack: Pack, programme: Programme, year: int) -> int:
    on = dt.date(year, 1, 1)
    ruleset = pack.ruleset
    if programme.places in ruleset.parameters:
        value = ruleset.parameters[programme.places].value_on(on)
        if value is None:
            raise ProgrammeError(f"no value of '{programme.places}' is in force in {year}")
        return _whole(value.value, programme.places)
    result = evaluate_unit(ruleset, {}, on=on)
    return _whole(result.outputs[programme.places], programme.places)


def _whole(value: object, name: str) -> int:
    if not isinstance(value, int | float):
        raise ProgrammeError(f"'{name}' does not give a number of places")
    return int(value)


# --- cohorts ---------------------------------------------------------------------------------------


@transaction.atomic
def cohort_create(*, pack_id: str, year: int, area: Area, places: int | None = None) -> Cohort:
    """The year's cohort of a programme pack, with its hubs and mock exams; the same one if it exists.

    ``places`` defaults to the pack's places parameter in force on 1 January of ``year``.
    """
    existing = Cohort.objects.filter(pack_id=pack_id, year=year).first()
    if existing is not None:
        return existing
    pack = active_pack(pack_id)
    programme = programme_of(pack)
    cohort = Cohort.objects.create(
        pack_id=pack_id,
        year=year,
        area=area,
        places=places if places is not None else _places_for(pack, programme, year),
    )
    Hub.objects.bulk_create(
        Hub(cohort=cohort, code=h.id, titles=h.title, capacity=h.capacity) for h in programme.hubs
    )
    MockExam.objects.bulk_create(
        MockExam(cohort=cohort, exam_id=e.id, titles=e.title, max_score=e.max_score, order=i)
        for i, e in enumerate(programme.mock_exams)
    )
    logger.info("cohort %s created for %s %s", cohort.pk, pack_id, year)
    return cohort


@transaction.atomic
def session_plan(*, cohort: Cohort, dates: Sequence[dt.date] | None = None) -> int:
    """Create the sessions of every class group on the pack's calendar days (or ``dates``); idempotent."""
    programme = programme_of(active_pack(cohort.pack_id))
    days = list(dates) if dates is not None else programme.calendar.dates_in(cohort.year)
    rows = [
        Session(
            cohort=cohort,
            class_group=group,
            hub_id=group.hub_id,
            held_on=day,
            starts_at=programme.calendar.starts_at,
            ends_at=programme.calendar.ends_at,
        )
        for group in cohort.class_groups.all()
        for day in days
    ]
    before = Session.objects.filter(cohort=cohort).count()
    Session.objects.bulk_create(rows, ignore_conflicts=True)
    return Session.objects.filter(cohort=cohort).count() - before


@transaction.atomic
def class_group_assign_teacher(*, class_group: ClassGroup, teacher: User | None) -> ClassGroup:
    """Give the class group its teacher (or none)."""
    class_group.teacher = teacher
    class_group.save(update_fields=["teacher"])
    return class_group


# --- registration ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentIdentity:
    """Who the student is, as the school's list or the self-registration form gives it."""

    given_name: str
    family_name: str
    birth_date: dt.date | None = None
    national_id: str = ""


@dataclass(frozen=True)
class StudentRow:
    """One line of a school's list: the student, their guardian's contact, school and the rules' facts."""

    identity: StudentIdentity
    facts: Mapping[str, object]
    guardian_phone: str = ""
    school_code: str = ""
    school_name: str = ""
    hub_code: str = ""


def _new_key(cohort: Cohort, taken: set[str]) -> str:
    while True:
        raw = "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))
        key = f"{raw[:4]}-{raw[4:]}"
        if key not in taken and not Registration.objects.filter(cohort=cohort, key=key).exists():
            taken.add(key)
            return key


def _person_for(identity: StudentIdentity) -> Person:
    """The registry person with this national id, else the one with this name and birth date, else new."""
    if identity.national_id:
        person = Person.objects.filter(national_id=identity.national_id).first()
        if person is not None:
            return person
    if identity.birth_date is not None:
        person = Person.objects.filter(
            given_name__iexact=identity.given_name,
            family_name__iexact=identity.family_name,
            birth_date=identity.birth_date,
        ).first()
        if person is not None:
            return person
    return Person.objects.create(
        national_id=identity.national_id or None,
        given_name=identity.given_name,
        family_name=identity.family_name,
        birth_date=identity.birth_date,
    )


def _open_cohort(cohort: Cohort) -> None:
    if cohort.status != Cohort.Status.OPEN:
        raise RegistrationRefused("Registration for this cohort is closed: its places are allocated.")


def _checked_facts(ruleset: RuleSet, facts: Mapping[str, object]) -> dict[str, object]:
    """The facts typed as the rules declare them; RegistrationRefused naming every wrong one."""
    try:
        values, _members = coerce_unit(ruleset.inputs, facts)
    except UnitInputError as exc:
        problems = {p.field: p.message for p in exc.problems}
        raise RegistrationRefused("Some facts are not valid.", problems) from None
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def registration_create(
    *,
    cohort: Cohort,
    identity: StudentIdentity,
    facts: Mapping[str, object],
    channel: str,
    registered_by: User | None,
    guardian_phone: str = "",
    school_code: str = "",
    school_name: str = "",
    hub_code: str = "",
    language: str = "",
    on: dt.date | None = None,
) -> Registration:
    """Register one student: eligibility and priority from the pack's rules, with the full trace."""
    pack = active_pack(cohort.pack_id)
    programme = programme_of(pack)
    decided_on = on or timezone.localdate()
    typed = _checked_facts(pack.ruleset, facts)
    result = evaluate_unit(pack.ruleset, typed, on=decided_on, language=language or pack.languages[0])
    is_eligible = result.decisions[programme.eligibility_decision]
    priority = float(result.outputs.get(programme.priority_output) or 0)  # type: ignore[arg-type]
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update(of=("self",)).get(pk=cohort.pk)
        _open_cohort(cohort)
        student = _person_for(identity)
        if Registration.objects.filter(cohort=cohort, student=student).exists():
            raise RegistrationRefused("This student is already registered for this cohort.")
        registration = Registration.objects.create(
            cohort=cohort,
            student=student,
            key=_new_key(cohort, set()),
            guardian_phone=guardian_phone,
            school_code=school_code,
            school_name=school_name,
            hub_code=hub_code,
            channel=channel,
            registered_by=registered_by,
            language=language or pack.languages[0],
            facts=typed,
            is_eligible=is_eligible,
            priority_score=priority if is_eligible else 0,
            decision={"engine": "single", **result.to_dict()},
            decided_on=decided_on,
        )
    logger.info("registration %s created (%s)", registration.pk, channel)
    return registration


@dataclass(frozen=True)
class BatchResult:
    """What a school's list came to: the registrations made, and the lines refused with the reason."""

    created: list[Registration]
    refused: dict[int, str] = field(default_factory=dict)  # 1-based line -> reason


def batch_decide(
    ruleset: RuleSet, facts: Sequence[Mapping[str, object]], *, on: dt.date
) -> list[dict[str, Any]]:
    """Decide every unit of ``facts`` with the rules compiled to SQL and run in DuckDB, in input order.

    Each result holds ``decisions``, ``criteria`` (id -> outcome) and ``outputs``; no Python loop
    evaluates a rule.
    """
    fields = ruleset.inputs.unit_fields
    con = duckdb.connect()
    try:
        columns = ", ".join(f'"{f.column}" {_DUCKDB_TYPES.get(f.type, "VARCHAR")}' for f in fields.values())
        con.execute(f"CREATE TABLE units (unit_id BIGINT, {columns})")
        placeholders = ", ".join("?" for _ in range(len(fields) + 1))
        rows = [[i, *(_duckdb_value(unit.get(name)) for name in fields)] for i, unit in enumerate(facts)]
        if rows:
            con.executemany(f"INSERT INTO units VALUES ({placeholders})", rows)  # noqa: S608
        compiled = compile_batch(ruleset, on=on, units_table="units")
        relation = con.sql(compiled.sql)
        names = relation.columns
        out: dict[int, dict[str, Any]] = {}
        for row in relation.fetchall():
            values = dict(zip(names, row, strict=True))
            out[int(values["unit_id"])] = {
                "decisions": {d: values[column_for_decision(d)] for d in ruleset.decisions},
                "criteria": {
                    node.id: values[column_for_criterion(node.id)] for _d, node, _depth in ruleset.criteria()
                },
                "outputs": {o: values[column_for_output(o)] for o in ruleset.outputs},
            }
    finally:
        con.close()
    return [out[i] for i in range(len(facts))]


def _duckdb_value(value: object) -> object:
    return dt.date.fromisoformat(value) if isinstance(value, str) and _looks_like_date(value) else value


def _looks_like_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def registration_create_batch(
    *,
    cohort: Cohort,
    rows: Sequence[StudentRow],
    registered_by: User | None,
    language: str = "",
    on: dt.date | None = None,
) -> BatchResult:
    """Register a school's whole list at once: the rules run compiled over the list, not student by student.

    A line with invalid facts, or a student already registered, is refused with its reason; the others
    are registered in one transaction.
    """
    pack = active_pack(cohort.pack_id)
    programme = programme_of(pack)
    decided_on = on or timezone.localdate()
    refused: dict[int, str] = {}
    good: list[tuple[int, StudentRow, dict[str, object]]] = []
    for i, row in enumerate(rows, start=1):
        try:
            good.append((i, row, _checked_facts(pack.ruleset, row.facts)))
        except RegistrationRefused as exc:
            refused[i] = "; ".join(f"{k}: {v}" for k, v in exc.problems.items())
    results = batch_decide(pack.ruleset, [typed for _i, _r, typed in good], on=decided_on)
    created: list[Registration] = []
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update(of=("self",)).get(pk=cohort.pk)
        _open_cohort(cohort)
        taken: set[str] = set()
        for (line, row, typed), result in zip(good, results, strict=True):
            student = _person_for(row.identity)
            if Registration.objects.filter(cohort=cohort, student=student).exists():
                refused[line] = "already registered for this cohort"
                continue
            is_eligible = result["decisions"][programme.eligibility_decision]
            priority = float(result["outputs"].get(programme.priority_output) or 0)
            created.append(
                Registration.objects.create(
                    cohort=cohort,
                    student=student,
                    key=_new_key(cohort, taken),
                    guardian_phone=row.guardian_phone,
                    school_code=row.school_code,
                    school_name=row.school_name,
                    hub_code=row.hub_code,
                    channel=Registration.Channel.SCHOOL,
                    registered_by=registered_by,
                    language=language or pack.languages[0],
                    facts=typed,
                    is_eligible=is_eligible,
                    priority_score=priority if is_eligible else 0,
                    decision={"engine": "duckdb", "decided_on": decided_on.isoformat(), **result},
                    decided_on=decided_on,
                )
            )
    logger.info("school list: %s registered, %s refused for cohort %s", len(created), len(refused), cohort.pk)
    return BatchResult(created, dict(sorted(refused.items())))


# --- allocation ------------------------------------------------------------------------------------


def allocation_entries(cohort: Cohort) -> list[tuple[str, float]]:
    """``(key, priority)`` of every eligible registration: exactly what the public list publishes."""
    return list(
        Registration.objects.filter(cohort=cohort, is_eligible=True)
        .order_by("key")
        .values_list("key", "priority_score")
    )


def effective_places(cohort: Cohort) -> int:
    """The places the cohort can fill: its places, at most what its hubs can hold."""
    capacity = sum(cohort.hubs.values_list("capacity", flat=True))
    return min(cohort.places, capacity)


def allocation_compute(*, cohort: Cohort, seed: str) -> list[Ranked]:
    """The published order for ``seed``, without storing anything (what the public re-runs)."""
    return allocation_order(allocation_entries(cohort), seed=seed, places=effective_places(cohort))


def _guardian_message(*, registration: Registration, message_id: str, context: dict[str, object]) -> None:
    if not registration.guardian_phone:
        return
    outbox_enqueue(
        channel="sms",
        to=registration.guardian_phone,
        message_id=message_id,
        language=registration.language or "en",
        context={"student": registration.student.given_name, "key": registration.key, **context},
        dedupe_key=f"programmes:{message_id}:{registration.pk}:{context.get('event', '')}",
        pack_id=registration.cohort.pack_id,
    )


def _hub_title(hub: Hub, language: str) -> str:
    return text_in(hub.titles, language) or hub.code


class _Classes:
    """Class groups filled in order at each hub, a new one when the last is full."""

    def __init__(self, cohort: Cohort, size: int) -> None:
        self.cohort = cohort
        self.size = size
        self.groups: dict[int, list[tuple[ClassGroup, int]]] = {}

    def seat(self, hub: Hub) -> ClassGroup:
        groups = self.groups.setdefault(hub.pk, [])
        if not groups or groups[-1][1] >= self.size:
            letter = _class_letter(len(groups))
            group, _ = ClassGroup.objects.get_or_create(
                cohort=self.cohort, name=f"{hub.code}-{letter}", defaults={"hub": hub}
            )
            groups.append((group, 0))
        group, count = groups[-1]
        groups[-1] = (group, count + 1)
        return group


def _class_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def programme_allocate(*, cohort: Cohort, seed: str, by: User | None = None) -> list[Ranked]:
    """Allocate the cohort's places with the published seed, once; store the order and notify guardians.

    Hubs: a student goes to their school's hub while it has room, else to the hub with the most room
    (ties by hub id); within a hub, class groups fill in order. Raises ProgrammeError if the cohort was
    already allocated: a second draw with another seed would defeat the lottery.
    """
    seed = seed.strip()
    if not seed:
        raise ProgrammeError("Give the lottery seed: it is published with the list.")
    pack = active_pack(cohort.pack_id)
    programme = programme_of(pack)
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update(of=("self",)).get(pk=cohort.pk)
        if cohort.status != Cohort.Status.OPEN:
            raise ProgrammeError(
                f"The places of this cohort were already allocated with the seed '{cohort.lottery_seed}'."
            )
        ranked = allocation_compute(cohort=cohort, seed=seed)
        registrations = {r.key: r for r in Registration.objects.filter(cohort=cohort, is_eligible=True)}
        hubs = list(cohort.hubs.order_by("code"))
        free = {h.code: h.capacity for h in hubs}
        by_code = {h.code: h for h in hubs}
        classes = _Classes(cohort, programme.class_size)
        rows: list[Allocation] = []
        waiting_rank = 0
        for entry in ranked:
            registration = registrations[entry.key]
            if entry.is_allocated:
                code = registration.hub_code if free.get(registration.hub_code, 0) > 0 else None
                if code is None:
                    code = min(hubs, key=lambda h: (-free[h.code], h.code)).code
                free[code] -= 1
                hub = by_code[code]
                rows.append(
                    Allocation(
                        registration=registration,
                        cohort=cohort,
                        status=Allocation.Status.ALLOCATED,
                        position=entry.position,
                        lottery_number=entry.lottery_number,
                        hub=hub,
                        class_group=classes.seat(hub),
                        changed_by=by,
                    )
                )
            else:
                waiting_rank += 1
                rows.append(
                    Allocation(
                        registration=registration,
                        cohort=cohort,
                        status=Allocation.Status.WAITING,
                        position=entry.position,
                        lottery_number=entry.lottery_number,
                        waiting_rank=waiting_rank,
                        changed_by=by,
                    )
                )
        Allocation.objects.bulk_create(rows)
        cohort.status = Cohort.Status.ALLOCATED
        cohort.lottery_seed = seed
        cohort.lottery_procedure = PROCEDURE
        cohort.allocated_at = timezone.now()
        cohort.allocated_by = by
        cohort.save(
            update_fields=["status", "lottery_seed", "lottery_procedure", "allocated_at", "allocated_by"]
        )
        for row in rows:
            _notify_allocation(programme, row, event="allocation")
    logger.info(
        "cohort %s allocated: %s places, %s waiting", cohort.pk, len(rows) - waiting_rank, waiting_rank
    )
    return ranked


def _notify_allocation(programme: Programme, allocation: Allocation, *, event: str) -> None:
    registration = allocation.registration
    language = registration.language or "en"
    if allocation.status == Allocation.Status.ALLOCATED:
        message_id = programme.notify.get("moved_up" if allocation.was_moved_up else "allocated")
        assert allocation.hub is not None and allocation.class_group is not None
        context: dict[str, object] = {
            "hub": _hub_title(allocation.hub, language),
            "class_group": allocation.class_group.name,
            "event": event,
        }
    else:
        message_id = programme.notify.get("waiting")
        context = {"rank": allocation.waiting_rank, "event": event}
    if message_id:
        _guardian_message(registration=registration, message_id=message_id, context=context)


def allocation_free(
    *, allocation: Allocation, status: str, by: User | None, on: dt.date | None = None
) -> Allocation | None:
    """Mark a place (or a waiting-list entry) declined or withdrawn; a freed place goes to the first on
    the waiting list while the pack's waiting list is open. Returns the allocation that moved up, if any.
    """
    if status not in (Allocation.Status.DECLINED, Allocation.Status.WITHDRAWN):
        raise ProgrammeError("A place is given up as 'declined' or 'withdrawn'.")
    day = on or timezone.localdate()
    programme = programme_of(active_pack(allocation.cohort.pack_id))
    with transaction.atomic():
        Cohort.objects.select_for_update(of=("self",)).get(pk=allocation.cohort_id)
        current = Allocation.objects.select_related("cohort").get(pk=allocation.pk)
        if current.status not in (Allocation.Status.ALLOCATED, Allocation.Status.WAITING):
            raise ProgrammeError("This place was already given up.")
        was_allocated = current.status == Allocation.Status.ALLOCATED
        old_rank = current.waiting_rank
        current.status = status
        current.waiting_rank = None
        current.changed_by = by
        current.save(update_fields=["status", "waiting_rank", "changed_by", "changed_at"])
        if old_rank is not None:
            _close_rank_gap(current.cohort, old_rank)
            return None
        if not (was_allocated and programme.waiting_list_open_on(day, year=current.cohort.year)):
            return None
        first = (
            Allocation.objects.select_for_update(of=("self",))
            .select_related("registration__student", "registration__cohort")
            .filter(cohort_id=current.cohort_id, status=Allocation.Status.WAITING)
            .order_by("waiting_rank")
            .first()
        )
        if first is None:
            return None
        rank = first.waiting_rank
        assert rank is not None
        first.status = Allocation.Status.ALLOCATED
        first.waiting_rank = None
        first.hub = current.hub
        first.class_group = current.class_group
        first.was_moved_up = True
        first.changed_by = by
        first.save()
        _close_rank_gap(current.cohort, rank)
        _notify_allocation(programme, first, event=f"moved-up-{current.pk}")
    logger.info("allocation %s freed; allocation %s moved up from the waiting list", current.pk, first.pk)
    return first


def _close_rank_gap(cohort: Cohort, rank: int) -> None:
    Allocation.objects.filter(cohort=cohort, status=Allocation.Status.WAITING, waiting_rank__gt=rank).update(
        waiting_rank=F("waiting_rank") - 1
    )


# --- attendance ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceResult:
    present: int
    absent: int
    alerts: list[AbsenceAlert]


def attendance_record_class(
    *, session: Session, present: Collection[int], recorded_by: User
) -> AttendanceResult:
    """Record the whole class at once: the registrations in ``present`` were there, every other student
    of the class was not. Re-recording a session corrects it. A student who meets the pack's alert rule
    (N absences in a row, or M in total) gets one message to the guardian per run of absences.
    """
    programme = programme_of(active_pack(session.cohort.pack_id))
    with transaction.atomic():
        roster = list(
            Registration.objects.select_related("student", "cohort").filter(
                allocation__class_group_id=session.class_group_id,
                allocation__status=Allocation.Status.ALLOCATED,
            )
        )
        unknown = set(present) - {r.pk for r in roster}
        if unknown:
            raise ProgrammeError("Some students ticked are not in this class.")
        for registration in roster:
            Attendance.objects.update_or_create(
                session=session,
                registration=registration,
                defaults={"is_present": registration.pk in present, "recorded_by": recorded_by},
            )
        alerts = [
            alert
            for registration in roster
            if registration.pk not in present
            for alert in [_absence_alert(programme, session, registration)]
            if alert is not None
        ]
    return AttendanceResult(
        present=sum(1 for r in roster if r.pk in present),
        absent=sum(1 for r in roster if r.pk not in present),
        alerts=alerts,
    )


def absence_runs(records: Sequence[tuple[Session, bool]]) -> tuple[int, int, Session | None]:
    """(absences in a row ending at the last record, absences in total, the session the run began at)."""
    total = sum(1 for _s, is_present in records if not is_present)
    consecutive, start = 0, None
    for session, is_present in reversed(records):
        if is_present:
            break
        consecutive, start = consecutive + 1, session
    return consecutive, total, start


def _absence_alert(programme: Programme, session: Session, registration: Registration) -> AbsenceAlert | None:
    records = [
        (a.session, a.is_present)
        for a in Attendance.objects.select_related("session")
        .filter(
            registration=registration,
            session__class_group_id=session.class_group_id,
            session__held_on__lte=session.held_on,
        )
        .order_by("session__held_on")
    ]
    consecutive, total, start = absence_runs(records)
    if start is None or not (consecutive >= programme.alert_consecutive or total >= programme.alert_total):
        return None
    try:
        with transaction.atomic():
            alert = AbsenceAlert.objects.create(
                registration=registration,
                streak_start=start,
                session=session,
                absences=total,
                consecutive=consecutive,
            )
    except IntegrityError:
        return None  # this run of absences was already reported
    if registration.guardian_phone:
        hub = Hub.objects.get(pk=session.hub_id)
        language = registration.language or "en"
        message = outbox_enqueue(
            channel=programme.alert_channel,
            to=registration.guardian_phone,
            message_id=programme.alert_message,
            language=language,
            context={
                "student": registration.student.given_name,
                "absences": total,
                "hub": _hub_title(hub, language),
            },
            dedupe_key=f"programmes:absences:{registration.pk}:{start.pk}",
            pack_id=registration.cohort.pack_id,
        )
        alert.outbox_message_id = message.pk
        alert.save(update_fields=["outbox_message_id"])
    return alert


# --- scores and outcomes ---------------------------------------------------------------------------


def score_record_class(
    *, mock_exam: MockExam, class_group: ClassGroup, points: Mapping[int, str], recorded_by: User
) -> int:
    """Record a class's scores in one mock exam (registration id -> points as typed); blanks are skipped.

    Raises RegistrationRefused naming every registration whose points are not a number from 0 to the
    exam's highest score; nothing is saved then.
    """
    roster = set(
        Allocation.objects.filter(class_group=class_group, status=Allocation.Status.ALLOCATED).values_list(
            "registration_id", flat=True
        )
    )
    problems: dict[str, str] = {}
    parsed: dict[int, Decimal] = {}
    for registration_id, raw in points.items():
        text = str(raw).strip().replace(",", ".")
        if not text:
            continue
        if registration_id not in roster:
            problems[str(registration_id)] = "not a student of this class"
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            problems[str(registration_id)] = f"'{raw}' is not a number"
            continue
        if not (0 <= value <= mock_exam.max_score):
            problems[str(registration_id)] = f"give a score from 0 to {mock_exam.max_score}"
            continue
        parsed[registration_id] = value
    if problems:
        raise RegistrationRefused("Some scores are not valid.", problems)
    with transaction.atomic():
        for registration_id, value in parsed.items():
            Score.objects.update_or_create(
                mock_exam=mock_exam,
                registration_id=registration_id,
                defaults={"points": value, "recorded_by": recorded_by},
            )
    return len(parsed)


@dataclass(frozen=True)
class OutcomeRow:
    key: str
    has_sat_exam: bool
    has_passed: bool
    institution: str = ""


def outcome_record_many(*, cohort: Cohort, rows: Sequence[OutcomeRow], recorded_by: User) -> int:
    """Record the entrance-exam results of enrolled students by their public key; all or nothing.

    RegistrationRefused names every row whose key is not enrolled in the cohort, whose pass lacks a
    sitting, or whose institution the pack does not know.
    """
    programme = programme_of(active_pack(cohort.pack_id))
    enrolled = dict(
        Registration.objects.filter(
            cohort=cohort, allocation__status__in=programme.enrolled_statuses
        ).values_list("key", "pk")
    )
    problems: dict[str, str] = {}
    for i, row in enumerate(rows, start=1):
        if row.key not in enrolled:
            problems[f"line {i}"] = f"'{row.key}' is not a student enrolled in this cohort"
        elif row.has_passed and not row.has_sat_exam:
            problems[f"line {i}"] = "a student who passed must have sat the exam"
        elif row.institution and row.institution not in programme.institutions:
            problems[f"line {i}"] = (
                f"unknown institution '{row.institution}': use {', '.join(programme.institutions)}"
            )
    if problems:
        raise RegistrationRefused("Some results are not valid.", problems)
    with transaction.atomic():
        for row in rows:
            Outcome.objects.update_or_create(
                registration_id=enrolled[row.key],
                defaults={
                    "has_sat_exam": row.has_sat_exam,
                    "has_passed": row.has_passed,
                    "institution": row.institution if row.has_passed else "",
                    "recorded_by": recorded_by,
                },
            )
    return len(rows)
