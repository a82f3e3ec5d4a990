"""Reads: the services a citizen may rate, where a grievance is handled at each level of government,
who may handle it, and the staff queue (their level and area only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import Q, QuerySet
from django.utils import timezone

from govreach.accounts.models import CitizenAccount, StaffAssignment
from govreach.accounts.selectors import AnyUser, staff_assignments_for, staff_can_act
from govreach.cases.models import DRAFT, Application
from govreach.feedback.conf import Tier, escalation_matrix, grievance_pack_id
from govreach.feedback.models import Channel, Grievance, Rating
from govreach.packs.workflow import Workflow
from govreach.registry.models import Area, Person

# ---------------------------------------------------------------------------------------------------
# Completed services


@dataclass(frozen=True)
class CompletedService:
    """A service delivered to a citizen, which they may rate once.

    ``label`` tells the person which one it is without personal data: the application reference, the
    supply point code, the day of the home visit or the student's public course code.
    """

    kind: str
    key: str
    service: str
    label: str
    area: Area | None
    channel: str
    rating: Rating | None
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class _Rater:
    """Who asks, as the services know them: the citizen's user (None: a phone with no account yet), their
    phone, and the registry persons they are (the account's person, and those with this phone on record).
    """

    user_id: int | None
    phone: str
    person_ids: tuple[int, ...]
    national_ids: tuple[str, ...]
    home_area: Area | None


def _rater(phone: str, account: CitizenAccount | None) -> _Rater:
    persons = list(Person.objects.filter(phone=phone).only("pk", "national_id")) if phone else []
    own = account.person if account is not None else None
    if own is not None:
        persons.append(own)
    return _Rater(
        user_id=account.user_id if account is not None else None,
        phone=phone,
        person_ids=tuple(sorted({p.pk for p in persons})),
        national_ids=tuple(sorted({p.national_id for p in persons if p.national_id})),
        home_area=own.area if own is not None else None,
    )


def _application_is_final(application: Application) -> bool:
    from govreach.cases.services import pack_of

    try:
        workflow = pack_of(application).workflow
    except Exception:
        return application.decided_at is not None
    state = workflow.states.get(application.state) if isinstance(workflow, Workflow) else None
    return bool(state and state.is_terminal)


def _at_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _cases(rater: _Rater, ratings: dict[tuple[str, str], Rating]) -> list[CompletedService]:
    """Applications the citizen made or had made for them that reached a final state, newest first."""
    if rater.user_id is None:
        return []
    found = []
    applications = (
        Application.objects.exclude(state=DRAFT)
        .filter(Q(applicant_id=rater.user_id) | Q(acting_for_id=rater.user_id))
        .select_related("area")
        .order_by("-created_at", "-pk")
    )
    for application in applications:
        if not _application_is_final(application):
            continue
        key = str(application.pk)
        assisted = application.submitted_by_id != rater.user_id
        found.append(
            CompletedService(
                kind=Rating.Kind.CASE,
                key=key,
                service=application.pack_id,
                label=application.reference or "",
                area=application.area,
                channel=Channel.ASSISTED if assisted else Channel.DIGITAL,
                rating=ratings.get((Rating.Kind.CASE, key)),
                completed_at=application.decided_at or application.state_entered_at,
            )
        )
    return found


def _entitlements(rater: _Rater, ratings: dict[tuple[str, str], Rating]) -> list[CompletedService]:
    """Entitlements granted to the citizen's persons, still in force or ended since; newest first.
    A refused one was never delivered."""
    from govreach.entitlements.models import Entitlement

    if not rater.national_ids:
        return []
    granted = (Entitlement.Status.ACTIVE, Entitlement.Status.ENDED)
    entitlements = (
        Entitlement.objects.filter(people__national_id__in=rater.national_ids, status__in=granted)
        .select_related("granted_in")
        .distinct()
        .order_by("-valid_from", "-pk")
    )
    found = []
    for entitlement in entitlements:
        key = str(entitlement.pk)
        area = rater.home_area or Area.objects.filter(code=entitlement.area_code).first()
        found.append(
            CompletedService(
                kind=Rating.Kind.ENTITLEMENT,
                key=key,
                service=entitlement.pack_id,
                label=entitlement.supply_point_code,
                area=area,
                # Granted without asking: proactive delivery counts as digital, no one had to assist.
                channel=Channel.DIGITAL,
                rating=ratings.get((Rating.Kind.ENTITLEMENT, key)),
                completed_at=_at_midnight(entitlement.granted_in.decided_on),
            )
        )
    return found


def _visits(rater: _Rater, ratings: dict[tuple[str, str], Rating]) -> list[CompletedService]:
    """Outreach home visits done at the citizen's persons' homes, newest first; planned or missed ones
    are not a service delivered."""
    from govreach.outreach.models import Visit

    if not rater.person_ids:
        return []
    visits = (
        Visit.objects.filter(status=Visit.Status.DONE, registration__person_id__in=rater.person_ids)
        .select_related("registration__area")
        .order_by("-done_at", "-pk")
    )
    found = []
    for visit in visits:
        key = str(visit.pk)
        day = timezone.localdate(visit.done_at) if visit.done_at is not None else visit.scheduled_on
        found.append(
            CompletedService(
                kind=Rating.Kind.VISIT,
                key=key,
                service=visit.registration.pack_id,
                label=day.isoformat(),
                area=visit.registration.area,
                # Someone came to the person's home: the assisted channel by definition.
                channel=Channel.ASSISTED,
                rating=ratings.get((Rating.Kind.VISIT, key)),
                completed_at=visit.done_at,
            )
        )
    return found


def _courses(rater: _Rater, ratings: dict[tuple[str, str], Rating]) -> list[CompletedService]:
    """Programme courses the citizen took (as the student) or followed as the guardian whose phone the
    school gave, or registered for themselves, once the final outcome (the entrance exam) is recorded."""
    from govreach.programmes.models import Registration

    who = Q(guardian_phone=rater.phone) if rater.phone else Q(pk__in=[])
    if rater.person_ids:
        who |= Q(student_id__in=rater.person_ids)
    if rater.user_id is not None:
        who |= Q(registered_by_id=rater.user_id)
    registrations = (
        Registration.objects.filter(who, outcome__isnull=False)
        .select_related("cohort__area", "outcome")
        .order_by("-outcome__recorded_at", "-pk")
    )
    found = []
    for registration in registrations:
        key = str(registration.pk)
        by_school = registration.channel == Registration.Channel.SCHOOL
        found.append(
            CompletedService(
                kind=Rating.Kind.COURSE,
                key=key,
                service=registration.cohort.pack_id,
                label=registration.key,
                # Where the course ran: the area the programme's own figures count its students in.
                area=registration.cohort.area,
                channel=Channel.ASSISTED if by_school else Channel.DIGITAL,
                rating=ratings.get((Rating.Kind.COURSE, key)),
                completed_at=registration.outcome.recorded_at,
            )
        )
    return found


def _completed(rater: _Rater) -> list[CompletedService]:
    ratings: dict[tuple[str, str], Rating] = {}
    if rater.user_id is not None:
        ratings = {(r.service_kind, r.service_key): r for r in Rating.objects.filter(user_id=rater.user_id)}
    return [
        *_cases(rater, ratings),
        *_entitlements(rater, ratings),
        *_visits(rater, ratings),
        *_courses(rater, ratings),
    ]


def completed_services_for_citizen(account: CitizenAccount) -> list[CompletedService]:
    """The citizen's completed services, each with the rating they gave (or None), newest first within
    each kind: applications that reached a final state, entitlements granted, home visits done and
    programme courses whose outcome is recorded.

    The citizen is their user (the applications), and the registry persons they are: the account's
    person and those whose phone on record is the account's (the one they signed in with).
    """
    return _completed(_rater(account.phone, account))


def completed_service_for_citizen(account: CitizenAccount, *, kind: str, key: str) -> CompletedService | None:
    """One completed service of the citizen, or None when it is not theirs or not completed."""
    for service in completed_services_for_citizen(account):
        if service.kind == kind and service.key == key:
            return service
    return None


def completed_services_for_phone(phone: str) -> list[CompletedService]:
    """The completed services of whoever holds ``phone`` (an E.164 number the network vouched for, on
    SMS or USSD): their account's, else those of the persons with this phone on record (none rated yet:
    a rating needs an account, made when they rate).
    """
    account = CitizenAccount.objects.select_related("person__area").filter(phone=phone).first()
    return _completed(_rater(phone, account))


def services_to_rate_for_phone(phone: str) -> list[CompletedService]:
    """The completed services of ``phone``'s holder not rated yet, the most recently completed first
    (a tie keeps the order of ``completed_services_for_phone``)."""
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    unrated = [s for s in completed_services_for_phone(phone) if s.rating is None]
    return sorted(unrated, key=lambda s: s.completed_at or earliest, reverse=True)


# ---------------------------------------------------------------------------------------------------
# The escalation matrix


@dataclass(frozen=True)
class Level:
    """Where a grievance is handled at one tier of the matrix: the tier's index, the tier and the area."""

    index: int
    tier: Tier
    area: Area


