"""The demo's synthetic populations: one small generated population per pack, in the registry.

Each pack may declare ``data/population.yaml`` (country, households, seed, the population register
and the mapping that imports it). The step generates the files once, imports the country's areas and
the register joined with its household memberships, and re-running it changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict

from govreach.population import generate_population
from govreach.registry.mapping import mapping_load
from govreach.registry.models import Person
from govreach.registry.services import area_import_csv, registry_source_import

# The registry keeps roles head/spouse/child/other; the generator also writes 'parent'.
ROLE_SQL = (
    "CASE m.role WHEN 'head' THEN 'head' WHEN 'spouse' THEN 'spouse' WHEN 'child' THEN 'child' "
    "ELSE 'other' END"
)


class PopulationSpec(BaseModel):
    """``packs/<id>/data/population.yaml``."""

    model_config = ConfigDict(extra="forbid")

    country: str
    households: int
    seed: int
    population_register: str
    mapping: str


@dataclass(frozen=True)
class DemoPopulation:
    pack_id: str
    country: str
    households: int
    persons_imported: int
    areas: int


def _generated(spec: PopulationSpec, out: Path) -> Path:
    """Generate once: the manifest records seed and size, so a second run reuses the files."""
    manifest = out / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("seed") == spec.seed and data.get("households") == spec.households:
            return out
    generate_population(country=spec.country, households=spec.households, seed=spec.seed, out_dir=out)
    return out


def _register_with_households(out: Path, register: str) -> Path:
    """The register with each person's household and role, as one Parquet file the import reads."""
    target = out / "demo" / f"{register}_with_households.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    reg = (out / "registries" / f"{register}.parquet").as_posix()
    members = (out / "registries" / "household_members.parquet").as_posix()
    con = duckdb.connect()
    try:
        con.execute(
            f"""COPY (
                  SELECT r.*, m.household_id, {ROLE_SQL} AS household_role
                  FROM read_parquet('{reg}') r
                  LEFT JOIN read_parquet('{members}') m ON m.person_record_id = r.record_id
                  ORDER BY r.record_id
                ) TO '{target.as_posix()}' (FORMAT parquet)"""  # noqa: S608 - paths the step itself made
        )
    finally:
        con.close()
    return target


def demo_population_load(*, pack_dir: Path, var_dir: Path) -> DemoPopulation | None:
    """Generate and import the pack's demo population; None when the pack declares none."""
    spec_path = pack_dir / "data" / "population.yaml"
    if not spec_path.exists():
        return None
    spec = PopulationSpec.model_validate(yaml.safe_load(spec_path.read_text(encoding="utf-8")))
    out = _generated(spec, var_dir / "populations" / spec.country)
    areas = area_import_csv(csv_path=out / "areas.csv")
    register_file = _register_with_households(out, spec.population_register)
    mapping = mapping_load(pack_dir / "data" / spec.mapping)
    source_name = f"demo_{spec.country}_{spec.population_register}"
    registry_source_import(source_name=source_name, file_path=register_file, mapping=mapping)
    persons = Person.objects.filter(records__source__name=source_name).distinct().count()
    return DemoPopulation(pack_dir.name, spec.country, spec.households, persons, areas)
