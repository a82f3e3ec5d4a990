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
from govreach.population.core import Population, build_population
from govreach.population.countries import bd, br, kr, pt
from govreach.population.defects import DefectRates
from govreach.population.errors import PopulationError
from govreach.population.output import Output
from govreach.population.pools import build_pools
from govreach.population.profiles import COUNTRIES, PROFILES, REFERENCE_ON

CountryWriter = Callable[[Population, Output, DefectRates, int], dict[str, pa.Array]]
_WRITERS: dict[str, CountryWriter] = {
    "pt": pt.write_registries,
    "bd": bd.write_registries,
    "kr": kr.write_registries,
    "br": br.write_registries,
}


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
) -> GenerationResult:
    """Write ``areas.csv``, ``registries/``, ``truth/`` and ``manifest.json`` to ``out_dir``.

    Deterministic: the same arguments give byte-identical files. See docs/registries.md for the contract.
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
    pools = build_pools(code, seed)
    population = build_population(
        profile=PROFILES[code],
        areas=areas,
        pools=pools,
        households=households,
        seed=seed,
        reference_on=reference_on,
    )
    out = Output(
        out_dir=out_dir,
        country=code,
        seed=seed,
        households=households,
        rates=rates,
        reference_on=reference_on,
    )
    write_common(population, out, rates, seed)
    extra = _WRITERS[code](population, out, rates, seed)
    write_truth_persons(population, out, extra)
    manifest = out.finish(persons=population.person_count)
    return GenerationResult(
        out_dir=out_dir, manifest=manifest, households=households, persons=population.person_count
    )
