"""Each process's memory of the pack versions in force, so that a decision costs no database query.

A remembered answer is used only while all of these hold:

- it is younger than ``IN_FORCE_SECONDS`` (a backstop for writes that bypass the ORM's signals);
- the catalogue's generation in the shared cache (``django.core.cache``: one machine's files by
  default, Redis or Memcached across machines) is the one read before the answer was fetched: every
  committed write to the catalogue moves it, so every process sees a new version at its next call;
- this thread is outside any transaction: inside one, the database is read as the transaction sees it,
  and nothing uncommitted (or later rolled back) is ever remembered.

A write in this process forgets everything at once and again when it commits.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Longest time a process trusts what it remembers without looking at the database again.
IN_FORCE_SECONDS = 2.0

GENERATION_KEY = "govreach:catalogue:generation"

_lock = threading.Lock()
_remembered: dict[Hashable, tuple[float, object, object]] = {}
_local_generation = 0


def _shared_generation() -> object:
    try:
        return cache.get(GENERATION_KEY)
    except Exception:  # an unreachable cache server must not stop decisions: the database decides
        return uuid.uuid4()


def in_force_remembered(key: Hashable, fetch: Callable[[], T]) -> T:
    """``fetch()`` (a read of the version in force), remembered per ``key`` as the module says."""
    if connection.in_atomic_block:
        return fetch()
    now = time.monotonic()
    shared = _shared_generation()
    entry = _remembered.get(key)
    if entry is not None and now - entry[0] < IN_FORCE_SECONDS and entry[1] == shared:
        return entry[2]  # type: ignore[return-value]
    local = _local_generation
    value = fetch()
    with _lock:
        # A write committed while we read: what we read may predate it, so it is not remembered.
        if local == _local_generation:
            _remembered[key] = (now, shared, value)
    return value


def _forget_here() -> None:
    global _local_generation
    with _lock:
        _local_generation += 1
        _remembered.clear()


def _committed() -> None:
    _forget_here()
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logger.warning("the shared cache is unreachable: other processes see the catalogue change "
                       "within %s s", IN_FORCE_SECONDS)  # fmt: skip


def catalogue_changed(**_signal: Any) -> None:
    """Forget the versions in force in this process now, and in every process once the write commits.

    Connected to every save and delete of the catalogue's models; call it after a bulk ``update()``.
    """
    _forget_here()
    transaction.on_commit(_committed)
