"""Registry copies of persons: the standard person columns with defects, duplicates and shuffled keys.

``person_records`` is the one place defects are applied; the returned ``source`` lets a caller align its
own columns (income, benefit code, ...) with the shuffled, duplicated rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from govreach.population.core import DateArray, Int64Array, Population, record_keys
from govreach.population.defects import TYPO_VARIANTS, DefectRates
from govreach.population.profiles import ID_WIDTHS

__all__ = ["STANDARD_COLUMNS", "RecordSet", "dates", "person_records", "record_keys"]

STANDARD_COLUMNS = (
    "record_id",
    "national_id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "address",
    "postcode",
    "area_code",
    "phone",
)


@dataclass(frozen=True)
class RecordSet:
    """Rows of one registry copy: ``columns`` (standard person columns), the caller's row and the person."""

    columns: dict[str, pa.Array]
    source: Int64Array
    person: Int64Array

    @property
    def record_id(self) -> pa.Array:
        return self.columns["record_id"]

    def table(self, extra: dict[str, pa.Array] | None = None) -> pa.Table:
        """The standard columns followed by ``extra`` (already aligned with the rows)."""
        return pa.table({**self.columns, **(extra or {})})


def swap_day_month(dates: DateArray) -> DateArray:
    """Dates read as day/month the wrong way round, where that is a valid and different date."""
    months = dates.astype("datetime64[M]")
    years = dates.astype("datetime64[Y]")
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    swappable = (day <= 12) & (day != month)
    swapped = (years.astype("datetime64[M]") + (day - 1)).astype("datetime64[D]") + (month - 1)
    result: DateArray = np.where(swappable, swapped, dates)
    return result


def change_one_digit(rng: np.random.Generator, values: Int64Array, width: int) -> Int64Array:
    """Each value with one decimal digit (of ``width``) replaced by a different digit: a keying slip."""
    power = np.power(10, rng.integers(0, width - 1, size=values.size, dtype=np.int64), dtype=np.int64)
    digit = (values // power) % 10
    new_digit = (digit + rng.integers(1, 10, size=values.size)) % 10
    result: Int64Array = values + (new_digit - digit) * power
    return result


def person_records(
    population: Population,
    persons: Int64Array,
    *,
    prefix: str,
    rng: np.random.Generator,
    rates: DefectRates,
    address_household: Int64Array | None = None,
) -> RecordSet:
    """One record per entry of ``persons`` plus defect duplicates, shuffled, with keys ``prefix...``.

    Addresses come from each person's household unless ``address_household`` (aligned with ``persons``)
    says which household's address the source holds (e.g. a supply point's).
    """
    pop = population
    n0 = persons.size
    duplicates = rng.integers(0, max(n0, 1), size=int(rng.binomial(n0, rates.duplicate)) if n0 else 0)
    source = np.concatenate([np.arange(n0, dtype=np.int64), duplicates.astype(np.int64)])
    source = source[rng.permutation(source.size)]
    person = persons[source]
    n = person.size

    given = pop.given[person]
    family = pop.family[person]
    typo = rng.random(n) < rates.name_typo
    in_given = rng.random(n) < 0.5
    variant = rng.integers(0, TYPO_VARIANTS, size=n)
    given = np.where(typo & in_given, pop.pools.given.typo_index(given, variant), given)
    family = np.where(typo & ~in_given, pop.pools.family.typo_index(family, variant), family)

    birth = pop.birth_on[person]
    swap = np.flatnonzero(rng.random(n) < rates.date_swap)
    birth[swap] = swap_day_month(birth[swap])

    ids = pop.national_id[person]
    has_id = ids >= 0
    wrong = has_id & (rng.random(n) < rates.wrong_id)
    ids[wrong] = change_one_digit(rng, ids[wrong], ID_WIDTHS[pop.country])
    ids = np.where(rng.random(n) < rates.missing_id, -1, ids)

    household = pop.person_household[person] if address_household is None else address_household[source]
    stale = rng.random(n) < rates.stale_address
    household = np.where(stale, pop.household_previous[household], household)
    household_index = pa.array(household)

    columns: dict[str, pa.Array] = {
        "record_id": pop.record_keys(prefix, n),
        "national_id": pop.format_national_ids(ids),
        "given_name": pop.pools.given.take(given),
        "family_name": pop.pools.family.take(family),
        "birth_date": pa.array(birth.astype("datetime64[D]"), type=pa.date32()),
        "sex": pop.sexes(person),
        "address": pop.household_address.take(household_index),
        "postcode": pop.household_postcode.take(household_index),
        "area_code": pop.area_codes(pop.household_area[household]),
        "phone": pop.format_phones(pop.phone[person]),
    }
    return RecordSet(columns=columns, source=source, person=person)


def dates(values: npt.NDArray[np.datetime64], mask: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """A date32 array (nulls where ``mask``)."""
    return pa.array(values.astype("datetime64[D]"), type=pa.date32(), mask=mask)
