"""Outreach writes: targeting (batch and per referral), visit planning, visit records, onward referrals.

Every function is ``<entity>_<verb>`` with keyword-only arguments and owns its transaction. What a pack
means by "targeted", "intensive", its tiers, cadence, capacity and questions comes from its
``outreach.yaml`` and rules; nothing here names a pack.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from govreach.accounts.models import StaffAssignment
from govreach.audit.log import audit_record
from govreach.catalogue.selectors import active_pack
from govreach.outreach.models import (
    OnwardReferral,
    OutreachRegistration,
    Referral,
    TargetingRun,
    Visit,
    VisitPlan,
    VisitRecord,
)
from govreach.outreach.targeting import (
    area_centre,
    nearest_neighbour_route,
    run_targeting_batch,
    synthetic_coordinates,
)
from govreach.packs.forms import Question
from govreach.packs.loader import Pack
from govreach.packs.outreach import Outreach
from govreach.registry.models import Area, Person, RegistrySource, SourceRecord
from govreach.rules.evaluate import evaluate_unit
from govreach.rules.trace import DecisionResult

logger = logging.getLogger(__name__)
WRITE_BATCH = 2_000


class NotAnOutreachPack(ValueError):
    """The pack declares no outreach.yaml."""


class OutreachInputError(ValueError):
    """Input a person must correct; ``errors`` maps a field to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def outreach_of(pack: Pack) -> Outreach:
    """The pack's outreach declaration; NotAnOutreachPack when it has none."""
    if not isinstance(pack.outreach, Outreach):
        raise NotAnOutreachPack(f"the pack '{pack.id}' has no outreach.yaml")
    return pack.outreach


def number_in_force(pack: Pack, value: str | int, *, on: dt.date) -> int:
    """A number of outreach.yaml: itself, or the value of the named parameter on ``on``."""
    if isinstance(value, int):
        return value
    in_force = pack.ruleset.parameters[value].value_on(on)
    if in_force is None:
        raise ValueError(f"the parameter '{value}' has no value on {on.isoformat()}")
    return int(float(str(in_force.value)))


def _tier_of(pack: Pack, tier: object, interval: object, *, on: dt.date) -> tuple[str, int, bool] | None:
    """(tier id, weeks between visits, is intensive) for a tier output value; None when not visited."""
    outreach = outreach_of(pack)
    spec = outreach.tiers.get(str(tier)) if tier is not None else None
    if spec is None:
        return None
    weeks = number_in_force(pack, spec.interval_weeks, on=on)
    if isinstance(interval, int | float) and interval > 0:
        weeks = int(interval)
    return spec.id, weeks, spec.is_intensive


def _trace(result: DecisionResult) -> dict[str, Any]:
    """The compact trace kept with a registration; the full texts are re-derived from the facts."""
    return {
        "decided_on": result.decided_on.isoformat(),
        "ruleset_version": result.ruleset_version,
        "decisions": dict(result.decisions),
        "criteria": {c.id: c.outcome for c in result.criteria},
        "outputs": {k: v for k, v in result.outputs.items() if isinstance(v, str | int | float | bool)},
    }


def _jsonable_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in facts.items():
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _coordinates(area: Area, person: Person) -> tuple[float, float]:
    return synthetic_coordinates(area_code=area.code, key=person.address or f"person-{person.pk}")


# -- targeting ------------------------------------------------------------------------------------------


def _person_map(source: RegistrySource) -> pa.Table:
    """record_id -> person and area, from the registry's import of the population register (one query)."""
    rows = SourceRecord.objects.filter(
        source=source, person__isnull=False, person__area__isnull=False
    ).values_list("source_key", "person_id", "person__area_id")
    record_ids: list[str] = []
    person_ids: list[int] = []
    area_ids: list[int] = []
    for key, person_id, area_id in rows.iterator(chunk_size=20_000):
        record_ids.append(key)
        person_ids.append(person_id)
        area_ids.append(area_id)
    return pa.table(
        {
            "record_id": pa.array(record_ids, pa.string()),
            "person_id": pa.array(person_ids, pa.int64()),
            "area_id": pa.array(area_ids, pa.int64()),
        }
    )


