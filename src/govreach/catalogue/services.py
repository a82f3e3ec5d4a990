"""Writes to the catalogue: record a loaded pack version and choose the version in force."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from govreach.audit.log import audit_record
from govreach.catalogue.models import PackVersionEvent, ServicePack
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
        "version_dir": (str(pack.version_dir.relative_to(pack.path)) if pack.version_dir is not None else ""),
        "change_summaries": dict(pack.version_summary),
        "on_rollback": pack.on_rollback,
    }


class PackVersionRefused(Exception):
    """A move of a pack version that the four-eyes rule or the version's state does not allow."""


_AUDIT_TEXT = re.compile(r"^[A-Za-z0-9_.:/+=,-]{0,120}$")


def _audit_value(value: Any) -> str | int | float | bool | None:
    """A detail value as the audit log takes it: scalars, lists joined by commas, free text left out."""
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    # Long digit runs (a digest) look like id numbers to the audit log: the event keeps them instead.
    return text if _AUDIT_TEXT.match(text) and not re.search(r"\d{7,}", text) else None


def pack_version_event_record(
    *, action: str, actor: Any, service_pack: ServicePack, detail: dict[str, Any]
) -> None:
    """One PackVersionEvent (the version's history, with notes) and the same move in the audit log."""
    now = timezone.now()
    PackVersionEvent.objects.create(
        service_pack=service_pack, action=action, actor=actor, at=now, detail=detail
    )
    audit_record(
        action=f"pack_version.{action}",
        actor=actor,
        subject=service_pack,
        channel="staff" if actor is not None else "system",
        detail={
            "pack": service_pack.pack_id,
            "version": service_pack.version,
            **{key: _audit_value(value) for key, value in detail.items()},
        },
    )


