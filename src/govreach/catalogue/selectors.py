"""Reads from the catalogue: the services on offer and the loaded pack behind each one."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from django.db.models import Q, QuerySet
from django.utils import timezone

from govreach.catalogue.cache import in_force_remembered
from govreach.catalogue.models import PackPilot, ServicePack
from govreach.packs.loader import Pack, PackInvalid, load_pack
from govreach.registry.models import Area


class ServicePackNotFound(LookupError):
    """No active version of this pack is loaded (a 404 for the web and the API)."""

    def __init__(self, pack_id: str) -> None:
        super().__init__(f"no service '{pack_id}' is loaded")
        self.pack_id = pack_id


class ServicePackUnavailable(RuntimeError):
    """The pack is in the catalogue but its files are gone or changed since it was loaded."""

    def __init__(self, service_pack: ServicePack, reason: str) -> None:
        super().__init__(
            f"service '{service_pack.pack_id}' {service_pack.version} cannot be used: {reason}; "
            f"run `govreach packs load {service_pack.path}`"
        )
        self.service_pack = service_pack
        self.reason = reason


def service_pack_list(*, include_inactive: bool = False) -> QuerySet[ServicePack]:
    """The services on offer (the active version of each pack), ordered by pack id."""
    packs = ServicePack.objects.all() if include_inactive else ServicePack.objects.filter(is_active=True)
    return packs.order_by("pack_id", "-loaded_at")


def service_pack_get(pack_id: str) -> ServicePack:
    """The active version of ``pack_id``; raise ServicePackNotFound when there is none."""
    try:
        return ServicePack.objects.get(pack_id=pack_id, is_active=True)
    except ServicePack.DoesNotExist:
        raise ServicePackNotFound(pack_id) from None


@lru_cache(maxsize=64)
def _pack_at(path: str, version: str | None, digest: str) -> Pack:
    # Keyed by digest too: a reloaded pack (new digest) is read afresh, an unchanged one never again.
    return load_pack(Path(path), version=version)


def pack_for(service_pack: ServicePack) -> Pack:
    """The loaded Pack behind a catalogue row, from its folder, cached per (path, digest) in the process."""
    try:
        version = service_pack.version if service_pack.version_dir else None
        pack = _pack_at(service_pack.path, version, service_pack.digest)
    except PackInvalid as exc:
        raise ServicePackUnavailable(
            service_pack, f"its files no longer load ({len(exc.problems)} problem(s))"
        ) from exc
    if pack.digest != service_pack.digest or pack.id != service_pack.pack_id:
        raise ServicePackUnavailable(service_pack, "its files changed since it was loaded")
    return pack


def service_pack_in_force(
    pack_id: str, *, area_code: str | None = None, on: dt.date | None = None
) -> ServicePack:
    """The version that decides for a unit in ``area_code`` on ``on``: a running pilot's version when
    the area lies in one of the pilot's areas (or below), else the version in force everywhere."""
    if area_code:
        on = on or timezone.localdate()
        area = Area.objects.filter(code=area_code).first()
        if area is not None:
            codes = [*area.ancestor_codes, area.code]
            pilot = (
                PackPilot.objects.filter(
                    service_pack__pack_id=pack_id,
                    status=PackPilot.Status.RUNNING,
                    starts_on__lte=on,
                    areas__code__in=codes,
                )
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
                .select_related("service_pack")
                .order_by("-starts_on", "-pk")
                .first()
            )
            if pilot is not None:
                return pilot.service_pack
    return service_pack_get(pack_id)


def service_pack_active(
    pack_id: str, *, area_code: str | None = None, on: dt.date | None = None
) -> tuple[ServicePack, Pack]:
    """``service_pack_in_force`` and its loaded Pack, remembered by the process (catalogue.cache) so
    that a decision reads no database; ServicePackNotFound / ServicePackUnavailable as ``active_pack``.

    The row is shared between callers: read it, never change it.
    """
    # Without an area no pilot applies, so the date does not matter; with one, pilots run by date.
    day = (on or timezone.localdate()) if area_code else None

    def fetch() -> tuple[ServicePack, Pack]:
        row = service_pack_in_force(pack_id, area_code=area_code, on=day)
        return row, pack_for(row)

    return in_force_remembered(("in_force", pack_id, area_code or None, day), fetch)


def active_pack(pack_id: str, *, area_code: str | None = None, on: dt.date | None = None) -> Pack:
    """The Pack in force for ``pack_id`` (in ``area_code`` on ``on`` when given: pilots);
    ServicePackNotFound if unknown, ServicePackUnavailable if stale."""
    return service_pack_active(pack_id, area_code=area_code, on=on)[1]


def pack_decided_under(pack_id: str, version: str | None) -> Pack:
    """The rules a recorded decision was made under (its version), else the version in force today."""
    row = ServicePack.objects.filter(pack_id=pack_id, version=version).first() if version else None
    return pack_for(row) if row is not None else active_pack(pack_id)


def service_pack_version(pack_id: str, version: str) -> ServicePack:
    """One stored version of a pack (any state): what an old decision was made under."""
    try:
        return ServicePack.objects.get(pack_id=pack_id, version=version)
    except ServicePack.DoesNotExist:
        raise ServicePackNotFound(f"{pack_id} {version}") from None


def cycle_versions(files: Pack, decided_on: dt.date) -> tuple[Pack, list[tuple[Pack, tuple[str, ...]]]]:
    """The versions a proactive cycle on ``decided_on`` decides with: the version in force (the pack's
    files when the pack is not in the catalogue) and each running pilot's version with its area codes
    (the pilot's areas and every area below them)."""
    row = ServicePack.objects.filter(pack_id=files.id, is_active=True).first()
    # A cycle run on another folder (a copy being tried out) decides with that folder's rules.
    is_same_folder = row is not None and Path(row.path) == files.path.resolve()
    national = pack_for(row) if row is not None and is_same_folder else files
    pilots: list[tuple[Pack, tuple[str, ...]]] = []
    running = (
        PackPilot.objects.filter(
            service_pack__pack_id=files.id, status=PackPilot.Status.RUNNING, starts_on__lte=decided_on
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=decided_on))
        .select_related("service_pack")
        .order_by("starts_on", "pk")
    )
    for pilot in running:
        codes = sorted({a.code for area in pilot.areas.all() for a in area.descendants(include_self=True)})
        pilots.append((pack_for(pilot.service_pack), tuple(codes)))
    return national, pilots
