""" "My personal data usage": who read or changed a person's data, answered from GovReach's audit log."""

from __future__ import annotations

from typing import Any

from govreach.audit.log import person_data_usage
from govreach.audit.models import AuditEntry
from govreach.govstack.models import ClientSystem
from govreach.registry.models import Person

GOVREACH = "GovReach"


def personal_data_usage(person: Person, *, limit: int = 500) -> list[dict[str, Any]]:
    """The audit log's entries about ``person``, newest first, as ``personalDataUsage`` items.

    The reader is the GovReach account (its username) or the calling system; the institution is the
    system's member code (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``) and name, or GovReach itself.
    """
    entries = list(person_data_usage(person)[:limit])
    identifiers = {e.client for e in entries if e.client}
    names = dict(ClientSystem.objects.filter(identifier__in=identifiers).values_list("identifier", "name"))
    return [_item(entry, names) for entry in entries]


def _item(entry: AuditEntry, names: dict[str, str]) -> dict[str, Any]:
    parts = entry.client.split("/")
    member = parts[2] if len(parts) >= 3 else ""
    item: dict[str, Any] = {
        "id": str(entry.seq),
        "readerId": entry.actor_username or entry.client or entry.actor_role,
        "readerInstitutionId": member or GOVREACH,
        "readerInstitutionName": names.get(entry.client, GOVREACH if not entry.client else entry.client),
        "readerApplicationName": entry.client or f"{GOVREACH} ({entry.channel or 'system'})",
        "searchDateTime": entry.created_at.isoformat(),
        "refrences": [{"ReferenceId": f"{entry.subject_type}:{entry.subject_id}"}]
        if entry.subject_type
        else [],
        "action": entry.action,
        "channel": entry.channel,
    }
    return item
