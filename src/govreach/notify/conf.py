"""The ``GOVREACH_NOTIFY`` setting, read with defaults so a fresh checkout sends to the console.

```python
GOVREACH_NOTIFY = {
    "backends": {"sms": "govreach.notify.backends.HttpSmsBackend",
                 "email": "govreach.notify.backends.SMTPEmailBackend",
                 "letter": "govreach.notify.backends.ConsoleBackend"},
    "max_attempts": 6, "backoff_seconds": 30, "backoff_max_seconds": 3600, "jitter": 0.25,
    "lease_seconds": 300,
    "sms_gateway": {"url": "https://gateway.example/v1/messages", "api_key": os.environ["SMS_API_KEY"],
                    "api_key_header": "X-API-Key", "sender": "GovReach", "timeout_seconds": 10,
                    "honours_idempotency_key": False},
    "email_from": "GovReach <no-reply@example.gov>",
}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHANNELS = ("sms", "email", "letter")
DEFAULT_BACKEND = "govreach.notify.backends.ConsoleBackend"


@dataclass(frozen=True)
class SmsGatewayConfig:
    """Where and how the HTTP SMS backend posts (``GOVREACH_NOTIFY["sms_gateway"]``)."""

    url: str = ""
    api_key: str = field(default="", repr=False)
    api_key_header: str = "X-API-Key"
    sender: str = "GovReach"
    timeout_seconds: float = 10.0
    id_field: str = "id"
    # True only if the provider documents that it drops a second request with the same Idempotency-Key:
    # then a message whose outcome a crash left unknown is posted again (exactly once at the provider);
    # otherwise it is not resent but failed for staff to check (at most once). See notify.services.
    honours_idempotency_key: bool = False


@dataclass(frozen=True)
class NotifyConfig:
    """Everything the outbox worker and the backends read from settings."""

    backends: dict[str, str]
    max_attempts: int = 6
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    jitter: float = 0.25
    lease_seconds: float = 300.0
    sms_gateway: SmsGatewayConfig = field(default_factory=SmsGatewayConfig)
    email_from: str | None = None


def notify_config() -> NotifyConfig:
    """The notify settings in force (read afresh each call, so ``override_settings`` takes effect)."""
    raw: dict[str, Any] = dict(getattr(settings, "GOVREACH_NOTIFY", None) or {})
    unknown = set(raw) - set(NotifyConfig.__dataclass_fields__)
    if unknown:
        raise ImproperlyConfigured(
            f"GOVREACH_NOTIFY has unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(NotifyConfig.__dataclass_fields__)}"
        )
    backends = dict.fromkeys(CHANNELS, DEFAULT_BACKEND) | dict(raw.get("backends") or {})
    bad_channels = set(backends) - set(CHANNELS)
    if bad_channels:
        raise ImproperlyConfigured(
            f"GOVREACH_NOTIFY['backends'] names unknown channel(s) {', '.join(sorted(bad_channels))}; "
            f"channels: {', '.join(CHANNELS)}"
        )
    gateway_raw = dict(raw.get("sms_gateway") or {})
    try:
        gateway = SmsGatewayConfig(**gateway_raw)
    except TypeError as exc:
        raise ImproperlyConfigured(f"GOVREACH_NOTIFY['sms_gateway']: {exc}") from None
    config = NotifyConfig(
        backends=backends,
        max_attempts=int(raw.get("max_attempts", 6)),
        backoff_seconds=float(raw.get("backoff_seconds", 30)),
        backoff_max_seconds=float(raw.get("backoff_max_seconds", 3600)),
        jitter=float(raw.get("jitter", 0.25)),
        lease_seconds=float(raw.get("lease_seconds", 300)),
        sms_gateway=gateway,
        email_from=raw.get("email_from"),
    )
    if config.max_attempts < 1 or config.backoff_seconds < 0 or config.lease_seconds <= 0:
        raise ImproperlyConfigured(
            "GOVREACH_NOTIFY: max_attempts must be at least 1, backoff_seconds at least 0, "
            "lease_seconds more than 0"
        )
    return config
