"""Writes of rule changes: start a pilot of an approved version in chosen areas, and roll it back.

Version moves (propose, review, approve, activate, roll back) are catalogue services
(``govreach.catalogue.services``); a pilot is one more kind of move, recorded the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from govreach.catalogue.models import PackPilot, ServicePack
from govreach.catalogue.selectors import pack_for, service_pack_get
from govreach.catalogue.services import PackVersionRefused, is_approved, pack_version_event_record
from govreach.policy import conf
from govreach.registry.models import Area


def _shape(service_pack: ServicePack) -> tuple[list[str], list[str], list[str]]:
    rs = pack_for(service_pack).ruleset
    return list(rs.decisions), [node.id for _d, node, _ in rs.criteria()], list(rs.outputs)


@transaction.atomic
def pilot_start(
    *,
    service_pack: ServicePack,
    areas: Iterable[Area],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    by: Any,
) -> PackPilot:
    """Put an approved version in force in ``areas`` (and below) from ``starts_on``; the rest of the
    country stays on the version in force. The version must decide the same decisions with the same
    criteria (parameters and conditions may differ), so that the two groups can be compared."""
    areas = list(areas)
    row = ServicePack.objects.select_for_update(of=("self",)).get(pk=service_pack.pk)
    if not areas:
        raise PackVersionRefused("a pilot needs at least one area")
    if row.is_active:
        raise PackVersionRefused(f"{row.pack_id} {row.version} is already in force everywhere")
    if not is_approved(row):
        raise PackVersionRefused(
            f"{row.pack_id} {row.version} is {row.state}: a pilot needs a second person's approval first"
        )
    if ends_on is not None and ends_on < starts_on:
        raise PackVersionRefused("the pilot ends before it starts")
    in_force = service_pack_get(row.pack_id)
    if _shape(row) != _shape(in_force):
        raise PackVersionRefused(
            f"{row.version} does not decide with the same criteria as {in_force.version}: "
            "pilot a version that changes parameters or conditions, not the shape of the decision"
        )
    running = PackPilot.objects.filter(service_pack__pack_id=row.pack_id, status=PackPilot.Status.RUNNING)
    overlap = running.filter(areas__in=areas).exists()
    if overlap:
        raise PackVersionRefused("another pilot of this service is running in one of these areas")
    pilot = PackPilot.objects.create(
        service_pack=row,
        starts_on=starts_on,
        ends_on=ends_on,
        on_rollback=row.on_rollback,
        started_by=by,
        started_at=timezone.now(),
    )
    pilot.areas.set(areas)
    pack_version_event_record(
        action="pilot_started",
        actor=by,
        service_pack=row,
        detail={
            "pilot": pilot.pk,
            "areas": sorted(a.code for a in areas),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
            "in_force_elsewhere": in_force.version,
        },
    )
    return pilot


@transaction.atomic
def pilot_roll_back(*, pilot: PackPilot, by: Any, on: dt.date | None = None) -> PackPilot:
    """Stop a running pilot: its areas go back to the version in force from ``on`` (today).

    What happens to the entitlements it granted is the version's ``on_rollback``, carried out by the
    next cycle: ``keep_until_review`` keeps them until the review date set here, ``end_at_next_cycle``
    lets the rules in force decide them at once.
    """
    locked = PackPilot.objects.select_for_update(of=("self",)).get(pk=pilot.pk)
    if locked.status != PackPilot.Status.RUNNING:
        raise PackVersionRefused("this pilot is not running")
    on = on or timezone.localdate()
    locked.status = PackPilot.Status.ROLLED_BACK
    locked.ended_by, locked.ended_at, locked.ended_on = by, timezone.now(), on
    if locked.on_rollback == "keep_until_review":
        locked.review_on = on + dt.timedelta(days=conf.review_days())
    locked.save(update_fields=["status", "ended_by", "ended_at", "ended_on", "review_on"])
    pack_version_event_record(
        action="pilot_rolled_back",
        actor=by,
        service_pack=locked.service_pack,
        detail={
            "pilot": locked.pk,
            "on": on.isoformat(),
            "on_rollback": locked.on_rollback,
            "review_on": locked.review_on.isoformat() if locked.review_on else None,
        },
    )
    return locked
