"""Defect rates for registry copies, the ``--defects`` parser and per-script typo variants.

Each rate is the probability that one record of a registry copy receives the defect; ``truth/`` keeps
the clean values. Typos are precomputed per name in the pool so rows only choose an index.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import asdict, dataclass, fields, replace

from govreach.population.errors import PopulationError

TYPO_VARIANTS = 4


@dataclass(frozen=True)
class DefectRates:
    """Per-record defect probabilities (0..1) applied to every person registry copy."""

    name_typo: float = 0.03
    date_swap: float = 0.01
    stale_address: float = 0.05
    missing_id: float = 0.05
    wrong_id: float = 0.01
    duplicate: float = 0.02
    supply_address_mismatch: float = 0.08

    def as_dict(self) -> dict[str, float]:
        """The rates by name, for the manifest."""
        return asdict(self)


DEFECT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(DefectRates))


def parse_defect_spec(spec: str | None, *, option: str = "--defects") -> DefectRates:
    """Parse ``name=rate,...`` (e.g. ``name_typo=0.05,missing_id=0.10``) over the defaults."""
    rates = DefectRates()
    if spec is None or not spec.strip():
        return rates
    accepted = ", ".join(DEFECT_NAMES)
    updates: dict[str, float] = {}
    for item in spec.split(","):
        name, sep, raw = item.strip().partition("=")
        name = name.strip()
        if not sep:
            raise PopulationError(f"{option}: expected name=rate, got {item.strip()!r}; names: {accepted}")
        if name not in DEFECT_NAMES:
            raise PopulationError(f"{option}: unknown defect {name!r}; accepted: {accepted}")
        try:
            value = float(raw)
        except ValueError:
            raise PopulationError(
                f"{option}: rate of {name} must be a number in [0, 1], got {raw!r}"
            ) from None
        if not 0.0 <= value <= 1.0:
            raise PopulationError(f"{option}: rate of {name} must be in [0, 1], got {value}")
        updates[name] = value
    return replace(rates, **updates)


# --- typo variants ---------------------------------------------------------------------------------------

_QWERTY_NEIGHBOURS = {
    "a": "qswz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _latin_typo(name: str, rnd: random.Random) -> str:
    stripped = _strip_accents(name)
    if stripped != name and rnd.random() < 0.4:
        return stripped
    chars = list(name)
    pos = rnd.randrange(1, len(chars)) if len(chars) > 1 else 0
    op = rnd.randrange(4)
    if op == 0 and len(chars) > 3:
        del chars[pos]
    elif op == 1 and pos < len(chars) - 1:
        chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    elif op == 2:
        lower = chars[pos].lower()
        if lower in _QWERTY_NEIGHBOURS:
            chars[pos] = rnd.choice(_QWERTY_NEIGHBOURS[lower])
        else:
            chars.insert(pos, chars[pos])
    else:
        chars.insert(pos, chars[pos])
    return "".join(chars)


def _hangul_typo(name: str, rnd: random.Random) -> str:
    chars = list(name)
    pos = rnd.randrange(len(chars))
    code = ord(chars[pos])
    if _HANGUL_FIRST <= code <= _HANGUL_LAST:
        offset = code - _HANGUL_FIRST
        initial, rest = divmod(offset, 21 * 28)
        medial, final = divmod(rest, 28)
        if rnd.random() < 0.5:
            medial = (medial + rnd.choice((1, -1, 4))) % 21
        else:
            final = (final + rnd.choice((1, 4, -1))) % 28
        chars[pos] = chr(_HANGUL_FIRST + (initial * 21 + medial) * 28 + final)
    elif len(chars) > 1:
        del chars[pos]
    return "".join(chars)


def _generic_typo(name: str, rnd: random.Random) -> str:
    """Bengali and other scripts: drop, repeat or swap one code point."""
    chars = list(name)
    pos = rnd.randrange(len(chars))
    op = rnd.randrange(3)
    if op == 0 and len(chars) > 2:
        del chars[pos]
    elif op == 1 and pos < len(chars) - 1:
        chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    else:
        chars.insert(pos, chars[pos])
    return "".join(chars)


def typo_variants(name: str, rnd: random.Random, count: int = TYPO_VARIANTS) -> list[str]:
    """``count`` misspellings of ``name``, each different from it (a keyboard, accent or jamo slip)."""
    if not name:
        return [name] * count
    first = ord(name[0])
    if _HANGUL_FIRST <= first <= _HANGUL_LAST:
        make = _hangul_typo
    elif first < 0x0250:
        make = _latin_typo
    else:
        make = _generic_typo
    variants: list[str] = []
    for _ in range(count):
        candidate = name
        for _attempt in range(8):
            candidate = make(name, rnd)
            if candidate != name:
                break
        if candidate == name:
            candidate = name + name[-1]
        variants.append(candidate)
    return variants
