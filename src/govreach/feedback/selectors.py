"""Reads: the services a citizen may rate, where a grievance is handled at each level of government,
who may handle it, and the staff queue (their level and area only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import Q, QuerySet

from govreach.accounts.models import CitizenAccount, StaffAssignment
from govreach.accounts.selectors import AnyUser, staff_assignments_for, staff_can_act
from govreach.cases.models import DRAFT, Application
from govreach.feedback.conf import Tier, escalation_matrix, grievance_pack_id
from govreach.feedback.models import Channel, Grievance, Rating
from govreach.packs.workflow import Workflow
from govreach.registry.models import Area

# ---------------------------------------------------------------------------------------------------
# Completed services


@dataclass(frozen=True)
class CompletedService:
    """A service delivered to a citizen, which they may rate once."""

    kind: str
    key: str
    service: str
    label: str  # the application reference or the supply point code: no personal data
    area: Area | None
    channel: str
    rating: Rating | None


def _application_is_final(application: Application) -> bool:
    from govreach.cases.services import pack_of

    try:
        workflow = pack_of(application).workflow
    except Exception:
        return application.decided_at is not None
    state = workflow.states.get(application.state) if isinstance(workflow, Workflow) else None
    return bool(state and state.is_terminal)


def completed_services_for_citizen(account: CitizenAccount) -> list[CompletedService]:
    """The applications of the citizen that reached a final state and the entitlements granted to them,
    each with the rating they gave (or None). Newest first within each kind.
    """
    from govreach.entitlements.models import Entitlement
    from govreach.entitlements.refusals import entitlement_list_for_citizen

    ratings = {(r.service_kind, r.service_key): r for r in Rating.objects.filter(user_id=account.user_id)}
    services: list[CompletedService] = []
    applications = (
        Application.objects.exclude(state=DRAFT)
        .filter(Q(applicant_id=account.user_id) | Q(acting_for_id=account.user_id))
        .select_related("area")
        .order_by("-created_at", "-pk")
    )
    for application in applications:
        if not _application_is_final(application):
            continue
        key = str(application.pk)
        assisted = application.submitted_by_id != account.user_id
        services.append(
            CompletedService(
                kind=Rating.Kind.CASE,
                key=key,
                service=application.pack_id,
                label=application.reference or "",
                area=application.area,
                channel=Channel.ASSISTED if assisted else Channel.DIGITAL,
                rating=ratings.get((Rating.Kind.CASE, key)),
            )
        )
    person_area = account.person.area if account.person is not None else None
    # Granted, whether still in force or ended since; a refused one was never delivered.
    granted = (Entitlement.Status.ACTIVE, Entitlement.Status.ENDED)
    for entitlement in entitlement_list_for_citizen(account).filter(status__in=granted):
        key = str(entitlement.pk)
        area = person_area or Area.objects.filter(code=entitlement.area_code).first()
        services.append(
            CompletedService(
                kind=Rating.Kind.ENTITLEMENT,
                key=key,
                service=entitlement.pack_id,
                label=entitlement.supply_point_code,
                area=area,
                # Granted without asking: proactive delivery counts as digital, no one had to assist.
                channel=Channel.DIGITAL,
                rating=ratings.get((Rating.Kind.ENTITLEMENT, key)),
            )
        )
    return services


def completed_service_for_citizen(account: CitizenAccount, *, kind: str, key: str) -> CompletedService | None:
    """One completed service of the citizen, or None when it is not theirs or not completed."""
    for service in completed_services_for_citizen(account):
        if service.kind == kind and service.key == key:
            return service
    return None


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
