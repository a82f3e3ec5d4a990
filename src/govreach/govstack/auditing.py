"""Every read or change of a person's data through the GovStack APIs goes to GovReach's audit log,
with the calling system (the Information-Mediator-Client) and the channel ``govstack``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

try:
    from govreach.audit.log import audit_record
except ImportError:  # TEMPORARY until the audit log is merged from main; removed before the report
    _PENDING: list[dict[str, Any]] = []

    def audit_record(**kwargs: Any) -> None:  # type: ignore[misc]
        _PENDING.append(kwargs)


from govreach.govstack.models import ClientSystem

CHANNEL = "govstack"


def audit_govstack(
    *,
    action: str,
    request: HttpRequest,
    client: ClientSystem,
    person: Any = None,
    subject: Any = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record ``action`` by ``client`` on ``person`` (a registry Person) or ``subject`` (another row)."""
    audit_record(
        action=action,
        request=request,
        actor=None,
        person=person,
        subject=subject,
        channel=CHANNEL,
        client=client.identifier,
        detail=detail,
    )
