"""Brazil (Jaboatão dos Guararapes): municipal school enrolment, guardians, CadÚnico and Bolsa Família.

Feeds br-prepara: municipal 9th-grade students from poor families, their guardians' phones, and the
six learning hubs (about 4,500 9th-graders for ~700,000 inhabitants in 2017).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govreach.population.areas import BR_HUBS, BR_NEIGHBOURHOODS
from govreach.population.core import CHILD, PARENT, SPOUSE, Population, Seed, rng_for
from govreach.population.defects import DefectRates
from govreach.population.output import Output
from govreach.population.profiles import format_ids
from govreach.population.records import dates, person_records

SCHOOLS_PER_NEIGHBOURHOOD = 3
MINIMUM_WAGE_BRL = 1_412.0  # monthly, 2024 (Decreto 11.864/2023)
BOLSA_FAMILIA_LINE_BRL = 218.0  # monthly per capita (Lei 14.601/2023)
HUB_CAPACITY = 1_400 // 6 + 1


def write_registries(
    population: Population, out: Output, rates: DefectRates, seed: Seed
) -> dict[str, pa.Array]:
    """Write learning hubs, schools, school enrolment, guardians and the CadÚnico family register."""
    pop = population
    n, h = pop.person_count, pop.household_count
    age, role, hh = pop.age_years, pop.role, pop.person_household
    rng = rng_for(seed, "br", "education")
    ref = np.datetime64(pop.reference_on, "D")
    leaf_codes = pa.array(pop.areas.leaf_codes, pa.string())
    hub_of_area = np.array([b[2] for b in BR_NEIGHBOURHOODS], dtype=np.int64)

    hub_ids = pa.array([f"HUB-{i + 1}" for i in range(len(BR_HUBS))], pa.string())
    first_area_of_hub = np.array([int(np.flatnonzero(hub_of_area == i)[0]) for i in range(len(BR_HUBS))])
    out.registry(
        "learning_hubs",
        pa.table(
            {
                "hub_id": hub_ids,
                "name": pa.array(BR_HUBS, pa.string()),
                "area_code": leaf_codes.take(pa.array(first_area_of_hub)),
                "places": pa.array(np.full(len(BR_HUBS), HUB_CAPACITY)),
            }
        ),
        agency="Secretaria Municipal de Educação de Jaboatão dos Guararapes",
        description="The six Jaboatão Prepara learning hubs and their places.",
    )

    areas = len(pop.areas.leaf_codes)
    school_count = areas * SCHOOLS_PER_NEIGHBOURHOOD
    school_area = np.repeat(np.arange(areas), SCHOOLS_PER_NEIGHBOURHOOD)
    school_ids = pc.binary_join_element_wise("26", format_ids(np.arange(school_count) * 37 + 100_001, 6), "")
    patron = pc.binary_join_element_wise(
        pop.pools.given.take(rng.integers(0, pop.pools.given.size, size=school_count)),
        pa.array(pop.pools.family.take(rng.integers(0, pop.pools.family.size, size=school_count))),
        " ",
    )
    school_names = pc.binary_join_element_wise("Escola Municipal", patron, " ")
    out.registry(
        "schools",
        pa.table(
            {
                "school_id": school_ids,
                "name": school_names,
                "area_code": leaf_codes.take(pa.array(school_area)),
                "hub_id": hub_ids.take(pa.array(hub_of_area[school_area])),
            }
        ),
        agency="Secretaria Municipal de Educação de Jaboatão dos Guararapes",
        description="Municipal schools (ensino fundamental) with their neighbourhood and learning hub.",
    )

    # --- enrolment in municipal schools, grades 1-9, with grade retention --------------------------------
    of_age = (age >= 6) & (age <= 17) & (role == CHILD)
    retention = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    grade = age - 5 - retention
    enrolled = np.flatnonzero(of_age & (grade >= 1) & (grade <= 9) & (rng.random(n) < 0.55))
    area = pop.household_area[hh[enrolled]]
    school = area * SCHOOLS_PER_NEIGHBOURHOOD + rng.integers(0, SCHOOLS_PER_NEIGHBOURHOOD, size=enrolled.size)
    students = person_records(pop, enrolled, prefix="MAT-", rng=rng_for(seed, "br", "enrolment"), rates=rates)
    e = students.source
    out.registry(
        "school_enrolment",
        students.table(
            {
                "student_id": format_ids(students.person * 13 + 100_000_000_000, 12),
                "school_id": school_ids.take(pa.array(school[e])),
                "school_name": school_names.take(pa.array(school[e])),
                "grade": pa.array(grade[enrolled][e], type=pa.int8()),
                "school_year": pa.array(np.full(e.size, pop.reference_on.year), type=pa.int16()),
                "hub_id": hub_ids.take(pa.array(hub_of_area[area[e]])),
            }
        ),
        agency="Secretaria Municipal de Educação de Jaboatão dos Guararapes",
        description="Students in municipal schools (grades 1-9) with school, grade and learning hub.",
        record_person=(students.record_id, students.person),
    )

    # --- guardians: the mother (head or spouse) where there is one, else the head --------------------------
    first = pop.household_first[hh[enrolled]]
    spouse = np.minimum(first + 1, n - 1)
    has_spouse = role[spouse] == SPOUSE
    mother = np.where(~pop.is_male[first], first, np.where(has_spouse, spouse, first))
    guardian = np.where(rng.random(enrolled.size) < 0.85, mother, first)
    grand = pop.household_first[hh[enrolled]] + pop.household_size[hh[enrolled]] - 1
    grand_is_guardian = (role[grand] == PARENT) & (rng.random(enrolled.size) < 0.3)
    guardian = np.where(grand_is_guardian, grand, guardian)
    guardians = person_records(
        pop, guardian, prefix="RESP-", rng=rng_for(seed, "br", "guardians"), rates=rates
    )
    g = guardians.source
    relation = np.where(
        role[guardians.person] == PARENT,
        "grandparent",
        np.where(pop.is_male[guardians.person], "father", "mother"),
    )
    out.registry(
        "student_guardians",
        guardians.table(
            {
                "student_record_id": students.record_id.take(pa.array(_first_record(e, enrolled.size)[g])),
                "relationship": pa.array(relation),
            }
        ),
        agency="Secretaria Municipal de Educação de Jaboatão dos Guararapes",
        description="Guardians of enrolled students with phones (student_record_id: school_enrolment).",
        record_person=(guardians.record_id, guardians.person),
    )

    # --- CadÚnico: low-income families and their members; Bolsa Família below the poverty line -------------
    crng = rng_for(seed, "br", "cadunico")
    adult = (age >= 18) & (age < 65)
    works = adult & (crng.random(n) < 0.58)
    income = np.zeros(n)
    income[works] = np.maximum(crng.lognormal(np.log(1_700), 0.7, int(works.sum())), 300)
    retired = age >= 65
    income[retired] = np.maximum(crng.lognormal(np.log(1_500), 0.3, int(retired.sum())), MINIMUM_WAGE_BRL)
    per_capita = np.round(np.bincount(hh, weights=income, minlength=h) / pop.household_size, 2)
    registered_p = np.where(
        per_capita <= MINIMUM_WAGE_BRL / 2, 0.9, np.where(per_capita <= 3 * MINIMUM_WAGE_BRL / 2, 0.2, 0.0)
    )
    registered = np.flatnonzero(crng.random(h) < registered_p)
    bolsa = (per_capita[registered] <= BOLSA_FAMILIA_LINE_BRL) & (crng.random(registered.size) < 0.9)
    family_code = pc.binary_join_element_wise("", format_ids(registered * 7 + 20_000_000_011, 11), "")
    out.registry(
        "cadunico_families",
        pa.table(
            {
                "family_code": family_code,
                "address": pop.household_address.take(pa.array(registered)),
                "postcode": pop.household_postcode.take(pa.array(registered)),
                "area_code": pop.area_codes(pop.household_area[registered]),
                "members_count": pa.array(pop.household_size[registered], type=pa.int16()),
                "per_capita_income_brl": pa.array(per_capita[registered]),
                "is_bolsa_familia": pa.array(bolsa),
                "updated_on": dates(
                    ref - crng.integers(1, 4 * 365, size=registered.size).astype("timedelta64[D]")
                ),
            }
        ),
        agency="Ministério do Desenvolvimento e Assistência Social (CadÚnico)",
        description="Families in the Cadastro Único with monthly per-capita income and Bolsa Família status.",
    )
    is_registered = np.zeros(h, dtype=bool)
    is_registered[registered] = True
    members = np.flatnonzero(is_registered[hh])
    family_index = np.searchsorted(registered, hh[members])
    cad = person_records(pop, members, prefix="CAD-", rng=rng_for(seed, "br", "cad-persons"), rates=rates)
    cs = cad.source
    relation_names = pa.array(["responsible", "spouse", "child", "parent"], pa.string())
    out.registry(
        "cadunico_persons",
        cad.table(
            {
                "nis": format_ids(cad.person * 11 + 12_000_000_003, 11),
                "family_code": family_code.take(pa.array(family_index[cs])),
                "relation_to_responsible": relation_names.take(pa.array(role[cad.person])),
                "monthly_income_brl": pa.array(np.round(income[cad.person], 2)),
            }
        ),
        agency="Ministério do Desenvolvimento e Assistência Social (CadÚnico)",
        description="Members of CadÚnico families with NIS and relation to the family's responsible person.",
        record_person=(cad.record_id, cad.person),
    )
    return {
        "monthly_income_brl": pa.array(np.round(income, 2)),
        "household_per_capita_income_brl": pa.array(per_capita[hh]),
    }


def _first_record(source: np.ndarray, count: int) -> np.ndarray:
    """For each original row 0..count-1, the index of its first (non-duplicate) record."""
    first = np.full(count, -1, dtype=np.int64)
    original = np.flatnonzero(source < count)
    first[source[original]] = original
    return first
