"""Synthetic national populations: registries with realistic defects and the ground truth (no Django).

``generate_population`` writes the files described in docs/registries.md for ``pt``, ``bd``, ``kr``
or ``br``; ``parse_defect_spec`` reads the ``--defects`` option.
"""

from govreach.population.defects import DEFECT_NAMES, DefectRates, parse_defect_spec
from govreach.population.errors import PopulationError
from govreach.population.generate import GenerationResult, check_country, generate_population
from govreach.population.profiles import COUNTRIES

__all__ = [
    "COUNTRIES",
    "DEFECT_NAMES",
    "DefectRates",
    "GenerationResult",
    "PopulationError",
    "check_country",
    "generate_population",
    "parse_defect_spec",
]
