""" "My personal data usage": who read or changed a person's data, answered from GovReach's audit log."""

from __future__ import annotations

from typing import Any

from govreach.registry.models import Person

try:
    from govreach.audit.log import person_data_usage
except ImportError:  # TEMPORARY until the audit log is merged from main; removed before the report

    def person_data_usage(person: Any) -> list[Any]:  # type: ignore[misc]
        return []


def personal_data_usage(person: Person) -> list[dict[str, Any]]:
    """The audit log's entries about ``person`` as the building block's ``personalDataUsage`` items."""
    return [_item(entry) for entry in person_data_usage(person)]


def _item(entry: Any) -> dict[str, Any]:
    return {"id": str(getattr(entry, "pk", ""))}
