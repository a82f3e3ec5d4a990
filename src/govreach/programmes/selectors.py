"""Reads for programme enrolment: who may do what, rosters, the published allocation, score progress and
the outcomes against both denominators.

Permissions come from the pack: ``programme.yaml`` says which roles can do what and whether a role sees
the whole cohort or only the class groups its holders teach; the role itself is a StaffAssignment on the
cohort's area (or above it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from govreach.accounts.selectors import AnyUser, staff_assignments_for, staff_can_act
from govreach.catalogue.selectors import active_pack
from govreach.packs.programme import Programme
from govreach.programmes.models import (
    AbsenceAlert,
    Allocation,
    Attendance,
    ClassGroup,
    Cohort,
    MockExam,
    Outcome,
    Registration,
    Score,
    Session,
)
from govreach.programmes.services import programme_of
from govreach.rules import evaluate_unit
from govreach.rules.trace import DecisionResult


def programme_for(cohort: Cohort) -> Programme:
    return programme_of(active_pack(cohort.pack_id))


def _roles(programme: Programme, capability: str, *, own_classes: bool | None = None) -> list[str]:
    return [
        r.id
        for r in programme.roles.values()
        if capability in r.can and (own_classes is None or r.is_own_classes_only == own_classes)
    ]


def staff_can(user: AnyUser, *, cohort: Cohort, capability: str) -> bool:
    """True when the user holds, on the cohort's area or above, a role of the pack that can ``capability``."""
    roles = _roles(programme_for(cohort), capability)
    return staff_can_act(user, pack_id=cohort.pack_id, roles=roles, area=cohort.area)


def staff_can_whole_cohort(user: AnyUser, *, cohort: Cohort, capability: str) -> bool:
    """Like ``staff_can``, through a role that sees the whole cohort (not only its own classes)."""
    roles = _roles(programme_for(cohort), capability, own_classes=False)
    return staff_can_act(user, pack_id=cohort.pack_id, roles=roles, area=cohort.area)


def class_group_list_for_user(user: AnyUser, *, cohort: Cohort, capability: str) -> QuerySet[ClassGroup]:
    """The class groups the user may ``capability`` in: all of them, only those they teach, or none."""
    groups = cohort.class_groups.select_related("hub", "teacher").order_by("name")
    if staff_can_whole_cohort(user, cohort=cohort, capability=capability):
        return groups
    own = _roles(programme_for(cohort), capability, own_classes=True)
    if user.is_authenticated and staff_can_act(user, pack_id=cohort.pack_id, roles=own, area=cohort.area):
        return groups.filter(teacher_id=user.pk)
    return groups.none()


def class_group_visible(user: AnyUser, *, class_group: ClassGroup, capability: str) -> bool:
    return (
        class_group_list_for_user(user, cohort=class_group.cohort, capability=capability)
        .filter(pk=class_group.pk)
        .exists()
    )


def cohort_open_for(pack_id: str, *, on: dt.date) -> Cohort | None:
    """The cohort of ``pack_id`` taking registrations: this year's, while still open."""
    return Cohort.objects.filter(pack_id=pack_id, year=on.year, status=Cohort.Status.OPEN).first()


def cohort_list_for_user(user: AnyUser) -> list[tuple[Cohort, list[ClassGroup], bool]]:
    """Every cohort of a pack the user holds a role for: (cohort, classes they teach, sees whole cohort)."""
    if not user.is_authenticated:
        return []
    out: list[tuple[Cohort, list[ClassGroup], bool]] = []
    for cohort in Cohort.objects.select_related("area").order_by("pack_id", "-year"):
        if not staff_assignments_for(user, pack_id=cohort.pack_id):
            continue
        whole = staff_can_whole_cohort(user, cohort=cohort, capability="view_cohort")
        classes = list(class_group_list_for_user(user, cohort=cohort, capability="record_attendance"))
        if whole or classes:
            out.append((cohort, classes, whole))
    return out


def registration_explanation(registration: Registration, *, language: str) -> DecisionResult:
    """The rules' decision on the registration's facts on its decision date, with every reason."""
    pack = active_pack(registration.cohort.pack_id)
    return evaluate_unit(pack.ruleset, registration.facts, on=registration.decided_on, language=language)


def allocation_list(cohort: Cohort) -> QuerySet[Allocation]:
    """The cohort's allocation in published order, with the students (for staff pages only)."""
    return (
        Allocation.objects.filter(cohort=cohort)
        .select_related("registration__student", "hub", "class_group")
        .order_by("position")
    )


