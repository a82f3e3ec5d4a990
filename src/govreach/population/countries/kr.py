"""Korea (Seongdong-gu): income level and medical aid, chronic disease, discharges from six local hospitals.

Feeds kr-hyo-home-visits: residents 75+ (about 6.2% in Seongdong: 18,643 of ~300,000), living alone,
poor, with chronic disease, or discharged from hospital at 65+.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from govreach.population.core import Population, Seed, rng_for
from govreach.population.defects import DefectRates
from govreach.population.output import Output
from govreach.population.records import dates, person_records

# code, name, prevalence by age band (<40, 40-64, 65-74, 75+); rounded KNHANES / NHIS figures
CHRONIC_DISEASES: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = (
    ("I10", "hypertension", (0.02, 0.20, 0.45, 0.60)),
    ("E11", "diabetes", (0.01, 0.09, 0.22, 0.28)),
    ("E78", "dyslipidaemia", (0.02, 0.15, 0.35, 0.40)),
    ("M17", "knee osteoarthritis", (0.0, 0.05, 0.20, 0.30)),
    ("F00", "dementia", (0.0, 0.002, 0.03, 0.12)),
    ("F32", "depression", (0.03, 0.04, 0.05, 0.07)),
    ("J44", "chronic obstructive pulmonary disease", (0.0, 0.01, 0.03, 0.06)),
)
# Hanyang University Seoul Hospital is in Seongdong-gu; the other five names are synthetic.
HOSPITALS = (
    ("H01", "한양대학교병원"),
    ("H02", "성수중앙병원"),
    ("H03", "왕십리병원"),
    ("H04", "금호성심병원"),
    ("H05", "행당의원"),
    ("H06", "옥수연합병원"),
)
_DISCHARGE_DIAGNOSES = ("I63", "S72", "J18", "I50", "E11", "N39", "K80", "M17")
INCOME_LEVELS = ("basic_livelihood", "near_poor")


def _age_band(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([40, 65, 75]), age, side="right")


def write_registries(
    population: Population, out: Output, rates: DefectRates, seed: Seed
) -> dict[str, pa.Array]:
    """Write ``income_status``, ``chronic_disease`` and ``hospital_discharges``."""
    pop = population
    n = pop.person_count
    age = pop.age_years
    rng = rng_for(seed, "kr", "welfare")
    ref = np.datetime64(pop.reference_on, "D")
    alone = pop.household_size[pop.person_household] == 1

    # --- income level: basic livelihood security (with medical aid) and near-poor, by household ----------
    head_age = age[pop.household_first]
    single = pop.household_size == 1
    p_basic = np.where(single & (head_age >= 65), 0.14, np.where(single, 0.06, 0.025))
    u = rng.random(pop.household_count)
    level = np.where(u < p_basic, 0, np.where(u < p_basic * 1.6, 1, -1))[pop.person_household]
    poor = np.flatnonzero(level >= 0)
    status = person_records(pop, poor, prefix="SSIS-", rng=rng_for(seed, "kr", "ssis"), rates=rates)
    s = status.source
    person_level = level[poor][s]
    medical_aid = np.where(person_level == 0, np.where(rng.random(s.size) < 0.7, 1, 2), 0)
    out.registry(
        "income_status",
        status.table(
            {
                "income_level": pa.array(INCOME_LEVELS, pa.string()).take(pa.array(person_level)),
                "medical_aid_type": pa.array(medical_aid, type=pa.int8(), mask=medical_aid == 0),
                "since_on": dates(ref - rng.integers(30, 10 * 365, size=s.size).astype("timedelta64[D]")),
            }
        ),
        agency="Social Security Information Service (Haengbok-e-eum)",
        description="Residents in basic livelihood security (medical aid type 1 or 2) or near-poor.",
        record_person=(status.record_id, status.person),
    )

    # --- chronic disease (one row per person and disease) ------------------------------------------------
    crng = rng_for(seed, "kr", "chronic")
    band = _age_band(age)
    people: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for index, (_code, _name, prevalence) in enumerate(CHRONIC_DISEASES):
        has = crng.random(n) < np.array(prevalence)[band]
        people.append(np.flatnonzero(has))
        codes.append(np.full(int(has.sum()), index))
    person = np.concatenate(people)
    code = np.concatenate(codes)
    chronic = person_records(pop, person, prefix="NHIS-", rng=rng_for(seed, "kr", "nhis"), rates=rates)
    c = chronic.source
    out.registry(
        "chronic_disease",
        chronic.table(
            {
                "disease_code": pa.array([d[0] for d in CHRONIC_DISEASES], pa.string()).take(
                    pa.array(code[c])
                ),
                "disease_name": pa.array([d[1] for d in CHRONIC_DISEASES], pa.string()).take(
                    pa.array(code[c])
                ),
                "diagnosed_on": dates(
                    ref - crng.integers(30, 15 * 365, size=c.size).astype("timedelta64[D]")
                ),
            }
        ),
        agency="National Health Insurance Service (NHIS)",
        description="Registered chronic conditions per resident (KCD codes).",
        record_person=(chronic.record_id, chronic.person),
    )

    # --- discharges in the last 180 days from six local hospitals -----------------------------------------
    hrng = rng_for(seed, "kr", "hospitals")
    p_discharge = np.array([0.02, 0.03, 0.09, 0.15])[band]
    discharged = np.flatnonzero(hrng.random(n) < p_discharge)
    stays = person_records(pop, discharged, prefix="DC-", rng=rng_for(seed, "kr", "discharges"), rates=rates)
    d = stays.source
    discharged_on = ref - hrng.integers(1, 181, size=discharged.size).astype("timedelta64[D]")
    admitted_on = discharged_on - hrng.integers(1, 30, size=discharged.size).astype("timedelta64[D]")
    hospital = hrng.choice(len(HOSPITALS), size=discharged.size, p=[0.4, 0.15, 0.15, 0.1, 0.1, 0.1])
    out.registry(
        "hospital_discharges",
        stays.table(
            {
                "age_years": pa.array(age[stays.person], type=pa.int16()),
                "hospital_id": pa.array([x[0] for x in HOSPITALS], pa.string()).take(pa.array(hospital[d])),
                "hospital_name": pa.array([x[1] for x in HOSPITALS], pa.string()).take(pa.array(hospital[d])),
                "admitted_on": dates(admitted_on[d]),
                "discharged_on": dates(discharged_on[d]),
                "diagnosis_code": pa.array(_DISCHARGE_DIAGNOSES, pa.string()).take(
                    pa.array(hrng.integers(0, len(_DISCHARGE_DIAGNOSES), size=d.size))
                ),
            }
        ),
        agency="Six local hospitals (discharge referrals)",
        description="Hospital discharges in the last 180 days, all ages (referral applies from age 65).",
        record_person=(stays.record_id, stays.person),
    )
    return {"is_living_alone": pa.array(alone)}
