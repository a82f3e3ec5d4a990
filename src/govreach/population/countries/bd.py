"""Bangladesh: land records (khatians and owners), recent deeds, heir certificates and land-tax receipts.

Feeds bd-land-mutation: every deed transfers land still recorded in the seller's name, so each one is a
mutation application waiting to happen; inheritance cases have an heir certificate (or lack one).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govreach.population.core import HEAD, PARENT, SPOUSE, Int64Array, Population, Seed, rng_for
from govreach.population.defects import DefectRates
from govreach.population.output import Output
from govreach.population.records import dates, person_records, record_keys

DEED_TYPES = ("sale", "gift", "inheritance")
MOUZAS_PER_UNION = 3
LAND_TAX_BDT_PER_DECIMAL = 2.0


def _list_column(values: Int64Array, counts: Int64Array) -> pa.Array:
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pc.cast(pa.array(values), pa.string()))


def write_registries(
    population: Population, out: Output, rates: DefectRates, seed: Seed
) -> dict[str, pa.Array]:
    """Write khatians, owners, deeds, deed parties, heir certificates and land-tax receipts."""
    pop = population
    n, h = pop.person_count, pop.household_count
    rng = rng_for(seed, "bd", "land")
    ref = np.datetime64(pop.reference_on, "D")
    first = pop.household_first

    # --- khatians: one per land-owning household, in a mouza of its union --------------------------------
    owning = np.flatnonzero(rng.random(h) < 0.55)
    k = owning.size
    union = pop.household_area[owning]
    mouza = union * MOUZAS_PER_UNION + rng.integers(0, MOUZAS_PER_UNION, size=k)
    mouza_name = pop.pools.streets.take(pa.array((mouza * 104_729) % len(pop.pools.streets)))
    plots = rng.integers(1, 5, size=k)
    plot_numbers = rng.integers(1, 3_000, size=int(plots.sum()))
    area_decimal = np.round(rng.lognormal(np.log(12), 0.8, size=int(plots.sum())), 1)
    land_decimal = np.round(np.add.reduceat(area_decimal, np.r_[0, np.cumsum(plots)[:-1]]), 1)
    # About one in ten is still recorded in the name of a deceased parent of the head.
    deceased = rng.random(k) < 0.10
    second = first[owning] + np.minimum(1, pop.household_size[owning] - 1)
    co_owner = (~deceased) & (pop.role[second] == SPOUSE) & (rng.random(k) < 0.2)
    khatian_key = record_keys("KH-", k)
    out.registry(
        "khatians",
        pa.table(
            {
                "record_id": khatian_key,
                "khatian_no": pa.array(rng.integers(1, 2_500, size=k)),
                "mouza_jl_no": pa.array(mouza % 1000 + 1),
                "mouza_name": mouza_name,
                "area_code": pop.area_codes(union),
                "survey": pa.array(np.where(rng.random(k) < 0.6, "BS", "RS")),
                "plot_nos": _list_column(plot_numbers, plots),
                "land_area_decimal": pa.array(land_decimal),
                "owners_count": pa.array(1 + co_owner.astype(np.int64)),
                "recorded_on": dates(ref - rng.integers(400, 20 * 365, size=k).astype("timedelta64[D]")),
            }
        ),
        agency="Ministry of Land (Record of Rights)",
        description="Record of rights (khatian) per mouza with plot (dag) numbers and land area in decimals.",
    )

    # --- owners: the head (and sometimes the spouse), or the deceased parent --------------------------
    living_khatian = np.concatenate([np.flatnonzero(~deceased), np.flatnonzero(co_owner)])
    living_person = np.concatenate([first[owning[~deceased]], first[owning[co_owner]] + 1])
    owners = person_records(pop, living_person, prefix="KO-", rng=rng_for(seed, "bd", "owners"), rates=rates)
    dead = np.flatnonzero(deceased)
    d = dead.size
    dead_person_id = n + np.arange(d, dtype=np.int64)
    dead_given = pop.pools.given.take(pop.pools.given_index(rng, np.ones(d, dtype=bool)))
    dead_family = pop.pools.family.take(pa.array(pop.family[first[owning[dead]]]))
    dead_birth = ref - (rng.integers(70, 95, size=d) * 365.25).astype("timedelta64[D]")
    dead_on = ref - rng.integers(60, 6 * 365, size=d).astype("timedelta64[D]")
    owner_khatian = np.concatenate([living_khatian[owners.source], dead])
    shares = np.where(co_owner, 0.5, 1.0)
    owner_table = pa.concat_tables(
        [
            owners.table(),
            pa.table(
                {
                    "record_id": record_keys("KO-D", d),
                    "national_id": pa.nulls(d, pa.string()),
                    "given_name": dead_given,
                    "family_name": dead_family,
                    "birth_date": dates(dead_birth),
                    "sex": pa.array(np.full(d, "M")),
                    "address": pop.household_address.take(pa.array(owning[dead])),
                    "postcode": pop.household_postcode.take(pa.array(owning[dead])),
                    "area_code": pop.area_codes(pop.household_area[owning[dead]]),
                    "phone": pa.nulls(d, pa.string()),
                }
            ),
        ]
    )
    owner_table = owner_table.append_column("khatian_record_id", khatian_key.take(pa.array(owner_khatian)))
    owner_table = owner_table.append_column("share", pa.array(shares[owner_khatian]))
    out.registry(
        "khatian_owners",
        owner_table,
        agency="Ministry of Land (Record of Rights)",
        description="Owners recorded on each khatian with their share; some owners have died.",
        record_person=(
            owner_table["record_id"].combine_chunks(),
            np.concatenate([owners.person, dead_person_id]),
        ),
    )
    out.truth_table(
        "bd_deceased_owners",
        pa.table(
            {
                "person_id": pa.array(dead_person_id),
                "given_name": dead_given,
                "family_name": dead_family,
                "birth_date": dates(dead_birth),
                "death_on": dates(dead_on),
                "heir_household_id": pop.household_key.take(pa.array(owning[dead])),
            }
        ),
        description="Deceased land owners (not in the population): parents of the heir household's head.",
    )

    # --- deeds in the last three years: sales, gifts, and successions -------------------------------------
    drng = rng_for(seed, "bd", "deeds")
    transfers = np.flatnonzero(drng.random(k) < 0.12) if k else np.empty(0, np.int64)
    is_inheritance = deceased[transfers]
    living_transfer = transfers[~is_inheritance]
    is_gift = drng.random(living_transfer.size) < 0.18
    buyers_household = drng.integers(0, h, size=living_transfer.size)
    # Gifts (heba) go to the spouse or a child within the household when there is one.
    size_of = pop.household_size[owning[living_transfer]]
    in_family = first[owning[living_transfer]] + np.minimum(1, size_of - 1)
    buyer = np.where(is_gift & (size_of >= 2), in_family, first[buyers_household])
    seller = first[owning[living_transfer]]
    inheritance = transfers[is_inheritance]
    heirs_household = owning[inheritance]
    t_living, t_inh = living_transfer.size, inheritance.size
    deed_khatian = np.concatenate([living_transfer, inheritance])
    deed_type = np.concatenate([np.where(is_gift, 1, 0), np.full(t_inh, 2)])
    m = deed_khatian.size
    executed_on = ref - drng.integers(5, 3 * 365, size=m).astype("timedelta64[D]")
    deed_key = record_keys("DEED-", m)
    price = np.where(
        deed_type == 0, np.round(land_decimal[deed_khatian] * drng.lognormal(np.log(60_000), 0.6, m), -2), 0
    )
    out.registry(
        "deeds",
        pa.table(
            {
                "record_id": deed_key,
                "deed_no": pa.array(drng.integers(1, 20_000, size=m), mask=deed_type == 2),
                "deed_type": pa.array(DEED_TYPES, pa.string()).take(pa.array(deed_type)),
                "executed_on": dates(executed_on),
                "khatian_record_id": khatian_key.take(pa.array(deed_khatian)),
                "area_code": pop.area_codes(union[deed_khatian]),
                "land_area_decimal": pa.array(land_decimal[deed_khatian]),
                "consideration_bdt": pa.array(price),
            }
        ),
        agency="Sub-Registry Offices (Inspector General of Registration)",
        description="Registered transfers (sale, gift) and successions not yet mutated in the khatian.",
    )

    # parties: sellers and buyers of sales and gifts; heirs (head, and mother if present) of successions
    mother = first[heirs_household] + pop.household_size[heirs_household] - 1
    has_mother = pop.role[mother] == PARENT
    heir_person = np.concatenate([first[heirs_household], mother[has_mother]])
    heir_deed = np.concatenate([t_living + np.arange(t_inh), t_living + np.flatnonzero(has_mother)])
    party_person = np.concatenate([seller, buyer, heir_person])
    party_deed = np.concatenate([np.arange(t_living), np.arange(t_living), heir_deed])
    party_role = np.concatenate(
        [np.zeros(t_living, np.int64), np.ones(t_living + heir_person.size, np.int64)]
    )
    parties = person_records(pop, party_person, prefix="DP-", rng=rng_for(seed, "bd", "parties"), rates=rates)
    ps = parties.source
    out.registry(
        "deed_parties",
        parties.table(
            {
                "deed_record_id": deed_key.take(pa.array(party_deed[ps])),
                "party_role": pa.array(["seller", "buyer"], pa.string()).take(pa.array(party_role[ps])),
            }
        ),
        agency="Sub-Registry Offices (Inspector General of Registration)",
        description="Sellers and buyers of each deed (heirs are the buyers of a succession).",
        record_person=(parties.record_id, parties.person),
    )

    # --- heir certificates (warish sanad) from the union parishad, for most successions -------------------
    certified = drng.random(t_inh) < 0.8
    cert_heir = np.isin(heir_deed - t_living, np.flatnonzero(certified))
    certificates = person_records(
        pop, heir_person[cert_heir], prefix="HC-", rng=rng_for(seed, "bd", "heirs"), rates=rates
    )
    hs = certificates.source
    cert_of = (heir_deed - t_living)[cert_heir][hs]
    relation = np.where(pop.role[certificates.person] == HEAD, "son", "wife")
    out.registry(
        "heir_certificates",
        certificates.table(
            {
                "certificate_no": pc.binary_join_element_wise(
                    "WS-", pc.cast(pa.array(cert_of + 1), pa.string()), ""
                ),
                "deceased_given_name": dead_given.take(pa.array(np.searchsorted(dead, inheritance[cert_of]))),
                "deceased_family_name": dead_family.take(
                    pa.array(np.searchsorted(dead, inheritance[cert_of]))
                ),
                "death_on": dates(dead_on[np.searchsorted(dead, inheritance[cert_of])]),
                "relation_to_deceased": pa.array(relation),
                "issued_on": dates(executed_on[t_living + cert_of] + np.timedelta64(20, "D")),
            }
        ),
        agency="Union Parishad",
        description="Heir certificates: one row per heir of a deceased land owner.",
        record_person=(certificates.record_id, certificates.person),
    )

    # --- land development tax receipts (dakhila) for the current fiscal year ---------------------------
    paid = np.flatnonzero((~deceased) & (drng.random(k) < 0.7))
    receipts = person_records(
        pop, first[owning[paid]], prefix="LDT-", rng=rng_for(seed, "bd", "tax"), rates=rates
    )
    rs = receipts.source
    year = pop.reference_on.year
    out.registry(
        "land_tax_receipts",
        receipts.table(
            {
                "khatian_record_id": khatian_key.take(pa.array(paid[rs])),
                "holding_no": pa.array(paid[rs] + 1),
                "fiscal_year": pa.array(np.full(rs.size, f"{year - 1}-{year % 100:02d}")),
                "amount_bdt": pa.array(np.round(land_decimal[paid[rs]] * LAND_TAX_BDT_PER_DECIMAL, 0)),
                "paid_on": dates(ref - drng.integers(1, 300, size=rs.size).astype("timedelta64[D]")),
            }
        ),
        agency="Union Land Office (Ministry of Land)",
        description="Land development tax receipts (dakhila) per holding for the current fiscal year.",
        record_person=(receipts.record_id, receipts.person),
    )
    owns_land = np.zeros(n, dtype=bool)
    owns_land[first[owning]] = True
    return {"is_land_owner": pa.array(owns_land)}
