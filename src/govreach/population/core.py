"""The common population: households with addresses, persons with roles, ids and phones (all numpy).

Persons are stored as integer codes and pool indices; strings are built once with pyarrow compute.
Person ``i`` of a chunk has ``person_id == chunk.first_person + i``; members of one household are
contiguous, the head first. A large population is built chunk by chunk (see ``Chunk``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govreach.population.areas import AreaTable
from govreach.population.pools import Pools
from govreach.population.profiles import (
    ID_FORMATS,
    AgeBins,
    CountryProfile,
    bd_nid,
    br_cpf,
    format_ids,
    kr_rrn,
    pt_nif,
)

Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DateArray = npt.NDArray[np.datetime64]

ROLE_NAMES = ("head", "spouse", "child", "parent")
HEAD, SPOUSE, CHILD, PARENT = range(4)
STREETS_PER_AREA = 40

# A run's seed, or (seed, chunk) for the chunks after the first of a population built in chunks.
Seed = int | tuple[int, int]


def rng_for(seed: Seed, *names: str) -> np.random.Generator:
    """An independent generator per (seed, purpose), so datasets do not depend on each other's draws."""
    entropy = [seed] if isinstance(seed, int) else list(seed)
    return np.random.default_rng([*entropy, *(zlib.crc32(name.encode()) for name in names)])


_SEQUENCE: list[pa.Array] = []


def record_keys(prefix: str, n: int, width: int = 9, *, first: int = 1) -> pa.Array:
    """Keys ``<prefix>000000001`` .. in row order (numbered from ``first``)."""
    if width != 9 or first != 1:
        numbers = np.arange(first, first + n, dtype=np.int64)
        return pc.binary_join_element_wise(prefix, format_ids(numbers, width), "")
    # The zero-padded sequence is formatted once per process and sliced for every dataset.
    if not _SEQUENCE or len(_SEQUENCE[0]) < n:
        _SEQUENCE[:] = [format_ids(np.arange(1, max(n, 1024) + 1, dtype=np.int64), 9)]
    return pc.binary_join_element_wise(prefix, _SEQUENCE[0].slice(0, n), "")


@dataclass
class Numbering:
    """Next free number per record-key prefix, shared by the chunks of one run."""

    next_by_prefix: dict[str, int] = field(default_factory=dict)

    def take(self, prefix: str, n: int) -> int:
        """Reserve ``n`` numbers for ``prefix``; return how many were taken before (the offset)."""
        start = self.next_by_prefix.get(prefix, 0)
        self.next_by_prefix[prefix] = start + n
        return start


@dataclass(frozen=True)
class Chunk:
    """Which part of a population is being built: households and persons before it, and its id space.

    Chunk ``index`` of ``count`` draws unique ids (tax numbers, supply points) from its own slice of
    each id space, so chunks never collide; a population in one chunk is exactly the unchunked one.
    """

    index: int = 0
    count: int = 1
    first_household: int = 0
    first_person: int = 0
    numbering: Numbering = field(default_factory=Numbering)

    def id_range(self, low: int, high: int) -> tuple[int, int]:
        """This chunk's slice of ``[low, high)``."""
        span = high - low
        return low + span * self.index // self.count, low + span * (self.index + 1) // self.count


def sample_bins(rng: np.random.Generator, bins: AgeBins, n: int) -> Int64Array:
    """Integer ages drawn uniformly within bins ``(low, high, weight)`` chosen by weight."""
    weights = np.array([b[2] for b in bins])
    which = rng.choice(len(bins), size=n, p=weights / weights.sum())
    low = np.array([b[0] for b in bins], dtype=np.int64)[which]
    high = np.array([b[1] for b in bins], dtype=np.int64)[which]
    result: Int64Array = low + (rng.random(n) * (high - low)).astype(np.int64)
    return result