@transaction.atomic
def service_pack_load(*, pack: Pack, proposed_by: Any = None) -> ServicePack:
    """Record a loaded pack version as a draft proposed by ``proposed_by`` (None: the system); idempotent.

    The first version of a pack (none of its versions is in force) is installed in force at once: it
    changes no rule anyone is decided under. Every later version waits for review and a second person's
    approval (``pack_version_review``, ``pack_version_approve``, ``pack_version_activate``). Reloading a
    known version with changed files or from another folder updates its row in place.
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
            if "digest" in changed:
                # Changed files under an approved version: recorded, so that the history shows it.
                pack_version_event_record(
                    action="reloaded", actor=proposed_by, service_pack=row, detail={"digest": pack.digest}
                )
        return row
    now = timezone.now()
    is_first = not any(v.is_active for v in versions)
    row = ServicePack.objects.create(
        pack_id=pack.id,
        version=pack.version,
        loaded_at=now,
        proposed_by=proposed_by,
        proposed_at=now,
        is_active=is_first,
        state=ServicePack.State.ACTIVE if is_first else ServicePack.State.DRAFT,
        activated_at=now if is_first else None,
        **fields,
    )
    pack_version_event_record(
        action="proposed", actor=proposed_by, service_pack=row, detail={"digest": pack.digest}
    )
    if is_first:
        pack_version_event_record(
            action="installed", actor=proposed_by, service_pack=row, detail={"first_version": True}
        )
    return row


def _require(row: ServicePack, states: tuple[str, ...], verb: str) -> None:
    if row.state not in states:
        raise PackVersionRefused(
            f"{row.pack_id} {row.version} is {row.state}: only a version that is "
            f"{' or '.join(states)} can be {verb}"
        )


def _locked(service_pack: ServicePack) -> ServicePack:
    return ServicePack.objects.select_for_update(of=("self",)).get(pk=service_pack.pk)


@transaction.atomic
def pack_version_review(*, service_pack: ServicePack, by: Any, note: str = "") -> ServicePack:
    """A second person has read the version (its files and its dry run): draft -> reviewed."""
    row = _locked(service_pack)
    _require(row, (ServicePack.State.DRAFT,), "reviewed")
    if row.proposed_by_id is not None and row.proposed_by_id == by.pk:
        raise PackVersionRefused("the person who proposed a version cannot review it")
    row.state, row.reviewed_by, row.reviewed_at = ServicePack.State.REVIEWED, by, timezone.now()
    row.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    pack_version_event_record(action="reviewed", actor=by, service_pack=row, detail={"note": note[:500]})
    return row


@transaction.atomic
def pack_version_approve(*, service_pack: ServicePack, by: Any, note: str = "") -> ServicePack:
    """Approval by a second person: reviewed -> approved (not yet in force).

    The approver is never the proposer; for a version the system loaded (no proposer), never the reviewer
    either: at least two people always stand behind a version before it can be in force.
    """
    row = _locked(service_pack)
    _require(row, (ServicePack.State.REVIEWED,), "approved")
    if row.proposed_by_id is not None and row.proposed_by_id == by.pk:
        raise PackVersionRefused("the person who proposed a version cannot approve it")
    if row.proposed_by_id is None and row.reviewed_by_id == by.pk:
        # Loaded by the system: the reviewer stands in for the proposer, so approval is a second person's.
        raise PackVersionRefused(
            "the person who reviewed a version loaded by the system cannot also approve it"
        )
    row.state, row.approved_by, row.approved_at = ServicePack.State.APPROVED, by, timezone.now()
    row.save(update_fields=["state", "approved_by", "approved_at"])
    pack_version_event_record(action="approved", actor=by, service_pack=row, detail={"note": note[:500]})
    return row


def is_approved(row: ServicePack) -> bool:
    """Approved by a second person, or once in force (the first version installed, a retired one)."""
    return row.state in (ServicePack.State.APPROVED, ServicePack.State.ACTIVE) or (
        row.state == ServicePack.State.RETIRED and row.activated_at is not None
    )


@transaction.atomic
def pack_version_activate(*, service_pack: ServicePack, by: Any, action: str = "activated") -> ServicePack:
    """Put an approved version in force everywhere; the version in force until now is retired.

    A retired version (in force before) may come back: that is a roll-back. A draft or reviewed one may
    not: no version is in force without a second person's approval.
    """
    row = _locked(service_pack)
    if row.is_active:
        return row
    if not is_approved(row):
        raise PackVersionRefused(
            f"{row.pack_id} {row.version} is {row.state}: it needs a second person's approval first"
        )
    now = timezone.now()
    in_force = ServicePack.objects.select_for_update(of=("self",)).filter(pack_id=row.pack_id, is_active=True)
    for old in in_force:
        old.is_active, old.state, old.retired_at = False, ServicePack.State.RETIRED, now
        old.save(update_fields=["is_active", "state", "retired_at"])
        pack_version_event_record(
            action="retired", actor=by, service_pack=old, detail={"replaced_by": row.version}
        )
    row.is_active, row.state, row.activated_by, row.activated_at = True, ServicePack.State.ACTIVE, by, now
    row.save(update_fields=["is_active", "state", "activated_by", "activated_at"])
    pack_version_event_record(action=action, actor=by, service_pack=row, detail={})
    return row


@transaction.atomic
def pack_version_roll_back(*, pack_id: str, by: Any) -> ServicePack:
    """Put back in force the version that was in force before the current one."""
    versions = ServicePack.objects.select_for_update(of=("self",)).filter(pack_id=pack_id)
    current = versions.filter(is_active=True).first()
    previous = (
        versions.filter(state=ServicePack.State.RETIRED, activated_at__isnull=False)
        .order_by("-retired_at", "-pk")
        .first()
    )
    if current is None or previous is None:
        raise PackVersionRefused(f"{pack_id} has no earlier version in force to roll back to")
    return pack_version_activate(service_pack=previous, by=by, action="rolled_back")


def service_pack_activate(*, service_pack: ServicePack, by: Any = None) -> ServicePack:
    """Make this stored version the one in force (roll-back or roll-forward); it must be approved."""
    return pack_version_activate(service_pack=service_pack, by=by)
