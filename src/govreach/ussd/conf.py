"""Configuration from the environment, read when used (so a deployment changes it without code).

- ``GOVREACH_USSD_SECRET``: the shared secret the USSD gateway sends (header ``X-Gateway-Secret`` or
  query parameter ``secret``). Unset: refused, except under DEBUG where the check is off.
- ``GOVREACH_SMS_INBOUND_SECRET``: the same for the SMS gateway's inbound callback.
- ``GOVREACH_USSD_SERVICE_CODES``: ``*384*1#=PT,*384*2#=BD``: the country each service code serves,
  whose language the menus use for a caller GovReach does not know.
- ``GOVREACH_USSD_SESSION_SECONDS``: how long a session waits for the next input (180 by default).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from django.conf import settings

USSD_SECRET_ENV = "GOVREACH_USSD_SECRET"  # noqa: S105 - the variable's name, not a secret
SMS_INBOUND_SECRET_ENV = "GOVREACH_SMS_INBOUND_SECRET"  # noqa: S105 - the variable's name, not a secret
SECRET_HEADER = "X-Gateway-Secret"  # noqa: S105 - a header name
SECRET_QUERY_PARAMETER = "secret"  # noqa: S105 - a parameter name
DEFAULT_SESSION_SECONDS = 180


def gateway_secret(env_name: str) -> str:
    return os.environ.get(env_name, "")


def session_seconds() -> int:
    raw = os.environ.get("GOVREACH_USSD_SESSION_SECONDS", "")
    return int(raw) if raw.isdigit() else DEFAULT_SESSION_SECONDS


def service_code_countries() -> dict[str, str]:
    """Service code -> ISO country, from ``GOVREACH_USSD_SERVICE_CODES``."""
    pairs = (item.split("=", 1) for item in os.environ.get("GOVREACH_USSD_SERVICE_CODES", "").split(","))
    return {code.strip(): country.strip().upper() for code, country in (p for p in pairs if len(p) == 2)}


def keyed_digest(value: str, *, purpose: str) -> str:
    """An HMAC of ``value`` under the secret key: equal inputs match, the value cannot be read back."""
    key = f"govreach.ussd:{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
