"""Outreach reads: who may do what, the nurse's day, a visit for its nurse, referrals, and the figures."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from django.db.models import Q, QuerySet

from govreach.accounts.models import StaffAssignment
from govreach.accounts.selectors import AnyUser, staff_area_scope, staff_can_act
from govreach.outreach.models import (
    OnwardReferral,
    OutreachRegistration,
    Referral,
    TargetingRun,
    Visit,
    VisitRecord,
)
from govreach.outreach.services import outreach_of, registration_decide
from govreach.packs.loader import Pack
from govreach.registry.models import Area
from govreach.rules.trace import CriterionResult


def outreach_assignments_for(
    user: AnyUser, *, pack: Pack, capability: str, on: dt.date
) -> list[StaffAssignment]:
    """The user's assignments on ``pack`` whose role may do ``capability`` (visit, refer, see_figures...)."""
    if not (user.is_authenticated and user.is_active):
        return []
    roles = outreach_of(pack).roles_that(capability)
    return list(
        StaffAssignment.objects.filter(user_id=user.pk, pack_id=pack.id, role__in=roles, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("area")
        .order_by("area__path")
    )


def visit_list_for_nurse(user: AnyUser, *, pack: Pack, day: dt.date) -> list[Visit]:
    """The nurse's visits of ``day`` in route order, after every earlier visit not yet recorded (overdue)."""
    scope = staff_area_scope(user, pack_id=pack.id)
    visits = (
        Visit.objects.filter(nurse_id=user.pk, registration__pack_id=pack.id, registration__area__in=scope)
        .filter(Q(scheduled_on=day) | Q(status=Visit.Status.PLANNED, scheduled_on__lt=day))
        .select_related("registration", "registration__person", "registration__area")
    )
    return sorted(visits, key=lambda v: (not v.is_late_on(day), v.scheduled_on, v.route_order, v.pk))


def visit_get_for_staff(user: AnyUser, *, visit_id: int, pack: Pack) -> Visit | None:
    """The visit if ``user`` may record it: a role that visits, on the person's neighbourhood or above."""
    visit = (
        Visit.objects.filter(pk=visit_id, registration__pack_id=pack.id)
        .select_related("registration", "registration__person", "registration__area")
        .first()
    )
    if visit is None:
        return None
    roles = outreach_of(pack).roles_that("visit")
    if not staff_can_act(user, pack_id=pack.id, roles=roles, area=visit.registration.area):
        return None
    return visit


def referral_list_for_referrer(user: AnyUser, *, pack_id: str) -> QuerySet[Referral]:
    """The referrals this user made (a partner sees only their own)."""
    if not user.is_authenticated:
        return Referral.objects.none()
    return Referral.objects.filter(pack_id=pack_id, created_by_id=user.pk).select_related(
        "person", "person__area"
    )


def registration_explanation(
    pack: Pack, registration: OutreachRegistration, *, language: str
) -> list[CriterionResult]:
    """Why this person is visited and in this tier: the rules' trace for their facts, in ``language``."""
    outreach = outreach_of(pack)
    result = registration_decide(pack, registration.facts, on=registration.decided_on, language=language)
    wanted = (outreach.decision, outreach.intensive_decision)
    return [c for c in result.criteria if c.decision in wanted]


# -- figures -------------------------------------------------------------------------------------------


@dataclass
class IndicatorFigure:
    id: str
    title: dict[str, str]
    measure: str
    better: str
    persons: int = 0
    first: float | None = None
    latest: float | None = None


@dataclass
class AreaFigures:
    """One neighbourhood's figures (or the total, ``area`` None)."""

    area: Area | None
    eligible: int = 0
    targeted: int = 0
    registered: int = 0
    intensive: int = 0
    visits_done: int = 0
    visits_overdue: int = 0
    referrals_in: int = 0
    onward_referrals: int = 0
    onward_overdue: int = 0
    indicators: list[IndicatorFigure] = field(default_factory=list)

    @property
    def coverage_pct(self) -> float | None:
        """Registered against eligible, in percent."""
        return round(100 * self.registered / self.eligible, 1) if self.eligible else None

    @property
    def visits_per_person(self) -> float | None:
        """Visits done per registered person."""
        return round(self.visits_done / self.registered, 2) if self.registered else None

    @property
    def intensive_pct(self) -> float | None:
        return round(100 * self.intensive / self.registered, 1) if self.registered else None


def outreach_figures(
    *, pack: Pack, area: Area, on: dt.date, level_depth: int | None = None
) -> list[AreaFigures]:
    """Figures by neighbourhood under ``area`` (areas at ``level_depth``, default the deepest with people),
    then the total: coverage against the latest targeting run's eligible count, visits per registered
    person, referrals, and each indicator at the first against the latest recorded visit."""
    outreach = outreach_of(pack)
    regs = list(
        OutreachRegistration.objects.filter(pack_id=pack.id, area__path__startswith=area.path).values_list(
            "pk", "area_id", "status", "is_intensive"
        )
    )
    run = TargetingRun.objects.filter(pack_id=pack.id, finished_at__isnull=False).first()
    eligible = {int(k): int(v) for k, v in (run.eligible_by_area if run else {}).items()}
    area_ids = {a for _pk, a, _s, _i in regs} | set(eligible)
    areas = {a.pk: a for a in Area.objects.filter(pk__in=area_ids, path__startswith=area.path)}
    if level_depth is None:
        level_depth = max((a.depth for a in areas.values()), default=area.depth)
    areas_at = {a.pk: a for a in Area.objects.filter(path__startswith=area.path, depth=level_depth)}

    def bucket_of(area_id: int) -> int | None:
        a = areas.get(area_id)
        if a is None:
            return None
        for pk, candidate in areas_at.items():
            if a.path.startswith(candidate.path):
                return pk
        return None

    rows: dict[int, AreaFigures] = {
        pk: AreaFigures(a) for pk, a in sorted(areas_at.items(), key=lambda x: x[1].path)
    }
    total = AreaFigures(None)
    reg_bucket: dict[int, int | None] = {}
    for area_id, n in eligible.items():
        b = bucket_of(area_id)
        if b is not None:
            rows[b].eligible += n
            total.eligible += n
    for pk, area_id, status, is_intensive in regs:
        b = bucket_of(area_id)
        reg_bucket[pk] = b
        targets = [total] + ([rows[b]] if b is not None else [])
        for f in targets:
            f.targeted += 1
            if status == OutreachRegistration.Status.REGISTERED:
                f.registered += 1
                f.intensive += 1 if is_intensive else 0
    visits = Visit.objects.filter(
        registration__pack_id=pack.id, registration__area__path__startswith=area.path
    )
    for reg_id, status, scheduled_on in visits.values_list("registration_id", "status", "scheduled_on"):
        for f in [total] + ([rows[b]] if (b := reg_bucket.get(reg_id)) is not None else []):
            if status == Visit.Status.DONE:
                f.visits_done += 1
            elif status == Visit.Status.PLANNED and scheduled_on < on:
                f.visits_overdue += 1
    for person_area in Referral.objects.filter(
        pack_id=pack.id, person__area__path__startswith=area.path
    ).values_list("person__area_id", flat=True):
        for f in [total] + (
            [rows[b]] if person_area is not None and (b := bucket_of(person_area)) is not None else []
        ):
            f.referrals_in += 1
    onward = OnwardReferral.objects.filter(
        registration__pack_id=pack.id, registration__area__path__startswith=area.path
    )
    for reg_id, status, due_on in onward.values_list("registration_id", "status", "due_on"):
        for f in [total] + ([rows[b]] if (b := reg_bucket.get(reg_id)) is not None else []):
            f.onward_referrals += 1
            f.onward_overdue += 1 if status == OnwardReferral.Status.OPEN and due_on < on else 0
    # Indicators: per person, the answer at the first and at the latest visit that recorded it.
    answers_by_reg: dict[int, list[dict[str, object]]] = defaultdict(list)
    records = VisitRecord.objects.filter(
        visit__registration__pack_id=pack.id, visit__registration__area__path__startswith=area.path
    ).order_by("recorded_at", "pk")
    for reg_id, answers in records.values_list("visit__registration_id", "answers"):
        answers_by_reg[reg_id].append(answers if isinstance(answers, dict) else {})
    for f in [total, *rows.values()]:
        members = [
            r
            for r in answers_by_reg
            if f.area is None or reg_bucket.get(r) == (f.area.pk if f.area else None)
        ]
        for ind_id, spec in outreach.indicators.items():
            fig = IndicatorFigure(ind_id, dict(spec.title), spec.measure, spec.better)
            if spec.measure == "first_latest":
                firsts: list[float] = []
                latests: list[float] = []
                for r in members:
                    values = [
                        a[spec.question]
                        for a in answers_by_reg[r]
                        if isinstance(a.get(spec.question), int | float)
                    ]
                    if len(values) >= 2:
                        firsts.append(float(values[0]))  # type: ignore[arg-type]
                        latests.append(float(values[-1]))  # type: ignore[arg-type]
                fig.persons = len(firsts)
                fig.first = round(mean(firsts), 2) if firsts else None
                fig.latest = round(mean(latests), 2) if latests else None
            else:
                latest_values = []
                for r in members:
                    values = [
                        a[spec.question] for a in answers_by_reg[r] if isinstance(a.get(spec.question), bool)
                    ]
                    if values:
                        latest_values.append(values[-1])
                fig.persons = len(latest_values)
                fig.latest = (
                    round(100 * sum(1 for v in latest_values if v) / len(latest_values), 1)
                    if latest_values
                    else None
                )
            f.indicators.append(fig)
    return [*rows.values(), total]
