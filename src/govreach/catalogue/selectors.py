"""Reads from the catalogue: the services on offer and the loaded pack behind each one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.db.models import QuerySet

from govreach.catalogue.models import ServicePack
from govreach.packs.loader import Pack, PackInvalid, load_pack


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
def _pack_at(path: str, digest: str) -> Pack:
    # Keyed by digest too: a reloaded pack (new digest) is read afresh, an unchanged one never again.
    return load_pack(Path(path))


def pack_for(service_pack: ServicePack) -> Pack:
    """The loaded Pack behind a catalogue row, from its folder, cached per (path, digest) in the process."""
    try:
        pack = _pack_at(service_pack.path, service_pack.digest)
    except PackInvalid as exc:
        raise ServicePackUnavailable(
            service_pack, f"its files no longer load ({len(exc.problems)} problem(s))"
        ) from exc
    if pack.digest != service_pack.digest or pack.id != service_pack.pack_id:
        raise ServicePackUnavailable(service_pack, "its files changed since it was loaded")
    return pack


def active_pack(pack_id: str) -> Pack:
    """The Pack in force for ``pack_id``; ServicePackNotFound if unknown, ServicePackUnavailable if stale."""
    return pack_for(service_pack_get(pack_id))