def targeting_run(
    *, pack: Pack, registries_dir: Path, on: dt.date, source: RegistrySource | None = None
) -> TargetingRun:
    """Decide the whole population of the registries on ``on`` and register everyone newly targeted.

    The rules run once over all registries in DuckDB; people already registered keep their registration
    (their tier changes with visit records). ``source`` is the registry source the population register
    was imported as (default: the latest with the register's dataset name).
    """
    outreach = outreach_of(pack)
    if source is None:
        source = (
            RegistrySource.objects.filter(dataset=outreach.registries.population)
            .order_by("-updated_at")
            .first()
        )
        if source is None:
            raise OutreachInputError(
                {"source": f"no registry source holds '{outreach.registries.population}': import it first"}
            )
    batch = run_targeting_batch(
        outreach=outreach,
        ruleset=pack.ruleset,
        registries_dir=registries_dir,
        person_map=_person_map(source),
        on=on,
    )
    already = set(OutreachRegistration.objects.filter(pack_id=pack.id).values_list("person_id", flat=True))
    fresh = [row for row in batch.targeted if row.person_id not in already]
    persons = {
        p.pk: p
        for chunk in _chunks([r.person_id for r in fresh], WRITE_BATCH)
        for p in Person.objects.filter(pk__in=chunk).select_related("area")
    }
    new: list[OutreachRegistration] = []
    for row in fresh:
        tier = _tier_of(pack, row.tier, row.interval_weeks, on=on)
        person = persons.get(row.person_id)
        if tier is None or person is None or person.area is None:
            continue
        lat, lon = _coordinates(person.area, person)
        new.append(
            OutreachRegistration(
                person_id=row.person_id,
                pack_id=pack.id,
                tier=tier[0],
                interval_weeks=tier[1],
                is_intensive=tier[2],
                trace={
                    "decided_on": on.isoformat(),
                    "ruleset_version": pack.version,
                    "decisions": row.decisions,
                    "criteria": row.criteria,
                    "outputs": {outreach.tier_output: row.tier},
                },
                facts=row.facts,
                decided_on=on,
                ruleset_version=pack.version,
                source=OutreachRegistration.Source.REGISTRIES,
                area_id=row.area_id,
                latitude=lat,
                longitude=lon,
            )
        )
    with transaction.atomic():
        run = TargetingRun.objects.create(
            pack_id=pack.id,
            ruleset_version=pack.version,
            decided_on=on,
            eligible_count=sum(batch.eligible_by_area.values()),
            undetermined_count=batch.undetermined,
            eligible_by_area={str(k): v for k, v in batch.eligible_by_area.items()},
        )
        OutreachRegistration.objects.bulk_create(new, batch_size=WRITE_BATCH, ignore_conflicts=True)
        run.registered_new_count = len(new)
        run.finished_at = timezone.now()
        run.save(update_fields=["registered_new_count", "finished_at"])
        audit_record(action="outreach.targeting.run", subject=run, detail={"pack_id": pack.id})
    logger.info("targeting run %s of %s: %s eligible, %s new", run.pk, pack.id, run.eligible_count, len(new))
    return run


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def registration_decide(
    pack: Pack, facts: Mapping[str, Any], *, on: dt.date, language: str = "en"
) -> DecisionResult:
    """One person's targeting and tier from their facts (dotted names), with the full trace."""
    known = {k: v for k, v in facts.items() if k in pack.ruleset.inputs.unit_fields}
    return evaluate_unit(pack.ruleset, known, on=on, language=language)


