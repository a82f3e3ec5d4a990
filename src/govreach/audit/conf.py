"""Audit settings, read when used so a deployment changes them without code.

- ``GOVREACH_AUDIT_KEY``: the secret the chain's hashes are keyed with (HMAC-SHA256). Keep it out of
  the database's reach (environment, secret store): whoever can write the database but does not hold
  the key cannot forge a record the verifier accepts. Unset, a key is derived from ``SECRET_KEY``
  (still outside the database, but shared with sessions; set a dedicated one in production).
  Changing the key makes every older record fail verification: rotate only with a fresh anchor and
  keep the old key to verify the old part with ``--from``/``--to``.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def audit_key() -> bytes:
    """The HMAC key of the chain."""
    configured = getattr(settings, "GOVREACH_AUDIT_KEY", "")
    if configured:
        return str(configured).encode()
    return hmac.new(str(settings.SECRET_KEY).encode(), b"govreach.audit.chain", hashlib.sha256).digest()
