"""Placeholder."""

import pyarrow as pa

from govreach.population.core import Population
from govreach.population.defects import DefectRates
from govreach.population.output import Output


def write_registries(
    population: Population, out: Output, rates: DefectRates, seed: int
) -> dict[str, pa.Array]:
    return {}
