"""Datasets every country gets: the population register, households, memberships and clean persons."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from govreach.population.core import ROLE_NAMES, Int64Array, Population, Seed, rng_for
from govreach.population.defects import DefectRates
from govreach.population.output import Output
from govreach.population.records import RecordSet, person_records

# dataset name, agency, record key prefix, description
REGISTERS = {
    "pt": (
        "civil_register",
        "Instituto dos Registos e do Notariado (IRN)",
        "IRN",
        "Civil register of persons.",
    ),
    "bd": (
        "nid_register",
        "Election Commission Bangladesh, NID Wing",
        "NID",
        "National ID register (citizens aged 18 and over who hold an NID).",
    ),
    "kr": (
        "resident_register",
        "Seongdong-gu Office (resident registration)",
        "RR",
        "Resident register of Seongdong-gu with age and living-alone flag.",
    ),
    "br": (
        "cpf_register",
        "Receita Federal do Brasil (CPF)",
        "CPF",
        "Persons of Jaboatão dos Guararapes known to the CPF register.",
    ),
}


def role_names(role: Int64Array) -> pa.Array:
    return pa.array(ROLE_NAMES, type=pa.string()).take(pa.array(role))


def write_common(population: Population, out: Output, rates: DefectRates, seed: Seed) -> RecordSet:
    """Write the population register, ``households`` and ``household_members``; return the register."""
    pop = population
    name, agency, prefix, description = REGISTERS[pop.country]
    everyone = np.arange(pop.person_count, dtype=np.int64)
    members = everyone[pop.national_id >= 0] if pop.country == "bd" else everyone
    rng = rng_for(seed, pop.country, name)
    register = person_records(pop, members, prefix=f"{prefix}-", rng=rng, rates=rates)
    extra: dict[str, pa.Array] = {}
    if pop.country == "kr":
        extra["age_years"] = pa.array(pop.age_years[register.person], type=pa.int16())
        size = pop.household_size[pop.person_household[register.person]]
        extra["is_living_alone"] = pa.array(size == 1)
        extra["household_id"] = pop.household_key.take(pa.array(pop.person_household[register.person]))
    out.registry(
        name,
        register.table(extra),
        agency=agency,
        description=description,
        record_person=(register.record_id, register.person),
    )

    household_index = pa.array(np.arange(pop.household_count, dtype=np.int64))
    out.registry(
        "households",
        pa.table(
            {
                "household_id": pop.household_key,
                "address": pop.household_address,
                "postcode": pop.household_postcode,
                "area_code": pop.area_codes(pop.household_area),
                "members_count": pa.array(pop.household_size, type=pa.int16()),
            }
        ).take(household_index),
        agency=agency,
        description="Households as registered at an address.",
    )

    # The register's first (non-duplicate) record of each person, for membership references.
    original = register.source < members.size
    record_of_person = np.full(pop.person_count, -1, dtype=np.int64)
    record_of_person[register.person[original]] = np.flatnonzero(original)
    reference = pa.array(record_of_person, mask=record_of_person < 0)
    out.registry(
        "household_members",
        pa.table(
            {
                "household_id": pop.household_key.take(pa.array(pop.person_household)),
                "person_record_id": register.record_id.take(reference),
                "role": role_names(pop.role),
            }
        ),
        agency=agency,
        description=f"Household membership and role of each member (person_record_id refers to {name}).",
    )
    return register


def write_truth_persons(population: Population, out: Output, extra: dict[str, pa.Array]) -> None:
    """Write ``truth/persons.parquet``: clean standard columns plus country extras, one row per person."""
    pop = population
    everyone = np.arange(pop.person_count, dtype=np.int64)
    household = pa.array(pop.person_household)
    table = pa.table(
        {
            "person_id": pop.person_ids(everyone),
            "household_id": pop.household_key.take(household),
            "role": role_names(pop.role),
            "national_id": pop.format_national_ids(pop.national_id),
            "given_name": pop.pools.given.take(pop.given),
            "family_name": pop.pools.family.take(pop.family),
            "birth_date": pa.array(pop.birth_on, type=pa.date32()),
            "sex": pop.sexes(everyone),
            "address": pop.household_address.take(household),
            "postcode": pop.household_postcode.take(household),
            "area_code": pop.area_codes(pop.household_area[pop.person_household]),
            "phone": pop.format_phones(pop.phone),
            "age_years": pa.array(pop.age_years, type=pa.int16()),
            **extra,
        }
    )
    out.truth_table("persons", table, description="Clean values of every person before registry defects.")