def grievance_levels(area: Area) -> list[Level]:
    """The tiers of the matrix that exist above (or at) ``area``, lowest first, each with its area.

    A tier takes the deepest area of the path whose level it covers; a tier with no such area (a country
    without regions) is skipped, so escalation always moves to a level that exists.
    """
    path_areas = sorted([*area.ancestors(), area], key=lambda a: a.depth, reverse=True)
    levels: list[Level] = []
    for index, tier in enumerate(escalation_matrix()):
        found = next((a for a in path_areas if a.level in tier.area_levels), None)
        if found is not None:
            levels.append(Level(index, tier, found))
    if not levels:
        # An area whose levels the matrix does not name: the lowest tier handles it at the area itself.
        levels.append(Level(0, escalation_matrix()[0], area))
    return levels


def tier_named(name: str) -> Tier | None:
    return next((t for t in escalation_matrix() if t.tier == name), None)


def grievance_may_handle(user: AnyUser, grievance: Grievance) -> bool:
    """True when ``user`` holds the matrix role of the grievance's current level on its handling area
    (or an area above it), today."""
    tier = tier_named(grievance.tier)
    if tier is None:
        return False
    return staff_can_act(user, pack_id=grievance_pack_id(), roles=[tier.role], area=grievance.handling_area)


def grievance_assignments(user: AnyUser) -> list[StaffAssignment]:
    """The user's grievance-handling assignments in force today."""
    roles = {t.role for t in escalation_matrix()}
    return [a for a in staff_assignments_for(user, pack_id=grievance_pack_id()) if a.role in roles]