def referral_create(
    *,
    pack: Pack,
    acting_user: User,
    kind: str,
    area: Area,
    person: Person | None = None,
    given_name: str = "",
    family_name: str = "",
    birth_date: dt.date | None = None,
    address: str = "",
    phone: str = "",
    hospital_id: str = "",
    discharged_on: dt.date | None = None,
    reason: str = "",
    on: dt.date | None = None,
) -> Referral:
    """Record a referral, decide on it at once (single evaluation) and register the person if targeted.

    ``person`` is someone the registry knows; otherwise the details make a new registry person in
    ``area``. The caller has checked that ``acting_user`` may refer (a role of ``intake.kinds[kind].by``).
    """
    outreach = outreach_of(pack)
    on = on or timezone.localdate()
    spec = outreach.intake_kinds.get(kind)
    errors: dict[str, str] = {}
    if spec is None:
        errors["kind"] = f"unknown referral kind; use one of {', '.join(outreach.intake_kinds)}"
    elif spec.needs_hospital:
        if hospital_id not in outreach.hospitals:
            errors["hospital_id"] = "choose the hospital"
        if discharged_on is None:
            errors["discharged_on"] = "give the discharge date"
        elif discharged_on > on:
            errors["discharged_on"] = "the discharge date cannot be in the future"
    if person is None:
        if not given_name.strip():
            errors["given_name"] = "give the person's name"
        if birth_date is None:
            errors["birth_date"] = "give the date of birth"
    if errors:
        raise OutreachInputError(errors)
    assert spec is not None
    values = {
        "kind": kind,
        "partner_hospital": bool(hospital_id and outreach.hospitals[hospital_id].is_partner),
        "discharged_on": discharged_on,
        "need_confirmed": spec.confirms_need,
        "birth_date": person.birth_date if person is not None else birth_date,
        "resident": True,  # the area is chosen among the district's neighbourhoods
    }
    with transaction.atomic():
        if person is None:
            person = Person.objects.create(
                given_name=given_name.strip(),
                family_name=family_name.strip(),
                birth_date=birth_date,
                address=address.strip(),
                phone=phone.strip(),
                area=area,
            )
        existing = (
            OutreachRegistration.objects.select_for_update(of=("self",))
            .filter(pack_id=pack.id, person=person)
            .first()
        )
        facts: dict[str, Any] = dict(existing.facts) if existing is not None else {}
        for key, fact in outreach.intake_facts.items():
            if values.get(key) is not None:
                facts[fact] = values[key]
        facts = _jsonable_facts(facts)
        result = registration_decide(pack, facts, on=on)
        targeted = result.decisions.get(outreach.decision) is True
        registration = existing
        if targeted and existing is None:
            tier = _tier_of(
                pack,
                result.outputs.get(outreach.tier_output),
                result.outputs.get(outreach.interval_output) if outreach.interval_output else None,
                on=on,
            )
            if tier is not None:
                lat, lon = _coordinates(area, person)
                registration = OutreachRegistration.objects.create(
                    person=person, pack_id=pack.id, tier=tier[0], interval_weeks=tier[1],
                    is_intensive=tier[2],
                    trace=_trace(result), facts=facts, decided_on=on, ruleset_version=pack.version,
                    source=OutreachRegistration.Source.REFERRAL, area=person.area or area,
                    latitude=lat, longitude=lon,
                )  # fmt: skip
        referral = Referral.objects.create(
            pack_id=pack.id,
            kind=kind,
            person=person,
            hospital_id=hospital_id,
            discharged_on=discharged_on,
            reason=reason.strip(),
            status=Referral.Status.TARGETED if targeted else Referral.Status.NOT_TARGETED,
            trace=_trace(result),
            registration=registration,
            created_by=acting_user,
        )
    logger.info("referral %s (%s) for pack %s: %s", referral.pk, kind, pack.id, referral.status)
    return referral


# -- planning ---------------------------------------------------------------------------------------------


@dataclass
class ScheduleSummary:
    """What one planning run did."""

    planned: int = 0
    overdue: int = 0
    over_capacity: int = 0
    nurses: int = 0
    by_nurse: dict[int, int] = field(default_factory=dict)


