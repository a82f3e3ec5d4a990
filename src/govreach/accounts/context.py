"""Template context: who is acting for whom, on every page.

Add ``"govreach.accounts.context.acting_for"`` to ``TEMPLATES[0]["OPTIONS"]["context_processors"]``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from govreach.accounts.access import acting_for_consent


def _describe(request: HttpRequest) -> dict[str, Any] | None:
    consent = acting_for_consent(request)
    if consent is None:
        return None
    return {
        "citizen_id": consent.citizen.pk,
        "citizen_phone": consent.citizen.masked_phone,
        "centre_name": consent.intermediary.centre_name,
        "intermediary_user_id": consent.intermediary.user_id,
        "pack_id": consent.pack_id,
        "consent_id": consent.pk,
    }


def acting_for(request: HttpRequest) -> dict[str, Any]:
    """``acting_for``: falsy, or the citizen (masked phone only), the centre and the pack of the consent.

    Lazy, like ``user``: a page that never shows it does not read the session (no ``Vary: Cookie``).
    """
    return {"acting_for": SimpleLazyObject(lambda: _describe(request))}
