"""Reads of rule changes: versions and their history, an old decision explained with its own rules,
and who may see or do what (the ``policy-officer`` role)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from govreach.accounts.models import StaffAssignment
from govreach.catalogue.models import PackPilot, PackVersionEvent, ServicePack
from govreach.catalogue.selectors import pack_for, service_pack_version
from govreach.entitlements.models import Entitlement
from govreach.packs.loader import text_in
from govreach.rules.diff import leaf_ids

POLICY_ROLE = "policy-officer"


def policy_packs_for(user: Any, *, on: dt.date | None = None) -> list[str]:
    """Packs on which ``user`` holds the policy-officer role today (any area: rules are national)."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return []
    on = on or timezone.localdate()
    held = StaffAssignment.objects.filter(user=user, role=POLICY_ROLE).order_by("pack_id")
    return sorted({a.pack_id for a in held if a.is_active_on(on)})


def pack_versions_for(pack_id: str) -> QuerySet[ServicePack]:
    return ServicePack.objects.filter(pack_id=pack_id).select_related(
        "proposed_by", "reviewed_by", "approved_by", "activated_by"
    )


def version_history(service_pack: ServicePack) -> QuerySet[PackVersionEvent]:
    return PackVersionEvent.objects.filter(service_pack=service_pack).select_related("actor")


def pilots_for(pack_id: str) -> QuerySet[PackPilot]:
    return (
        PackPilot.objects.filter(service_pack__pack_id=pack_id)
        .select_related("service_pack", "started_by", "ended_by")
        .prefetch_related("areas")
    )


@dataclass(frozen=True)
class ParameterShown:
    name: str
    description: str
    value: Any
    unit: str | None
    reference: str | None
    valid_from: dt.date


@dataclass(frozen=True)
class RecordedDecision:
    """An old decision with the rules it was made under: its version, date, criteria and parameters."""

    pack_id: str
    version: str
    decided_on: dt.date
    is_granted: bool | None
    criteria: list[tuple[str, str, bool | None]]  # (id, title, outcome)
    parameters: list[ParameterShown]


def parameters_in_force(service_pack: ServicePack, on: dt.date, language: str) -> list[ParameterShown]:
    """Every parameter of that version with the value it had on ``on``, and the law it cites."""
    out: list[ParameterShown] = []
    for name, param in sorted(pack_for(service_pack).ruleset.parameters.items()):
        value = param.value_on(on)
        if value is None:
            continue
        out.append(
            ParameterShown(
                name, text_in(param.description, language), value.value, param.unit,
                value.reference or param.reference, value.valid_from,
            )
        )  # fmt: skip
    return out


def entitlement_decision(entitlement: Entitlement, *, language: str = "en") -> RecordedDecision:
    """The last decision on an entitlement, explained with the version and date it was made under,
    whatever version is in force today."""
    last = entitlement.last_decision or {}
    version = str(last.get("pack_version") or entitlement.pack_version)
    decided_on = dt.date.fromisoformat(str(last.get("decided_on") or entitlement.valid_from.isoformat()))
    row = service_pack_version(entitlement.pack_id, version)
    ruleset = pack_for(row).ruleset
    outcomes: dict[str, bool | None] = last.get("criteria") or {}
    titles = {node.id: text_in(node.title, language) for _d, node, _ in ruleset.criteria()}
    decision = next(iter(ruleset.decisions)) if ruleset.main not in ruleset.decisions else ruleset.main
    criteria = [(c, titles.get(c, c), outcomes.get(c)) for c in leaf_ids(ruleset, decision)]
    return RecordedDecision(
        entitlement.pack_id,
        version,
        decided_on,
        last.get("decision"),
        criteria,
        parameters_in_force(row, decided_on, language),
    )