@dataclass(frozen=True)
class PublicEntry:
    """One line of the public list: no name, only the key, the score and the lottery number."""

    position: int
    key: str
    priority: float
    lottery_number: str
    result: str  # allocated, waiting, declined, withdrawn
    waiting_rank: int | None
    was_moved_up: bool


def allocation_public(cohort: Cohort) -> list[PublicEntry]:
    """What anyone may see of the allocation: keys in order, never a name."""
    return [
        PublicEntry(a.position, key, priority, a.lottery_number, a.status, a.waiting_rank, a.was_moved_up)
        for a, key, priority in (
            (a, a.registration.key, a.registration.priority_score)
            for a in Allocation.objects.filter(cohort=cohort)
            .select_related("registration")
            .order_by("position")
        )
    ]


def class_roster(class_group: ClassGroup) -> list[Registration]:
    """The students holding a place in the class group, by family then given name."""
    return list(
        Registration.objects.filter(
            allocation__class_group=class_group, allocation__status=Allocation.Status.ALLOCATED
        )
        .select_related("student")
        .order_by("student__given_name", "student__family_name", "pk")
    )


def session_attendance(session: Session) -> dict[int, bool]:
    """registration id -> present, for the students recorded at the session."""
    return dict(Attendance.objects.filter(session=session).values_list("registration_id", "is_present"))


@dataclass(frozen=True)
class StudentProgress:
    registration: Registration
    percents: list[Decimal | None]  # one per mock exam, in the pack's order
    change: Decimal | None  # latest minus first, in percentage points
    absences: int
    sessions_recorded: int


def class_progress(class_group: ClassGroup) -> tuple[list[MockExam], list[StudentProgress]]:
    """Each student's mock-exam scores as a percent of the highest score, and the change since the first."""
    exams = list(class_group.cohort.mock_exams.order_by("order"))
    roster = class_roster(class_group)
    scores = {
        (s.registration_id, s.mock_exam_id): s.points
        for s in Score.objects.filter(registration__in=roster, mock_exam__in=exams)
    }
    attendance = {
        row["registration_id"]: row
        for row in Attendance.objects.filter(registration__in=roster, session__class_group=class_group)
        .values("registration_id")
        .annotate(total=Count("pk"), absent=Count("pk", filter=Q(is_present=False)))
    }
    out: list[StudentProgress] = []
    for registration in roster:
        percents: list[Decimal | None] = []
        for exam in exams:
            points = scores.get((registration.pk, exam.pk))
            percents.append(
                None if points is None else (points * 100 / exam.max_score).quantize(Decimal("0.1"))
            )
        known = [p for p in percents if p is not None]
        change = known[-1] - known[0] if len(known) >= 2 else None
        row = attendance.get(registration.pk, {"total": 0, "absent": 0})
        out.append(StudentProgress(registration, percents, change, int(row["absent"]), int(row["total"])))
    return exams, out


def absence_alert_list(cohort: Cohort) -> QuerySet[AbsenceAlert]:
    return (
        AbsenceAlert.objects.filter(registration__cohort=cohort)
        .select_related("registration__student", "session__class_group")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class OutcomesReport:
    """Sat and passed, against both denominators: everyone enrolled, and those who sat the exam."""

    enrolled: int
    sat: int
    passed: int
    by_institution: dict[str, int]

    @property
    def sat_share_of_enrolled(self) -> float | None:
        return self.sat / self.enrolled if self.enrolled else None

    @property
    def passed_share_of_sat(self) -> float | None:
        return self.passed / self.sat if self.sat else None

    @property
    def passed_share_of_enrolled(self) -> float | None:
        return self.passed / self.enrolled if self.enrolled else None


def outcomes_report(cohort: Cohort) -> OutcomesReport:
    """The cohort's outcomes, counted from the recorded results (enrolled: the pack's statuses)."""
    programme = programme_for(cohort)
    enrolled = Registration.objects.filter(cohort=cohort, allocation__status__in=programme.enrolled_statuses)
    outcomes = Outcome.objects.filter(registration__in=enrolled)
    by_institution = dict(
        outcomes.filter(has_passed=True)
        .exclude(institution="")
        .values_list("institution")
        .annotate(n=Count("pk"))
        .values_list("institution", "n")
    )
    return OutcomesReport(
        enrolled=enrolled.count(),
        sat=outcomes.filter(has_sat_exam=True).count(),
        passed=outcomes.filter(has_passed=True).count(),
        by_institution={k: by_institution.get(k, 0) for k in programme.institutions},
    )
