"""Writes to the catalogue: record a loaded pack version and choose the version in force."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from govreach.catalogue.models import ServicePack
from govreach.packs.loader import Pack

_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def version_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """Sort key for MAJOR.MINOR.PATCH[-pre][+build]: a pre-release sorts before its release."""
    match = _SEMVER.match(version)
    if match is None:
        return (-1, -1, -1, 0, ())
    major, minor, patch, pre = match.groups()
    pre_key = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre_key)


def _pack_fields(pack: Pack) -> dict[str, Any]:
    service = pack.service
    return {
        "kind": service.kind,
        "unit": service.unit,
        "country": service.country,
        "owner": service.owner,
        "titles": dict(service.title),
        "summaries": dict(service.summary or {}),
        "languages": list(service.languages),
        "legal_basis": [ref.model_dump(mode="json", exclude_none=True) for ref in service.legal_basis],
        "path": str(pack.path.resolve()),
        "digest": pack.digest,
    }


@transaction.atomic
def service_pack_load(*, pack: Pack) -> ServicePack:
    """Record a loaded pack version; idempotent. A version newer than the active one becomes active.

    Reloading a known version with changed files or from another folder updates its row in place;
    loading an older version keeps the newer one active (use ``service_pack_activate`` to roll back).
    """
    versions = list(ServicePack.objects.select_for_update(of=("self",)).filter(pack_id=pack.id))
    fields = _pack_fields(pack)
    row = next((v for v in versions if v.version == pack.version), None)
    if row is not None:
        changed = [name for name, value in fields.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, fields[name])
            row.loaded_at = timezone.now()
            row.save(update_fields=[*changed, "loaded_at"])
        return row
    active = next((v for v in versions if v.is_active), None)
    becomes_active = active is None or version_key(pack.version) > version_key(active.version)
    if becomes_active and active is not None:
        active.is_active = False
        active.save(update_fields=["is_active"])
    return ServicePack.objects.create(
        pack_id=pack.id, version=pack.version, loaded_at=timezone.now(), is_active=becomes_active, **fields
    )


@transaction.atomic
def service_pack_activate(*, service_pack: ServicePack) -> ServicePack:
    """Make this stored version the one in force for its pack (a roll-back or roll-forward)."""
    ServicePack.objects.select_for_update(of=("self",)).filter(
        pack_id=service_pack.pack_id, is_active=True
    ).exclude(pk=service_pack.pk).update(is_active=False)
    # Written whatever the in-memory flag says: the caller's instance may predate a newer load.
    ServicePack.objects.filter(pk=service_pack.pk).update(is_active=True)
    service_pack.is_active = True
    return service_pack
