"""Demographic profiles of the four reference countries: household sizes, ages, ids and phones.

Shares are rounded public figures (PT Census 2021, BD HIES 2022, Seoul and Seongdong-gu statistics 2020,
IBGE for Pernambuco); the age bins are calibrated so the generated shares of children and older people
land near them (see the tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

Int64Array = npt.NDArray[np.int64]
AgeBins = tuple[tuple[int, int, float], ...]

COUNTRIES = ("pt", "bd", "kr", "br")


@dataclass(frozen=True)
class CountryProfile:
    """What differs between countries in the common population (households, persons, ids, phones)."""

    code: str
    household_size_p: tuple[float, ...]
    couple_p: float
    extended_p: float
    male_head_p: float
    single_head_age: AgeBins
    family_head_age: AgeBins
    id_coverage_adult: float
    id_coverage_child: float
    id_min_age: int
    phone_prefix: str
    phone_first_digits: str
    phone_digits: int
    phone_adult_p: float
    apartment_p: float


PROFILES: dict[str, CountryProfile] = {
    "pt": CountryProfile(
        code="pt",
        household_size_p=(0.248, 0.333, 0.215, 0.150, 0.039, 0.011, 0.004),
        couple_p=0.78,
        extended_p=0.06,
        male_head_p=0.7,
        single_head_age=((20, 35, 0.09), (35, 50, 0.12), (50, 65, 0.21), (65, 80, 0.30), (80, 99, 0.28)),
        family_head_age=((22, 35, 0.09), (35, 50, 0.31), (50, 65, 0.31), (65, 80, 0.21), (80, 96, 0.08)),
        id_coverage_adult=0.995,
        id_coverage_child=0.9,
        id_min_age=0,
        phone_prefix="+3519",
        phone_first_digits="1236",
        phone_digits=7,
        phone_adult_p=0.9,
        apartment_p=0.5,
    ),
    "bd": CountryProfile(
        code="bd",
        household_size_p=(0.03, 0.10, 0.20, 0.26, 0.20, 0.11, 0.06, 0.04),
        couple_p=0.86,
        extended_p=0.22,
        male_head_p=0.95,
        single_head_age=((18, 35, 0.30), (35, 60, 0.35), (60, 90, 0.35)),
        family_head_age=((20, 30, 0.22), (30, 45, 0.43), (45, 60, 0.26), (60, 85, 0.09)),
        id_coverage_adult=0.95,
        id_coverage_child=0.0,
        id_min_age=18,
        phone_prefix="+8801",
        phone_first_digits="3456789",
        phone_digits=8,
        phone_adult_p=0.75,
        apartment_p=0.15,
    ),
    "kr": CountryProfile(
        code="kr",
        household_size_p=(0.349, 0.26, 0.20, 0.15, 0.033, 0.008),
        couple_p=0.78,
        extended_p=0.05,
        male_head_p=0.8,
        single_head_age=((20, 35, 0.36), (35, 50, 0.17), (50, 65, 0.18), (65, 75, 0.12), (75, 98, 0.17)),
        family_head_age=((25, 35, 0.10), (35, 50, 0.38), (50, 65, 0.33), (65, 75, 0.12), (75, 95, 0.07)),
        id_coverage_adult=1.0,
        id_coverage_child=1.0,
        id_min_age=0,
        phone_prefix="+8210",
        phone_first_digits="23456789",
        phone_digits=7,
        phone_adult_p=0.95,
        apartment_p=0.6,
    ),
    "br": CountryProfile(
        code="br",
        household_size_p=(0.15, 0.25, 0.26, 0.21, 0.09, 0.03, 0.01),
        couple_p=0.65,
        extended_p=0.1,
        male_head_p=0.55,
        single_head_age=((18, 35, 0.25), (35, 50, 0.20), (50, 65, 0.25), (65, 95, 0.30)),
        family_head_age=((20, 30, 0.20), (30, 45, 0.40), (45, 60, 0.27), (60, 90, 0.13)),
        id_coverage_adult=0.97,
        id_coverage_child=0.7,
        id_min_age=0,
        phone_prefix="+55819",
        phone_first_digits="6789",
        phone_digits=7,
        phone_adult_p=0.85,
        apartment_p=0.3,
    ),
}


def unique_ints(rng: np.random.Generator, low: int, high: int, n: int) -> Int64Array:
    """``n`` distinct integers drawn uniformly from ``[low, high)`` in random order."""
    if n > high - low:
        raise ValueError(f"cannot draw {n} distinct integers from [{low}, {high})")
    distinct = np.empty(0, dtype=np.int64)
    extra = 1.1
    while distinct.size < n:
        draw = rng.integers(low, high, size=int(n * extra) + 16, dtype=np.int64)
        distinct = np.unique(np.concatenate([distinct, draw]))
        extra *= 1.5
    result: Int64Array = distinct[rng.permutation(distinct.size)[:n]]
    return result


def _digits(values: Int64Array, width: int) -> Int64Array:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    result: Int64Array = (values[:, None] // powers) % 10
    return result


def _mod11_check(base: Int64Array, width: int, first_weight: int) -> Int64Array:
    """Mod-11 check digit used by PT NIF and BR CPF: 0 when the remainder is below 2."""
    weights = np.arange(first_weight, first_weight - width, -1, dtype=np.int64)
    remainder = (_digits(base, width) * weights).sum(axis=1) % 11
    return np.where(remainder < 2, 0, 11 - remainder).astype(np.int64)


def pt_nif(rng: np.random.Generator, n: int, chunk: int = 0, chunks: int = 1) -> Int64Array:
    """Distinct 9-digit personal NIFs with a valid mod-11 check digit.

    First digit 1 or 2; a population built in several chunks also uses 3 (personal NIFs since 2019),
    and each chunk draws from its own slice so tax numbers stay distinct across chunks.
    """
    high = 30_000_000 if chunks == 1 else 40_000_000
    span = high - 10_000_000
    low, high = 10_000_000 + span * chunk // chunks, 10_000_000 + span * (chunk + 1) // chunks
    base = unique_ints(rng, low, high, n)
    return base * 10 + _mod11_check(base, 8, 9)


def br_cpf(rng: np.random.Generator, n: int) -> Int64Array:
    """Distinct 11-digit CPFs with both mod-11 check digits."""
    base = unique_ints(rng, 1_000_000, 999_999_999, n)
    first = _mod11_check(base, 9, 10)
    with_first = base * 10 + first
    return with_first * 10 + _mod11_check(with_first, 10, 11)


def bd_nid(rng: np.random.Generator, n: int) -> Int64Array:
    """Distinct 10-digit smart-card NIDs."""
    return unique_ints(rng, 1_000_000_000, 10_000_000_000, n)


def kr_rrn(
    rng: np.random.Generator, birth: npt.NDArray[np.datetime64], is_male: npt.NDArray[np.bool_]
) -> Int64Array:
    """13-digit resident registration numbers YYMMDD-S-serial-check, distinct within a birth date and sex."""
    n = birth.size
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    sex_digit = np.where(year >= 2000, 3, 1) + (~is_male).astype(np.int64)
    group = birth.astype(np.int64) * 2 + is_male.astype(np.int64)
    order = np.lexsort((rng.random(n), group))
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    counts = np.diff(np.r_[starts, n])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, counts)
    group_offset = (group * 104_729 + 7_919) % 100_000
    serial = (group_offset + rank * 61 + rng.integers(0, 61, size=n)) % 100_000
    base = ((((year % 100) * 100 + month) * 100 + day) * 10 + sex_digit) * 100_000 + serial
    weights = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], dtype=np.int64)
    check = (11 - (_digits(base, 12) * weights).sum(axis=1) % 11) % 10
    result: Int64Array = base * 10 + check
    return result


def format_ids(values: Int64Array, width: int, *, hyphen_at: int | None = None) -> pa.Array:
    """Zero-padded id strings; negative values become nulls; ``hyphen_at`` inserts ``-`` (KR RRN)."""
    missing = values < 0
    text = pc.utf8_lpad(pc.cast(pa.array(values, mask=missing), pa.string()), width=width, padding="0")
    if hyphen_at is not None:
        text = pc.binary_join_element_wise(
            pc.utf8_slice_codeunits(text, 0, hyphen_at), pc.utf8_slice_codeunits(text, hyphen_at), "-"
        )
    return text


ID_FORMATS: dict[str, Callable[[Int64Array], pa.Array]] = {
    "pt": lambda v: format_ids(v, 9),
    "bd": lambda v: format_ids(v, 10),
    "kr": lambda v: format_ids(v, 13, hyphen_at=6),
    "br": lambda v: format_ids(v, 11),
}
ID_WIDTHS = {"pt": 9, "bd": 10, "kr": 13, "br": 11}

REFERENCE_ON = date(2025, 1, 1)