@dataclass(frozen=True)
class Population:
    """Households and persons of one generated country, clean (before any registry defect)."""

    country: str
    reference_on: date
    areas: AreaTable
    pools: Pools
    # households
    household_key: pa.Array
    household_size: Int64Array
    household_first: Int64Array
    household_area: Int64Array
    household_address: pa.Array
    household_postcode: pa.Array
    household_previous: Int64Array
    # persons
    person_household: Int64Array
    role: Int64Array
    is_male: BoolArray
    birth_on: DateArray
    age_years: Int64Array
    given: Int64Array
    family: Int64Array
    national_id: Int64Array
    phone: Int64Array
    phone_prefix: str
    phone_width: int
    chunk: Chunk = field(default_factory=Chunk)

    @property
    def household_count(self) -> int:
        return int(self.household_size.size)

    @property
    def person_count(self) -> int:
        return int(self.role.size)

    def area_codes(self, area_index: Int64Array) -> pa.Array:
        """Leaf area codes for leaf indices."""
        return pa.array(self.areas.leaf_codes, type=pa.string()).take(pa.array(area_index))

    def format_national_ids(self, values: Int64Array) -> pa.Array:
        return ID_FORMATS[self.country](values)

    def format_phones(self, values: Int64Array) -> pa.Array:
        """E.164 phone numbers; negative values (no phone) become nulls."""
        return pc.binary_join_element_wise(self.phone_prefix, format_ids(values, self.phone_width), "")

    def person_ids(self, person: Int64Array) -> pa.Array:
        """Run-wide person ids of this chunk's person indices."""
        return pa.array(person + self.chunk.first_person, type=pa.int64())

    def record_keys(self, prefix: str, n: int) -> pa.Array:
        """The next ``n`` keys ``<prefix>000000001``.. of the run (numbering continues across chunks)."""
        return record_keys(prefix, n, first=self.chunk.numbering.take(prefix, n) + 1)

    def sexes(self, person: Int64Array) -> pa.Array:
        """``F``/``M`` per person."""
        return pa.array(["F", "M"], type=pa.string()).take(pa.array(self.is_male[person].astype(np.int8)))


def build_population(
    *,
    profile: CountryProfile,
    areas: AreaTable,
    pools: Pools,
    households: int,
    seed: Seed,
    reference_on: date,
    chunk: Chunk | None = None,
) -> Population:
    """Households of realistic size and make-up for ``profile``, with addresses, ids and phones."""
    chunk = chunk or Chunk()
    rng = rng_for(seed, profile.code, "population")
    h = households
    sizes = np.arange(1, len(profile.household_size_p) + 1)
    size_p = np.array(profile.household_size_p)
    size = rng.choice(sizes, size=h, p=size_p / size_p.sum()).astype(np.int64)
    is_couple = (size >= 2) & (rng.random(h) < profile.couple_p)
    has_parent = (size >= 3) & (rng.random(h) < profile.extended_p)
    head_age = np.where(
        size == 1,
        sample_bins(rng, profile.single_head_age, h),
        sample_bins(rng, profile.family_head_age, h),
    )
    first = np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
    n = int(size.sum())
    hh = np.repeat(np.arange(h, dtype=np.int64), size)
    pos = np.arange(n, dtype=np.int64) - first[hh]
    role = np.full(n, CHILD, dtype=np.int64)
    role[pos == 0] = HEAD
    role[(pos == 1) & is_couple[hh]] = SPOUSE
    role[(pos == size[hh] - 1) & has_parent[hh] & (pos >= 1 + is_couple[hh])] = PARENT

    head_age_p = head_age[hh]
    age = head_age_p.copy()
    spouse = role == SPOUSE
    age[spouse] = np.clip(
        head_age_p[spouse] + np.rint(rng.normal(-2, 4, spouse.sum())).astype(np.int64), 18, 100
    )
    child = role == CHILD
    child_age = head_age_p[child] - rng.integers(20, 43, size=child.sum())
    age[child] = np.where(child_age < 0, rng.integers(0, 6, size=child.sum()), child_age)
    parent = role == PARENT
    age[parent] = np.clip(head_age_p[parent] + rng.integers(22, 36, size=parent.sum()), 0, 101)

    single_female_p = np.where(head_age_p >= 65, 0.72, 0.45)
    male_head = np.where(is_couple[hh], rng.random(n) < profile.male_head_p, rng.random(n) >= single_female_p)
    is_male = rng.random(n) < 0.5
    is_male[role == HEAD] = male_head[role == HEAD]
    head_is_male = np.repeat(is_male[first], size)
    is_male[spouse] = ~head_is_male[spouse]
    is_male[parent] = rng.random(int(parent.sum())) < 0.3

    ref = np.datetime64(reference_on, "D")
    birth_on = ref - (age * 365.25 + rng.random(n) * 365).astype("timedelta64[D]")
    birth_on = birth_on.astype("datetime64[D]")

    given = pools.given_index(rng, is_male)
    family = rng.integers(0, pools.family.size, size=n, dtype=np.int64)
    # Children and heads share the family name; spouses and the head's parent keep their own.
    family_of_head = np.repeat(family[first], size)
    family[child] = family_of_head[child]

    national_id = _national_ids(profile, rng, birth_on, is_male, age, chunk)
    phone_p = np.where(age >= 15, profile.phone_adult_p, 0.0)
    has_phone = rng.random(n) < phone_p
    first_digit = np.array([int(c) for c in profile.phone_first_digits])[
        rng.integers(0, len(profile.phone_first_digits), size=n)
    ]
    phone = first_digit * 10**profile.phone_digits + rng.integers(0, 10**profile.phone_digits, size=n)
    phone = np.where(has_phone, phone, -1).astype(np.int64)

    area = rng.choice(areas.leaf_weights.size, size=h, p=areas.leaf_weights).astype(np.int64)
    address, postcode = _addresses(profile, rng, areas, pools, area)
    previous = (np.arange(h) + 1 + rng.integers(0, max(h - 1, 1), size=h)) % h
    numbers = np.arange(chunk.first_household + 1, chunk.first_household + h + 1, dtype=np.int64)
    key = pc.binary_join_element_wise(f"{profile.code.upper()}-H", format_ids(numbers, 9), "")
    return Population(
        country=profile.code,
        reference_on=reference_on,
        areas=areas,
        pools=pools,
        household_key=key,
        household_size=size,
        household_first=first,
        household_area=area,
        household_address=address,
        household_postcode=postcode,
        household_previous=previous.astype(np.int64),
        person_household=hh,
        role=role,
        is_male=is_male,
        birth_on=birth_on,
        age_years=age,
        given=given,
        family=family,
        national_id=national_id,
        phone=phone,
        phone_prefix=profile.phone_prefix,
        phone_width=profile.phone_digits + 1,
        chunk=chunk,
    )


