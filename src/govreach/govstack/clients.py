"""Client systems: who is calling, with which API key, and what they may do.

Every call names its system in ``Information-Mediator-Client`` (``INSTANCE/CLASS/MEMBER/SUBSYSTEM``)
and proves it with that system's API key in ``Authorization`` (``Bearer <key>`` or the bare key), the
pattern of the partner tokens (govreach.entitlements.partners): the key is shown once and only its
SHA-256 is kept. Refusals: no key 401; a key that is unknown or revoked 401; the header missing where
the document requires it 400; a header naming another or an unknown system 403; no permission 403.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from govreach.govstack.errors import ApiError
from govreach.govstack.models import ClientSystem, ClientToken

KEY_PREFIX = "gsk_"  # tells GovStack keys apart from other tokens; not a secret
IM_HEADER = "Information-Mediator-Client"
_MAX_KEY_LENGTH = 200


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def client_token_create(*, client: ClientSystem, name: str) -> tuple[ClientToken, str]:
    """A new API key of ``client``; the raw key is returned once and only its hash is kept."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ClientToken.objects.create(
        client=client, name=name[:100] or "API", prefix=raw[:12], key_hash=_hash(raw)
    )
    return token, raw


@transaction.atomic
def client_token_revoke(*, token: ClientToken) -> ClientToken:
    """Revoke a key: from now on it authenticates nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def client_token_authenticate(raw: str) -> ClientToken | None:
    """The active key whose hash matches ``raw`` (with its client system), or None."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > _MAX_KEY_LENGTH:
        return None
    token = ClientToken.objects.select_related("client").filter(key_hash=_hash(raw)).first()
    if token is None or token.revoked_at is not None:
        return None
    ClientToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def _raw_key(request: HttpRequest) -> str:
    value = request.headers.get("Authorization", "").strip()
    scheme, _, rest = value.partition(" ")
    return rest.strip() if scheme.lower() in ("bearer", "token", "apikey") and rest else value


def client_for_request(request: HttpRequest, *, header_required: bool = True) -> ClientSystem:
    """The client system calling, authenticated by its key and named by its Information-Mediator header.

    Where the document makes the header optional, a call without it acts as the key's own system.
    """
    raw = _raw_key(request)
    if not raw:
        raise ApiError(401, "Missing credentials: send the system's API key in the Authorization header.")
    token = client_token_authenticate(raw)
    if token is None:
        raise ApiError(401, "Unknown or revoked API key.")
    client = token.client
    named = request.headers.get(IM_HEADER, "").strip()
    if not named:
        if header_required:
            raise ApiError(400, f"The {IM_HEADER} header is required (INSTANCE/CLASS/MEMBER/SUBSYSTEM).")
    elif named != client.identifier:
        raise ApiError(403, f"Unknown client system in {IM_HEADER}, or not the system of this API key.")
    if not client.is_active:
        raise ApiError(403, "This client system is disabled.")
    return client


def require(client: ClientSystem, permission: str) -> None:
    """Refuse (403) a system without ``permission``."""
    if not client.may(permission):
        raise ApiError(403, f"This client system may not use this operation ({permission}).")
