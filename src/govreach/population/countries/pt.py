"""Portugal: tax household income, social security benefits, electricity and gas customers.

Feeds pt-social-energy-tariff (Decreto-Lei 138-A/2010 and 101/2011, Lei 7-A/2016 art. 121). Incomes and
benefit take-up are calibrated so that about 13-20% of households qualify, as in 2021 (about 20%).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govreach.population.core import CHILD, HEAD, PARENT, SPOUSE, BoolArray, Population, Seed, rng_for
from govreach.population.defects import DefectRates
from govreach.population.output import Output
from govreach.population.profiles import unique_ints
from govreach.population.records import dates, person_records

POWER_LADDER_KVA = (1.15, 2.3, 3.45, 4.6, 5.75, 6.9, 10.35, 13.8, 17.25, 20.7)
_POWER_P_LOW = (0.03, 0.06, 0.42, 0.15, 0.05, 0.23, 0.05, 0.01, 0.0, 0.0)
_POWER_P_HIGH = (0.0, 0.01, 0.18, 0.12, 0.05, 0.36, 0.18, 0.07, 0.02, 0.01)
ELECTRICITY_SUPPLIERS = (
    ("edp_comercial", 0.55),
    ("su_eletricidade", 0.09),
    ("endesa", 0.10),
    ("iberdrola", 0.08),
    ("galp", 0.09),
    ("goldenergy", 0.06),
    ("coopernico", 0.03),
)
GAS_SUPPLIERS = (
    ("galp", 0.42),
    ("edp_comercial", 0.30),
    ("endesa", 0.12),
    ("goldenergy", 0.08),
    ("iberdrola", 0.08),
)
BENEFIT_CODES = (
    "csi",
    "rsi",
    "unemployment",
    "abono_familia",
    "social_invalidity_pension",
    "psi_complement",
    "social_old_age_pension",
)
_MONTHLY_EUR = (300.0, 240.0, 780.0, 120.0, 324.0, 480.0, 244.0)
# Indexante dos Apoios Sociais 2024 (Portaria 421/2023), x14 for the annual reference income.
IAS_EUR = 509.26
ABONO_BRACKET_IAS = (0.5, 1.0, 1.5, 2.5, 4.0)
INCOME_LIMIT_EUR = 6272.64
_CPE_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def supply_point_codes(
    rng: np.random.Generator, prefix: str, n: int, serials: tuple[int, int] = (0, 10**12)
) -> pa.Array:
    """Distinct 20-character supply-point codes ``PT`` + 4-digit operator + 12 digits + 2 check letters.

    Check letters follow the Iberian CUPS rule: the 16-digit number mod 529 as two base-23 letters.
    Serials come from ``[low, high)`` (a chunk's own slice, so chunks never share a code).
    """
    serial = unique_ints(rng, serials[0], serials[1], n)
    operator = int(prefix[2:])
    remainder = (operator * (10**12 % 529) + serial % 529) % 529
    letters = pa.array(list(_CPE_LETTERS), type=pa.string())
    first = letters.take(pa.array(remainder // 23))
    second = letters.take(pa.array(remainder % 23))
    digits = pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), width=12, padding="0")
    return pc.binary_join_element_wise(prefix, digits, first, second, "")


def _choose(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> pa.Array:
    p = np.array([o[1] for o in options])
    index = rng.choice(len(options), size=n, p=p / p.sum())
    return pa.array([o[0] for o in options], type=pa.string()).take(pa.array(index))


def _address_variants(
    rng: np.random.Generator, address: pa.Array, postcode: pa.Array, mismatch: BoolArray
) -> tuple[pa.Array, pa.Array]:
    """Supply-point spellings of the same home: abbreviations, capitals, no floor, other postcode."""
    rows = np.flatnonzero(mismatch)
    if rows.size == 0:
        return address, postcode
    subset = address.take(pa.array(rows))
    abbreviated = subset
    for long, short in (("Rua ", "R. "), ("Avenida ", "Av. "), ("Travessa ", "Tv. "), ("Largo ", "Lg. ")):
        abbreviated = pc.replace_substring(abbreviated, long, short)
    upper = pc.utf8_upper(subset)
    without_floor = pc.binary_join(pc.list_slice(pc.split_pattern(subset, ", "), 0, 2), ", ")
    kind = rng.integers(0, 4, size=rows.size)
    replaced = pc.choose(pa.array(np.minimum(kind, 2).astype(np.int8)), abbreviated, upper, without_floor)
    # A spelling that happens to equal the original (no abbreviation, no floor) falls back to capitals.
    replaced = pc.if_else(pc.equal(replaced, subset), upper, replaced)
    mask = pa.array(mismatch)
    new_address = pc.replace_with_mask(address, mask, replaced)
    # Variant 3 keeps the spelling but carries another postcode extension (a re-coded street).
    other_postcode = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(postcode.take(pa.array(rows)), 0, 5), "000", ""
    )
    postcode_subset = pc.if_else(pa.array(kind == 3), other_postcode, postcode.take(pa.array(rows)))
    new_postcode = pc.replace_with_mask(postcode, mask, postcode_subset)
    return new_address, new_postcode


def write_registries(
    population: Population, out: Output, rates: DefectRates, seed: Seed
) -> dict[str, pa.Array]:
    """Write the tax, social security, electricity and gas registries; return truth columns per person."""
    pop = population
    n, h = pop.person_count, pop.household_count
    age, hh, role = pop.age_years, pop.person_household, pop.role
    rng = rng_for(seed, "pt", "economy")
    ref = np.datetime64(pop.reference_on, "D")

    # --- incomes (annual, EUR) ------------------------------------------------------------------------
    working = (age >= 18) & (age < 66)
    u = rng.random(n)
    employed_p = np.where(age < 25, 0.45, 0.83)
    employed = working & (u < employed_p)
    unemployed = working & ~employed & (u < employed_p + 0.07)
    other_income = working & ~employed & ~unemployed & (rng.random(n) < 0.5)
    pensioner = (age >= 66) & (rng.random(n) < 0.97)
    income = np.zeros(n)
    income[employed] = np.maximum(rng.lognormal(np.log(15_000), 0.5, employed.sum()), 8_000)
    income[other_income] = rng.lognormal(np.log(6_000), 0.7, other_income.sum())
    income[pensioner] = np.maximum(rng.lognormal(np.log(10_000), 0.55, pensioner.sum()), 3_000)
    income = np.round(income, 2)
    has_no_income = income == 0

    # Tax household: the head's, except adults other than the couple who earn and file on their own.
    files_alone = ((role == CHILD) | (role == PARENT)) & (age >= 18) & ~has_no_income
    tax_household = hh.copy()
    tax_household[files_alone] = h + np.arange(int(files_alone.sum()))
    tax_count = int(tax_household.max()) + 1 if n else 0
    tax_income = np.bincount(tax_household, weights=income, minlength=tax_count)
    tax_members = np.bincount(tax_household, minlength=tax_count)
    tax_no_income = np.bincount(tax_household, weights=has_no_income, minlength=tax_count).astype(np.int64)
    household_income = np.bincount(hh, weights=income, minlength=h)
    children = np.bincount(hh, weights=age < 18, minlength=h).astype(np.int64)

    # --- tax authority: one row per member of a tax household with a NIF -------------------------------
    in_tax = pop.national_id >= 0
    filers = np.flatnonzero(in_tax)
    at = person_records(pop, filers, prefix="AT-", rng=rng_for(seed, "pt", "at"), rates=rates)
    p = at.person
    tax_key = pop.record_keys("AF-", tax_count + 1)
    out.registry(
        "at_household_income",
        at.table(
            {
                "tax_household_id": tax_key.take(pa.array(tax_household[p])),
                "is_holder": pa.array((role[p] == HEAD) | files_alone[p]),
                "income_eur": pa.array(income[p]),
                "household_income_eur": pa.array(np.round(tax_income[tax_household[p]], 2)),
                "members_count": pa.array(tax_members[tax_household[p]], type=pa.int16()),
                "members_without_income_count": pa.array(tax_no_income[tax_household[p]], type=pa.int16()),
                "tax_year": pa.array(np.full(p.size, pop.reference_on.year - 1), type=pa.int16()),
            }
        ),
        agency="Autoridade Tributária e Aduaneira (AT)",
        description="Annual income per member of each tax household (IRS), with the household total.",
        record_person=(at.record_id, at.person),
    )

    # --- social security benefits ---------------------------------------------------------------------
    brng = rng_for(seed, "pt", "benefits")
    older_low = (age >= 66) & (income < 7_600)
    per_member = household_income[hh] / pop.household_size[hh]
    candidates: list[tuple[int, BoolArray]] = [
        (0, older_low & (brng.random(n) < 0.12)),
        (1, (role == HEAD) & working & (per_member < 2_000) & (brng.random(n) < 0.35)),
        (2, unemployed & (brng.random(n) < 0.5)),
        (4, working & (brng.random(n) < 0.008)),
        (5, working & (income < 6_000) & (brng.random(n) < 0.006)),
        (6, (age >= 66) & (income < 3_200) & (brng.random(n) < 0.3)),
    ]
    reference_income = household_income / (children + 1)
    bracket = np.searchsorted(np.array(ABONO_BRACKET_IAS) * IAS_EUR * 14, reference_income, side="left") + 1
    take_up = np.where(bracket <= 4, 0.8, 0.3)
    receives_abono = (children > 0) & (bracket <= 5) & (brng.random(h) < take_up)
    # The recipient is the head, or the spouse (usually the mother) in most couples.
    first_of = pop.household_first
    spouse_recipient = (pop.household_size >= 2) & (role[np.minimum(first_of + 1, n - 1)] == SPOUSE)
    spouse_recipient &= brng.random(h) < 0.6
    abono_head = (first_of + spouse_recipient)[receives_abono]
    benefit_person = np.concatenate([np.flatnonzero(mask) for _, mask in candidates] + [abono_head])
    benefit_code = np.concatenate(
        [np.full(int(mask.sum()), code) for code, mask in candidates] + [np.full(abono_head.size, 3)]
    )
    benefit_bracket = np.concatenate(
        [np.zeros(int(mask.sum()), np.int64) for _, mask in candidates] + [bracket[receives_abono]]
    )
    # Ended spells (history): they must not count as current benefits.
    ended = np.flatnonzero(working & (brng.random(n) < 0.05))
    benefit_person = np.concatenate([benefit_person, ended])
    benefit_code = np.concatenate([benefit_code, np.full(ended.size, 2)])
    benefit_bracket = np.concatenate([benefit_bracket, np.zeros(ended.size, np.int64)])
    m = benefit_person.size
    is_current = np.arange(m) < m - ended.size
    # Most current benefits started years ago; about 3% in the last 45 days (the cycle lag).
    days_ago = np.where(brng.random(m) < 0.03, brng.integers(1, 46, m), brng.integers(46, 6 * 365, m))
    start_on = ref - days_ago.astype("timedelta64[D]")
    end_on = start_on + brng.integers(30, 540, m).astype("timedelta64[D]")
    end_on = np.minimum(end_on, ref - np.timedelta64(1, "D"))
    start_on = np.minimum(start_on, end_on - np.timedelta64(1, "D"))
    ss = person_records(pop, benefit_person, prefix="SS-", rng=rng_for(seed, "pt", "ss"), rates=rates)
    s = ss.source
    niss_number = pc.cast(pa.array((ss.person + pop.chunk.first_person) * 7 + 100_003), pa.string())
    niss = pc.binary_join_element_wise("1", pc.utf8_lpad(niss_number, 10, "0"), "")
    out.registry(
        "ss_benefits",
        ss.table(
            {
                "niss": niss,
                "benefit_code": pa.array(BENEFIT_CODES, pa.string()).take(pa.array(benefit_code[s])),
                "abono_bracket": pa.array(benefit_bracket[s], type=pa.int8(), mask=benefit_bracket[s] == 0),
                "monthly_amount_eur": pa.array(
                    np.round(np.array(_MONTHLY_EUR)[benefit_code[s]] * brng.uniform(0.6, 1.2, s.size), 2)
                ),
                "start_on": dates(start_on[s]),
                "end_on": dates(end_on[s], mask=is_current[s]),
            }
        ),
        agency="Instituto da Segurança Social (ISS)",
        description="Benefits per beneficiary (abono de família per recipient parent), start and end dates.",
        record_person=(ss.record_id, ss.person),
    )
    has_benefit = np.zeros(n, dtype=bool)
    has_benefit[benefit_person[is_current]] = True
    has_other_benefit = np.zeros(n, dtype=bool)
    has_other_benefit[benefit_person[is_current & (benefit_code != 3)]] = True
    has_abono_first = np.zeros(n, dtype=bool)
    has_abono_first[abono_head[bracket[receives_abono] == 1]] = True

    # --- electricity customers ------------------------------------------------------------------------
    erng = rng_for(seed, "pt", "electricity")
    has_contract = erng.random(h) < 0.985
    households = np.flatnonzero(has_contract)
    first, size = pop.household_first[households], pop.household_size[households]
    holder = first.copy()
    spouse_holds = (
        (size >= 2) & (role[np.minimum(first + 1, n - 1)] == SPOUSE) & (erng.random(households.size) < 0.18)
    )
    holder[spouse_holds] = first[spouse_holds] + 1
    is_own_name = erng.random(households.size) < 0.95
    adults = np.flatnonzero(age >= 18)
    holder[~is_own_name] = adults[erng.integers(0, adults.size, int((~is_own_name).sum()))]
    second = households[erng.random(households.size) < 0.06]
    contract_household = np.concatenate([households, second])
    contract_holder = np.concatenate([holder, holder[np.searchsorted(households, second)]])
    address_household = np.concatenate([households, pop.household_previous[second]])
    is_permanent = np.concatenate([np.ones(households.size, bool), np.zeros(second.size, bool)])
    own_name = np.concatenate([is_own_name, np.ones(second.size, bool)])
    c = contract_household.size
    contract_income = household_income[contract_household]
    income_rank = np.searchsorted(np.sort(contract_income), contract_income) / max(c - 1, 1)
    p_low, p_high = np.array(_POWER_P_LOW), np.array(_POWER_P_HIGH)
    cumulative = np.cumsum(
        p_low[None, :] * (1 - income_rank[:, None]) + p_high[None, :] * income_rank[:, None], axis=1
    )
    power_step = (erng.random(c)[:, None] > cumulative).sum(axis=1)
    power_kva = np.array(POWER_LADDER_KVA)[np.minimum(power_step, len(POWER_LADDER_KVA) - 1)]
    is_domestic = erng.random(c) < 0.99
    contract_start_on = ref - erng.integers(30, 15 * 365, c).astype("timedelta64[D]")
    serials = pop.chunk.id_range(0, 10**12)
    cpe = supply_point_codes(erng, "PT0002", c, serials)
    supplier = _choose(erng, ELECTRICITY_SUPPLIERS, c)

    el = person_records(
        pop,
        contract_holder,
        prefix="EL-",
        rng=rng_for(seed, "pt", "el-records"),
        rates=rates,
        address_household=address_household,
    )
    e = el.source
    mismatch = erng.random(e.size) < rates.supply_address_mismatch
    el_address, el_postcode = _address_variants(erng, el.columns["address"], el.columns["postcode"], mismatch)
    el_columns = {**el.columns, "address": el_address, "postcode": el_postcode}
    out.registry(
        "electricity_customers",
        pa.table(
            {
                **el_columns,
                "supplier_id": supplier.take(pa.array(e)),
                "cpe": cpe.take(pa.array(e)),
                "power_kva": pa.array(power_kva[e]),
                "voltage": pa.array(np.full(e.size, "BTN")),
                "is_domestic_use": pa.array(is_domestic[e]),
                "is_own_name": pa.array(own_name[e]),
                "is_permanent_home": pa.array(is_permanent[e]),
                "contract_start_on": dates(contract_start_on[e]),
            }
        ),
        agency="Electricity suppliers via DGEG",
        description="Electricity customers with supply point (CPE), holder NIF and name, contracted power.",
        record_person=(el.record_id, el.person),
    )

    # --- gas customers ---------------------------------------------------------------------------------
    grng = rng_for(seed, "pt", "gas")
    gas = np.flatnonzero(has_contract[np.arange(h)] & (grng.random(h) < 0.33))
    gas_holder_index = np.searchsorted(households, gas)
    gas_holder = holder[gas_holder_index]
    g = gas.size
    consumption = np.round(grng.lognormal(np.log(210), 0.75, g) * pop.household_size[gas] ** 0.3, 0)
    pressure = np.where(grng.random(g) < 0.995, "low", "medium")
    gs = person_records(
        pop,
        gas_holder,
        prefix="GAS-",
        rng=rng_for(seed, "pt", "gas-records"),
        rates=rates,
        address_household=gas,
    )
    q = gs.source
    gas_mismatch = grng.random(q.size) < rates.supply_address_mismatch
    gas_address, gas_postcode = _address_variants(
        grng, gs.columns["address"], gs.columns["postcode"], gas_mismatch
    )
    cui = supply_point_codes(grng, "PT1601", g, serials)
    out.registry(
        "gas_customers",
        pa.table(
            {
                **{**gs.columns, "address": gas_address, "postcode": gas_postcode},
                "supplier_id": _choose(grng, GAS_SUPPLIERS, g).take(pa.array(q)),
                "cui": cui.take(pa.array(q)),
                "pressure": pa.array(pressure[q]),
                "annual_consumption_m3": pa.array(consumption[q]),
                "is_domestic_use": pa.array(np.ones(q.size, bool)),
                "contract_start_on": dates(
                    (ref - grng.integers(30, 12 * 365, g).astype("timedelta64[D]"))[q]
                ),
            }
        ),
        agency="Natural gas suppliers via DGEG",
        description="Low-pressure gas customers with supply point (CUI), holder and annual consumption.",
        record_person=(gs.record_id, gs.person),
    )

    # --- the expected outcome under the rules, from clean values (a calibration reference) ----------------
    holder_tax = tax_household[contract_holder]
    limit = INCOME_LIMIT_EUR * (1 + 0.5 * np.minimum(tax_no_income[holder_tax], 10))
    by_income = tax_income[holder_tax] <= limit
    by_benefit = has_benefit[contract_holder]
    contract_ok = own_name & is_domestic & is_permanent & (power_kva <= 6.9)
    gas_ok = (pressure == "low") & (consumption <= 500)
    out.truth_table(
        "pt_expected_eligibility",
        pa.table(
            {
                "household_id": pop.household_key.take(pa.array(contract_household)),
                "cpe": cpe,
                "holder_person_id": pop.person_ids(contract_holder),
                "is_contract_eligible": pa.array(contract_ok),
                "has_qualifying_benefit": pa.array(by_benefit),
                "tax_household_income_eur": pa.array(np.round(tax_income[holder_tax], 2)),
                "income_limit_eur": pa.array(np.round(limit, 2)),
                "is_electricity_eligible": pa.array(contract_ok & (by_benefit | by_income)),
            }
        ),
        description="Electricity tariff eligibility per contract under the 2025 rules, from clean values.",
    )
    out.truth_table(
        "pt_expected_gas_eligibility",
        pa.table(
            {
                "household_id": pop.household_key.take(pa.array(gas)),
                "cui": cui,
                "holder_person_id": pop.person_ids(gas_holder),
                "is_gas_eligible": pa.array(gas_ok & (has_other_benefit | has_abono_first)[gas_holder]),
            }
        ),
        description="Gas tariff eligibility per contract (low pressure, <= 500 m3, qualifying benefit).",
    )
    return {
        "income_eur": pa.array(income),
        "tax_household_id": tax_key.take(pa.array(tax_household)),
    }
