"""Reads for people and access: what a staff user may do and see, citizens, intermediaries and consent.

``staff_can_act`` and ``staff_area_scope`` are the permission checks other apps (cases, web) call: a
role held on an area covers that area and everything below it, never its siblings or its parents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import reduce
from operator import or_

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from govreach.accounts.models import CitizenAccount, Consent, Intermediary, StaffAssignment, StaffProfile
from govreach.registry.models import Area

AnyUser = AbstractBaseUser | AnonymousUser


def _active_on(day: dt.date) -> Q:
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))


def _staff_assignments(
    user: AnyUser, *, pack_id: str, on: dt.date | None = None
) -> QuerySet[StaffAssignment]:
    if not (user.is_authenticated and user.is_active):
        return StaffAssignment.objects.none()
    return StaffAssignment.objects.filter(
        _active_on(on or timezone.localdate()), user_id=user.pk, pack_id=pack_id
    )


def staff_assignments_for(user: AnyUser, *, pack_id: str) -> list[StaffAssignment]:
    """The user's assignments for ``pack_id`` in force today, with their areas; empty for anonymous users."""
    return list(
        _staff_assignments(user, pack_id=pack_id).select_related("area").order_by("role", "area__path")
    )


def staff_can_act(user: AnyUser, *, pack_id: str, roles: Collection[str], area: Area) -> bool:
    """True when the user holds one of ``roles`` for ``pack_id`` today on ``area`` or an area above it.

    One query. An officer of one union cannot act on a neighbouring union's area, nor on the
    sub-district above their own union.
    """
    if not roles:
        return False
    on_area_or_above = Q(area_id=area.pk) | Q(area__code__in=area.ancestor_codes)
    return _staff_assignments(user, pack_id=pack_id).filter(on_area_or_above, role__in=list(roles)).exists()


def staff_area_scope(user: AnyUser, *, pack_id: str, roles: Collection[str] | None = None) -> QuerySet[Area]:
    """Every area the user may see for ``pack_id`` today: each assigned area and everything below it.

    ``roles`` keeps only the assignments of those roles (a finance officer of a service does not see
    its cases). A lazy queryset; filter cases with ``area__in=staff_area_scope(...)`` to stay one query.
    """
    assignments = _staff_assignments(user, pack_id=pack_id)
    if roles is not None:
        assignments = assignments.filter(role__in=list(roles))
    paths = list(assignments.values_list("area__path", flat=True).distinct())
    if not paths:
        return Area.objects.none()
    return Area.objects.filter(reduce(or_, (Q(path__startswith=p) for p in paths)))


def staff_assignment_list_for_user(user: AnyUser) -> list[StaffAssignment]:
    """All the user's assignments in force today, across packs, with their areas."""
    if not (user.is_authenticated and user.is_active):
        return []
    return list(
        StaffAssignment.objects.filter(_active_on(timezone.localdate()), user_id=user.pk)
        .select_related("area")
        .order_by("pack_id", "role", "area__path")
    )


def citizen_account_for(user: AnyUser) -> CitizenAccount | None:
    """The citizen account of a signed-in user, or None (staff, anonymous)."""
    if not user.is_authenticated:
        return None
    return CitizenAccount.objects.filter(user_id=user.pk).first()


def language_preference_for(user: AnyUser) -> str:
    """The language ``user`` chose with the switch (a BCP 47 tag such as ``pt-BR``), or ``""``."""
    if not user.is_authenticated:
        return ""
    account = CitizenAccount.objects.filter(user_id=user.pk).only("preferred_language").first()
    if account is not None:
        return account.preferred_language
    profile = StaffProfile.objects.filter(user_id=user.pk).only("preferred_language").first()
    return profile.preferred_language if profile is not None else ""


def intermediary_for(user: AnyUser) -> Intermediary | None:
    """The active intermediary profile of a signed-in user, or None."""
    if not (user.is_authenticated and user.is_active):
        return None
    return Intermediary.objects.select_related("area").filter(user_id=user.pk, is_active=True).first()


def consent_active(*, intermediary: Intermediary, citizen: CitizenAccount, pack_id: str) -> Consent | None:
    """The consent under which ``intermediary`` may act for ``citizen`` on ``pack_id`` now, or None."""
    return Consent.objects.filter(
        intermediary=intermediary,
        citizen=citizen,
        pack_id=pack_id,
        granted_at__isnull=False,
        revoked_at__isnull=True,
        intermediary__is_active=True,
    ).first()


def consent_list_for_citizen(*, citizen: CitizenAccount) -> list[Consent]:
    """Every consent the citizen gave or was asked for, newest first, with the intermediary's centre."""
    return list(citizen.consents.select_related("intermediary").order_by("-requested_at", "-pk"))


def consent_list_for_intermediary(*, intermediary: Intermediary) -> list[Consent]:
    """The intermediary's active consents, newest first, with the citizens."""
    return list(
        intermediary.consents.filter(granted_at__isnull=False, revoked_at__isnull=True)
        .select_related("citizen")
        .order_by("-granted_at", "-pk")
    )
