"""Every read or change of a person's data through the GovStack APIs goes to GovReach's audit log,
with the calling system (the Information-Mediator-Client) and the channel ``govstack``."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.http import HttpRequest

from govreach.audit.log import audit_record
from govreach.govstack.models import ClientSystem

CHANNEL = "govstack"
# What the audit log accepts in ``detail``: short codes, never a long number (it could be an id).
_CODE = re.compile(r"^[A-Za-z0-9_.:/+=,-]{1,60}$")
_LONG_DIGITS = re.compile(r"\d{7,}")


def _code(value: str) -> str | None:
    """``value`` when it is a plain code the audit log may hold; otherwise it is left out."""
    return value if _CODE.fullmatch(value) and not _LONG_DIGITS.search(value) else None


def audit_govstack(
    *,
    action: str,
    request: HttpRequest,
    client: ClientSystem,
    person: Any = None,
    subject: models.Model | None = None,
    registry: str = "",
    field: str = "",
    step: str = "",
) -> None:
    """Record ``action`` by ``client`` on ``person`` (a registry Person) and ``subject`` (the row).

    The actor is the client system's operator account when it has one (its rights were used), else
    nobody: the client system itself, named by the entry's ``client``.
    """
    given = {"registry": registry, "field": field, "step": step}
    detail: dict[str, str | int | float | bool | None] = {
        key: code for key, value in given.items() if value and (code := _code(value)) is not None
    }
    audit_record(
        action=action,
        request=request,
        actor=client.operator,
        person=person,
        subject=subject,
        channel=CHANNEL,
        client=client.identifier,
        detail=detail or None,
    )
