"""Pools of names and streets drawn once from the country's Faker locale, then sampled by index.

Faker is called a few thousand times per run (never per row); repeated draws keep Faker's name
frequencies. Each pool also holds ``TYPO_VARIANTS`` misspellings per entry, after the clean entries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from faker import Faker

from govreach.population.defects import TYPO_VARIANTS, typo_variants

LOCALES = {"pt": "pt_PT", "bd": "bn_BD", "kr": "ko_KR", "br": "pt_BR"}

Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Pool:
    """``size`` clean strings then their typo variants: entry ``i`` variant ``v`` is at ``size + i*V + v``."""

    values: pa.Array
    size: int

    def take(self, index: Int64Array) -> pa.Array:
        """The strings at ``index`` (clean or typo positions)."""
        return self.values.take(pa.array(index, type=pa.int64()))

    def typo_index(self, clean: Int64Array, variant: Int64Array) -> Int64Array:
        """Positions of typo ``variant`` (0..V-1) of the clean entries ``clean``."""
        return self.size + clean * TYPO_VARIANTS + variant


def _pool(entries: list[str], rnd: random.Random) -> Pool:
    typos: list[str] = []
    for entry in entries:
        typos.extend(typo_variants(entry, rnd))
    return Pool(values=pa.array(entries + typos, type=pa.string()), size=len(entries))


@dataclass(frozen=True)
class Pools:
    """Given names (female entries first, then male), family names and street names of one locale."""

    given: Pool
    female_count: int
    family: Pool
    streets: pa.Array

    def given_index(self, rng: np.random.Generator, is_male: npt.NDArray[np.bool_]) -> Int64Array:
        """A given-name index per person, from the female or male part of the pool."""
        male_count = self.given.size - self.female_count
        female = rng.integers(0, self.female_count, size=is_male.size)
        male = self.female_count + rng.integers(0, male_count, size=is_male.size)
        return np.where(is_male, male, female).astype(np.int64)


def build_pools(country: str, seed: int, *, given_size: int = 700, family_size: int = 1500) -> Pools:
    """Draw the pools for ``country`` from Faker seeded with ``seed`` (deterministic per Faker version)."""
    fake = Faker(LOCALES[country])
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    female = [fake.first_name_female() for _ in range(given_size)]
    male = [fake.first_name_male() for _ in range(given_size)]
    if country in ("pt", "br"):
        # Portuguese and Brazilian people usually carry two family names (mother's, then father's).
        family = [f"{fake.last_name()} {fake.last_name()}" for _ in range(family_size)]
    else:
        family = [fake.last_name() for _ in range(family_size)]
    streets = _street_pool(country, fake, rnd)
    return Pools(
        given=_pool(female + male, rnd),
        female_count=given_size,
        family=_pool(family, rnd),
        streets=pa.array(streets, type=pa.string()),
    )


def _street_pool(country: str, fake: Faker, rnd: random.Random, size: int = 2000) -> list[str]:
    if country == "pt":
        return [fake.street_name() for _ in range(size)]
    if country == "bd":
        return [fake.street_name() for _ in range(size)]
    if country == "kr":
        return [f"{fake.road_name()}{rnd.choice(('로', '길', '로', '대로'))}" for _ in range(size)]
    prefixes = ("Rua", "Rua", "Rua", "Avenida", "Travessa", "Estrada")
    return [f"{rnd.choice(prefixes)} {fake.first_name()} {fake.last_name()}" for _ in range(size)]