def _national_ids(
    profile: CountryProfile,
    rng: np.random.Generator,
    birth_on: DateArray,
    is_male: BoolArray,
    age: Int64Array,
    chunk: Chunk,
) -> Int64Array:
    n = age.size
    if profile.code == "pt":
        ids = pt_nif(rng, n, chunk.index, chunk.count)
    elif profile.code == "bd":
        ids = bd_nid(rng, n)
    elif profile.code == "kr":
        ids = kr_rrn(rng, birth_on, is_male)
    else:
        ids = br_cpf(rng, n)
    coverage = np.where(age >= 18, profile.id_coverage_adult, profile.id_coverage_child)
    has_id = (rng.random(n) < coverage) & (age >= profile.id_min_age)
    return np.where(has_id, ids, -1).astype(np.int64)


def _addresses(
    profile: CountryProfile, rng: np.random.Generator, areas: AreaTable, pools: Pools, area: Int64Array
) -> tuple[pa.Array, pa.Array]:
    """One-line addresses and postcodes; a street belongs to one area, so neighbours share streets."""
    h = area.size
    street_local = rng.integers(0, STREETS_PER_AREA, size=h)
    street_global = area * STREETS_PER_AREA + street_local
    street = pools.streets.take(pa.array((street_global * 7919 + 13) % len(pools.streets)))
    number = pc.cast(pa.array(1 + np.minimum(rng.geometric(0.03, size=h), 998)), pa.string())
    leaf_postcode = pa.array(areas.leaf_postcodes, type=pa.string()).take(pa.array(area))
    is_apartment = rng.random(h) < profile.apartment_p
    country = profile.code
    floor = rng.integers(0, 9, size=h)
    if country == "pt":
        sides = np.array(["Esq.", "Dto.", "Frente"])
        floors = np.array(["R/C", "1º", "2º", "3º", "4º", "5º", "6º", "7º", "8º"])
        suffix = np.char.add(np.char.add(floors[floor], " "), sides[rng.integers(0, 3, size=h)])
        line = pc.binary_join_element_wise(street, number, ", ")
        line = pc.if_else(
            pa.array(is_apartment), pc.binary_join_element_wise(line, pa.array(suffix), ", "), line
        )
        postcode = pc.binary_join_element_wise(
            leaf_postcode, format_ids((street_local * 23 + 7) % 1000, 3), "-"
        )
    elif country == "bd":
        line = pc.binary_join_element_wise(pc.binary_join_element_wise("বাসা", number, " "), street, ", ")
        postcode = leaf_postcode
    elif country == "kr":
        unit = pc.cast(pa.array(101 + rng.integers(0, 12, size=h)), pa.string())
        room = pc.cast(pa.array((floor + 1) * 100 + rng.integers(1, 9, size=h)), pa.string())
        apartment = pc.binary_join_element_wise(unit, "동 ", room, "호", "")
        line = pc.binary_join_element_wise("서울특별시 성동구", street, number, " ")
        line = pc.if_else(pa.array(is_apartment), pc.binary_join_element_wise(line, apartment, ", "), line)
        postcode = format_ids(
            pc.add(pc.cast(leaf_postcode, pa.int64()), pa.array(street_local % 7)).to_numpy(), 5
        )
    else:
        complement = pc.binary_join_element_wise(
            "Apto", pc.cast(pa.array((floor + 1) * 100 + 1), pa.string()), " "
        )
        line = pc.binary_join_element_wise(street, number, ", ")
        line = pc.if_else(pa.array(is_apartment), pc.binary_join_element_wise(line, complement, ", "), line)
        postcode = pc.binary_join_element_wise(
            leaf_postcode, format_ids((street_local * 37 + 11) % 1000, 3), "-"
        )
    return line, postcode
