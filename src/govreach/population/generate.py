"""Entry point of the generator: validate arguments, build the population, write every file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from govreach.population.areas import area_table
from govreach.population.common import write_common, write_truth_persons
from govreach.population.core import Chunk, Numbering, Population, Seed, build_population
from govreach.population.countries import bd, br, kr, pt
from govreach.population.defects import DefectRates
from govreach.population.errors import PopulationError
from govreach.population.output import Output
from govreach.population.pools import build_pools
from govreach.population.profiles import COUNTRIES, PROFILES, REFERENCE_ON

CountryWriter = Callable[[Population, Output, DefectRates, Seed], dict[str, pa.Array]]
_WRITERS: dict[str, CountryWriter] = {
    "pt": pt.write_registries,
    "bd": bd.write_registries,
    "kr": kr.write_registries,
    "br": br.write_registries,
}
# Households per chunk: a larger population is built and written this many households at a time, so
# memory stays bounded (about 1 GB for 500,000 Portuguese households) whatever its size.
CHUNK_HOUSEHOLDS = 500_000
# Countries whose registries only relate households of the same chunk (the others are one city or
# district, built in one piece).
_CHUNKED = frozenset({"pt"})


@dataclass(frozen=True)
class GenerationResult:
    """What a run wrote: the output directory, the manifest and the population's size."""

    out_dir: Path
    manifest: dict[str, Any]
    households: int
    persons: int

    def rows_by_dataset(self) -> dict[str, int]:
        return {entry["name"]: int(entry["rows"]) for entry in self.manifest["datasets"]}


def check_country(country: str, *, option: str = "--country") -> str:
    """``country`` lower-cased, or a PopulationError naming ``option`` and the accepted values."""
    code = country.strip().lower()
    if code not in COUNTRIES:
        raise PopulationError(f"{option}: unknown country {country!r}; accepted: {', '.join(COUNTRIES)}")
    return code


def generate_population(
    *,
    country: str,
    households: int,
    seed: int,
    out_dir: Path,
    defects: DefectRates | None = None,
    reference_on: date = REFERENCE_ON,
    chunk_households: int = CHUNK_HOUSEHOLDS,
) -> GenerationResult:
    """Write ``areas.csv``, ``registries/``, ``truth/`` and ``manifest.json`` to ``out_dir``.

    Deterministic: the same arguments give byte-identical files. See docs/registries.md for the contract.
    Portugal above ``chunk_households`` is built in chunks of about that size, each appended to the same
    files: memory does not grow with ``households``. Stale addresses, second homes and holders in
    another's name then stay within a chunk, and tax numbers may start with 3 (personal NIFs since 2019).
    """
    code = check_country(country)
    if households < 1:
        raise PopulationError(f"--households: must be a positive integer, got {households}")
    if seed < 0:
        raise PopulationError(f"--seed: must be a non-negative integer, got {seed}")
    rates = defects or DefectRates()
    out_dir.mkdir(parents=True, exist_ok=True)
    areas = area_table(code)
    areas.write_csv(out_dir / "areas.csv")
    if chunk_households < 1:
        raise PopulationError(f"chunk_households: must be a positive integer, got {chunk_households}")
    pools = build_pools(code, seed)
    out = Output(
        out_dir=out_dir,
        country=code,
        seed=seed,
        households=households,
        rates=rates,
        reference_on=reference_on,
    )
    count = -(-households // chunk_households) if code in _CHUNKED else 1
    numbering = Numbering()
    first_household = persons = 0
    for index in range(count):
        size = households // count + (1 if index < households % count else 0)
        # The first chunk draws exactly as an unchunked population; the others from their own streams.
        chunk_seed: Seed = seed if index == 0 else (seed, index)
        chunk = Chunk(index, count, first_household, persons, numbering)
        population = build_population(
            profile=PROFILES[code],
            areas=areas,
            pools=pools,
            households=size,
            seed=chunk_seed,
            reference_on=reference_on,
            chunk=chunk,
        )
        write_common(population, out, rates, chunk_seed)
        extra = _WRITERS[code](population, out, rates, chunk_seed)
        write_truth_persons(population, out, extra)
        first_household += size
        persons += population.person_count
        del population, extra
        out.end_chunk(next_person_offset=persons)
    manifest = out.finish(persons=persons)
    return GenerationResult(out_dir=out_dir, manifest=manifest, households=households, persons=persons)