def grievance_queue_for_staff(user: AnyUser, *, include_closed: bool = False) -> QuerySet[Grievance]:
    """The grievances at the user's level in the user's area (and below), overdue first; none for others."""
    scopes: list[Q] = []
    for assignment in grievance_assignments(user):
        tiers = [t.tier for t in escalation_matrix() if t.role == assignment.role]
        scopes.append(Q(tier__in=tiers, handling_area__path__startswith=assignment.area.path))
    if not scopes:
        return Grievance.objects.none()
    qs = Grievance.objects.filter(reduce(or_, scopes)).select_related("area", "handling_area")
    if not include_closed:
        qs = qs.filter(status__in=Grievance.OPEN_STATUSES)
    return qs.order_by("due_at", "pk")


# ---------------------------------------------------------------------------------------------------
# The public status page


def grievance_for_status(reference: str, secret: str) -> Grievance | None:
    """The grievance with this reference when ``secret`` matches, else None (both wrong cases alike)."""
    reference = reference.strip().upper()
    grievance = Grievance.objects.select_related("handling_area").filter(reference=reference).first()
    normalised = secret.strip().upper().replace(" ", "").replace("-", "")
    if grievance is None or not normalised:
        # Spend the time of a real check, so timing does not tell which references exist.
        make_password(normalised or "x")
        return None
    return grievance if check_password(normalised, grievance.status_secret_hash) else None


def grievance_public_events(grievance: Grievance) -> list[Any]:
    """The steps the complainant may see (with the notes addressed to them); never the staff names."""
    return list(grievance.events.order_by("at", "pk").values("at", "action", "tier", "status", "note"))
