"""Throttling of failures and sends in Django's cache: N events per key in a fixed window.

Keys (usernames, phone numbers, IP addresses) are hashed before they reach the cache, so a cache
dump reveals no phone number. ``cache.add`` + ``cache.incr`` keep the count atomic on shared caches
(Redis, Memcached); production needs a cache shared by every worker process (not the default LocMem).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone


@dataclass(frozen=True)
class Limit:
    """At most ``max_events`` per key within ``window``; then the key waits until the window ends."""

    scope: str
    max_events: int
    window: dt.timedelta


#: Wrong staff passwords or codes, per username and per IP address (a centre shares one address).
STAFF_FAILURES_PER_USERNAME = Limit("staff-user", 5, dt.timedelta(minutes=15))
STAFF_FAILURES_PER_IP = Limit("staff-ip", 20, dt.timedelta(minutes=15))
#: One-time codes sent by SMS, per phone and per IP address.
CODE_SENDS_PER_PHONE = Limit("code-send-phone", 3, dt.timedelta(minutes=15))
CODE_SENDS_PER_IP = Limit("code-send-ip", 10, dt.timedelta(minutes=15))
#: Consent codes one intermediary may send (to any phones): a centre is busy, a broker is busier.
CONSENT_REQUESTS_PER_INTERMEDIARY = Limit("consent-intermediary", 30, dt.timedelta(hours=1))
#: Wrong one-time codes per IP address (per phone, each code allows 5 tries and sends are limited).
CODE_FAILURES_PER_IP = Limit("code-fail-ip", 20, dt.timedelta(minutes=15))


class Throttled(Exception):
    """Too many events; the caller may try again at ``retry_at``."""

    def __init__(self, retry_at: dt.datetime) -> None:
        super().__init__(f"throttled until {retry_at.isoformat()}")
        self.retry_at = retry_at

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, at least one."""
        seconds = (self.retry_at - timezone.now()).total_seconds()
        return max(1, int(-(-seconds // 60)))


def _keys(limit: Limit, key: str) -> tuple[str, str]:
    digest = hashlib.sha256(f"{limit.scope}\x00{key}".encode()).hexdigest()[:40]
    base = f"govreach:accounts:throttle:{limit.scope}:{digest}"
    return base + ":n", base + ":t"


def throttle_retry_at(limit: Limit, key: str) -> dt.datetime | None:
    """When ``key`` may act again under ``limit``, or None when it may act now."""
    count_key, start_key = _keys(limit, key)
    count = cache.get(count_key)
    started = cache.get(start_key)
    if count is None or started is None or int(count) < limit.max_events:
        return None
    retry_at = dt.datetime.fromtimestamp(float(started), tz=dt.UTC) + limit.window
    return retry_at if retry_at > timezone.now() else None


def throttle_check(*checks: tuple[Limit, str]) -> None:
    """Raise ``Throttled`` (with the latest retry time) when any (limit, key) pair is exhausted."""
    waits = [at for limit, key in checks if key and (at := throttle_retry_at(limit, key)) is not None]
    if waits:
        raise Throttled(max(waits))


def throttle_hit(*hits: tuple[Limit, str]) -> None:
    """Count one event against every (limit, key) pair; the window starts at the first event."""
    for limit, key in hits:
        if not key:
            continue
        count_key, start_key = _keys(limit, key)
        seconds = int(limit.window.total_seconds())
        cache.add(start_key, timezone.now().timestamp(), timeout=seconds)
        cache.add(count_key, 0, timeout=seconds)
        try:
            cache.incr(count_key)
        except ValueError:  # expired between add and incr: start a new window
            cache.set(count_key, 1, timeout=seconds)
            cache.set(start_key, timezone.now().timestamp(), timeout=seconds)


def throttle_clear(limit: Limit, key: str) -> None:
    """Forget the events of ``key`` (after a successful login by that user)."""
    cache.delete_many(list(_keys(limit, key)))
