"""The allocation order, as a procedure anyone can re-run by hand or in any language.

1. Leave out every registration the rules found not eligible.
2. Each remaining registration has a public key (e.g. ``K7M2-QX4P``) and a priority score.
3. Its lottery number is the SHA-256 of the UTF-8 text ``<seed>:<key>``, written in lower-case hex
   (``printf '%s' 'SEED:KEY' | sha256sum`` on any Unix machine).
4. Order by priority score, highest first; among equal scores, by lottery number, smallest first.
   The lottery breaks ties only: a higher score always comes first, whatever the seed.
5. The first ``places`` in this order get a place; the rest form the waiting list, in the same order.

Pure Python, no Django: the management command, the pages and the tests all call it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

PROCEDURE = "sha256(seed:key)"


def lottery_number(seed: str, key: str) -> str:
    """The key's lottery number for this seed: SHA-256 of ``seed:key`` in lower-case hex."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


@dataclass(frozen=True)
class Ranked:
    """One registration in the published order (1-based ``position``)."""

    position: int
    key: str
    priority: float
    lottery_number: str
    is_allocated: bool


def allocation_order(entries: Iterable[tuple[str, float]], *, seed: str, places: int) -> list[Ranked]:
    """``(key, priority)`` pairs in allocation order, the first ``places`` marked allocated."""
    numbered = [(key, float(priority), lottery_number(seed, key)) for key, priority in entries]
    numbered.sort(key=lambda e: (-e[1], e[2]))
    return [
        Ranked(position=i + 1, key=key, priority=priority, lottery_number=number, is_allocated=i < places)
        for i, (key, priority, number) in enumerate(numbered)
    ]