def _nurse_assignments(pack: Pack, area: Area, on: dt.date) -> list[StaffAssignment]:
    """Nurses (roles that visit) assigned on ``area``, below it, or above it, in force on ``on``."""
    roles = outreach_of(pack).roles_that("visit")
    return list(
        StaffAssignment.objects.filter(
            Q(area__path__startswith=area.path) | Q(area__code__in=area.ancestor_codes),
            pack_id=pack.id,
            role__in=roles,
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("area", "user")
        .order_by("area__path", "user_id")
    )


def visit_plan_schedule(
    *, area: Area, start: dt.date, days: int, pack_id: str | None = None
) -> ScheduleSummary:
    """Plan the due visits of ``area`` for ``days`` days from ``start``.

    Each nurse takes people of her neighbourhood up to the pack's caseload (intensive tiers first);
    a person's next visit is due one tier interval after the last visit (done or planned), a new
    person's at once. A day holds at most the pack's visits per day, ordered by a nearest-neighbour route
    from the neighbourhood office. Planned visits whose day has passed are flagged overdue.
    """
    pack_ids = (
        [pack_id]
        if pack_id
        else sorted(
            set(
                OutreachRegistration.objects.filter(area__path__startswith=area.path).values_list(
                    "pack_id", flat=True
                )
            )
        )
    )
    summary = ScheduleSummary()
    for pid in pack_ids:
        _schedule_pack(active_pack(pid), area, start, days, summary)
    return summary


def _schedule_pack(pack: Pack, area: Area, start: dt.date, days: int, summary: ScheduleSummary) -> None:
    outreach = outreach_of(pack)
    capacity = number_in_force(pack, outreach.registered_per_nurse, on=start)
    window = [start + dt.timedelta(days=i) for i in range(days)]
    with transaction.atomic():
        flagged = Visit.objects.filter(
            registration__pack_id=pack.id,
            registration__area__path__startswith=area.path,
            status=Visit.Status.PLANNED,
            scheduled_on__lt=start,
            is_overdue=False,
        ).update(is_overdue=True)
        summary.overdue += flagged
        nurses_by_area: dict[int, list[StaffAssignment]] = defaultdict(list)
        for assignment in _nurse_assignments(pack, area, start):
            nurses_by_area[assignment.area_id].append(assignment)
        for assignments in nurses_by_area.values():
            _schedule_neighbourhood(pack, outreach, assignments, capacity, window, summary)


def _schedule_neighbourhood(
    pack: Pack,
    outreach: Outreach,
    assignments: list[StaffAssignment],
    capacity: int,
    window: list[dt.date],
    summary: ScheduleSummary,
) -> None:
    home = assignments[0].area
    nurses = {a.user_id: a.user for a in assignments}
    summary.nurses += len(nurses)
    regs = list(
        OutreachRegistration.objects.select_for_update(of=("self",))
        .filter(
            pack_id=pack.id,
            area__path__startswith=home.path,
            status__in=[OutreachRegistration.Status.TARGETED, OutreachRegistration.Status.REGISTERED],
        )
        .order_by("pk")
    )
    priority = {t.id: t.priority for t in outreach.tiers.values()}
    load: dict[int, int] = dict.fromkeys(nurses, 0)
    for reg in regs:
        if reg.nurse_id in load:
            load[reg.nurse_id] += 1
    waiting = sorted(
        (r for r in regs if r.nurse_id not in load),
        key=lambda r: (-priority.get(r.tier, 0), r.targeted_at, r.pk),
    )
    changed: list[OutreachRegistration] = []
    for reg in waiting:
        nurse_id = min(load, key=lambda n: (load[n], n))
        if load[nurse_id] >= capacity:
            summary.over_capacity += 1
            if reg.nurse_id is not None:
                reg.nurse_id = None
                changed.append(reg)
            continue
        reg.nurse_id = nurse_id
        load[nurse_id] += 1
        changed.append(reg)
    OutreachRegistration.objects.bulk_update(changed, ["nurse"], batch_size=WRITE_BATCH)
    caseload = [r for r in regs if r.nurse_id in nurses]
    visits = Visit.objects.filter(registration__in=[r.pk for r in caseload]).exclude(
        status=Visit.Status.MISSED
    )
    last_visit: dict[int, dt.date] = {}
    has_late: set[int] = set()
    per_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    for v in visits.only("registration_id", "scheduled_on", "status", "nurse_id"):
        last_visit[v.registration_id] = max(last_visit.get(v.registration_id, v.scheduled_on), v.scheduled_on)
        if v.status == Visit.Status.PLANNED:
            per_day[(v.nurse_id, v.scheduled_on)] += 1
            if v.scheduled_on < window[0]:
                has_late.add(v.registration_id)
    next_due = {
        r.pk: (
            last_visit[r.pk] + dt.timedelta(weeks=r.interval_weeks) if r.pk in last_visit else r.decided_on
        )
        for r in caseload
        if r.pk not in has_late
    }
    by_pk = {r.pk: r for r in caseload}
    new: list[Visit] = []
    for day in window:
        if day.weekday() not in outreach.working_days:
            continue
        for nurse_id in nurses:
            room = outreach.visits_per_day - per_day[(nurse_id, day)]
            due = sorted(
                (pk for pk, d in next_due.items() if d <= day and by_pk[pk].nurse_id == nurse_id),
                key=lambda pk: (-priority.get(by_pk[pk].tier, 0), next_due[pk], pk),
            )
            for pk in due[: max(room, 0)]:
                new.append(
                    Visit(registration_id=pk, nurse_id=nurse_id, due_on=next_due[pk], scheduled_on=day)
                )
                per_day[(nurse_id, day)] += 1
                next_due[pk] = day + dt.timedelta(weeks=by_pk[pk].interval_weeks)
                summary.by_nurse[nurse_id] = summary.by_nurse.get(nurse_id, 0) + 1
    Visit.objects.bulk_create(new, batch_size=WRITE_BATCH)
    summary.planned += len(new)
    for nurse_id in nurses:
        for day in sorted({v.scheduled_on for v in new if v.nurse_id == nurse_id}):
            _route_day(pack, home, nurse_id, day)


def _route_day(pack: Pack, home: Area, nurse_id: int, day: dt.date) -> None:
    """Order the nurse's planned visits of ``day`` by a nearest-neighbour route from the office."""
    plan, _ = VisitPlan.objects.get_or_create(
        pack_id=pack.id, nurse_id=nurse_id, day=day, defaults={"area": home}
    )
    visits = list(
        Visit.objects.filter(nurse_id=nurse_id, scheduled_on=day, registration__pack_id=pack.id)
        .exclude(status=Visit.Status.MISSED)
        .select_related("registration", "registration__area")
    )
    stops: dict[int, tuple[float, float]] = {}
    for v in visits:
        reg = v.registration
        if reg.latitude is None or reg.longitude is None:
            reg.latitude, reg.longitude = synthetic_coordinates(
                area_code=reg.area.code, key=f"person-{reg.person_id}"
            )
        stops[v.pk] = (reg.latitude, reg.longitude)
    order = {pk: i + 1 for i, pk in enumerate(nearest_neighbour_route(area_centre(home.code), stops))}
    for v in visits:
        v.route_order = order[v.pk]
        v.plan = plan
    Visit.objects.bulk_update(visits, ["route_order", "plan"])


# -- visit records ------------------------------------------------------------------------------------


def _clean_answer(q: Question, raw: object) -> tuple[object, str | None]:
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None, ("answer this question" if q.required else None)
    if q.type == "boolean":
        if text.lower() in ("yes", "true", "1", "on"):
            return True, None
        if text.lower() in ("no", "false", "0"):
            return False, None
        return None, "answer yes or no"
    if q.type in ("integer", "number"):
        try:
            number: float | int = int(text) if q.type == "integer" else float(text.replace(",", "."))
        except ValueError:
            return None, "give a whole number" if q.type == "integer" else "give a number"
        if q.min is not None and number < q.min:
            return None, f"the smallest value is {q.min:g}"
        if q.max is not None and number > q.max:
            return None, f"the largest value is {q.max:g}"
        return number, None
    if q.type == "choice":
        values = [c.value for c in q.choices]
        return (text, None) if text in values else (None, "choose one of the options")
    if q.type == "date":
        try:
            return dt.date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, "give a date as YYYY-MM-DD"
    if q.max is not None and len(text) > q.max:
        return None, f"at most {q.max:g} characters"
    return text, None


def visit_answers_clean(outreach: Outreach, raw: Mapping[str, object]) -> dict[str, object]:
    """The answers typed and checked against the pack's questions; OutreachInputError names each problem."""
    answers: dict[str, object] = {}
    errors: dict[str, str] = {}
    for qid, question in outreach.questions.items():
        value, error = _clean_answer(question, raw.get(qid))
        if error:
            errors[qid] = error
        elif value is not None:
            answers[qid] = value
    if errors:
        raise OutreachInputError(errors)
    return answers


def visit_record_save(
    *,
    visit: Visit,
    answers: Mapping[str, object],
    has_consent: bool,
    notes: str,
    acting_user: User,
    onward: Sequence[tuple[str, str]] = (),
    on: dt.date | None = None,
) -> VisitRecord:
    """Record a visit: the assessment, consent and notes; re-decide the tier; open onward referrals.

    ``answers`` are raw values by question id (checked here); ``onward`` is (kind, note) pairs, each due
    for follow-up after the kind's ``follow_up_days``. Without consent the person is not registered and
    their other planned visits are dropped.
    """
    pack = active_pack(visit.registration.pack_id)
    outreach = outreach_of(pack)
    clean = visit_answers_clean(outreach, answers)
    on = on or timezone.localdate()
    bad_kinds = [kind for kind, _note in onward if kind not in outreach.onward_kinds]
    if bad_kinds:
        raise OutreachInputError({"onward": f"unknown referral kind '{bad_kinds[0]}'"})
    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).select_related("registration").get(pk=visit.pk)
        if visit.status == Visit.Status.DONE:
            raise OutreachInputError({"visit": "this visit is already recorded"})
        reg = OutreachRegistration.objects.select_for_update(of=("self",)).get(pk=visit.registration_id)
        now = timezone.now()
        record = VisitRecord.objects.create(
            visit=visit, answers=clean, has_consent=has_consent, notes=notes.strip(),
            recorded_by=acting_user, recorded_at=now,
        )  # fmt: skip
        visit.status = Visit.Status.DONE
        visit.is_overdue = False
        visit.done_at = now
        visit.save(update_fields=["status", "is_overdue", "done_at"])
        facts = dict(reg.facts)
        for qid, question in outreach.questions.items():
            if question.fact and qid in clean:
                facts[question.fact] = clean[qid]
        if outreach.consent_fact:
            facts[outreach.consent_fact] = has_consent
        reg.facts = _jsonable_facts(facts)
        result = registration_decide(pack, reg.facts, on=on)
        tier = _tier_of(
            pack,
            result.outputs.get(outreach.tier_output),
            result.outputs.get(outreach.interval_output) if outreach.interval_output else None,
            on=on,
        )
        if tier is not None:
            reg.tier, reg.interval_weeks, reg.is_intensive = tier
        reg.trace = _trace(result)
        reg.decided_on = on
        reg.ruleset_version = pack.version
        if has_consent:
            if reg.status != OutreachRegistration.Status.REGISTERED:
                reg.status = OutreachRegistration.Status.REGISTERED
                reg.registered_at = now
        elif reg.status == OutreachRegistration.Status.TARGETED:
            reg.status = OutreachRegistration.Status.DECLINED
            Visit.objects.filter(registration=reg, status=Visit.Status.PLANNED).delete()
        reg.save()
        OnwardReferral.objects.bulk_create(
            OnwardReferral(
                registration=reg, record=record, kind=kind, note=note.strip()[:500],
                due_on=on + dt.timedelta(days=outreach.onward_kinds[kind].follow_up_days),
                created_by=acting_user,
            )
            for kind, note in onward
        )  # fmt: skip
    logger.info("visit %s recorded by user %s", visit.pk, acting_user.pk)
    return record


def onward_referral_follow_up(*, referral: OnwardReferral, acting_user: User) -> OnwardReferral:
    """Mark an onward referral as followed up (the person reached the clinic or service)."""
    with transaction.atomic():
        fresh = OnwardReferral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        if fresh.status == OnwardReferral.Status.OPEN:
            fresh.status = OnwardReferral.Status.FOLLOWED_UP
            fresh.followed_up_at = timezone.now()
            fresh.save(update_fields=["status", "followed_up_at"])
    logger.info("onward referral %s followed up by user %s", fresh.pk, acting_user.pk)
    return fresh
