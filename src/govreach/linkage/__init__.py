"""Record linkage of person registries: deterministic on shared ids, then probabilistic (Splink).

A pure library (no Django): `link_records` links two pyarrow tables carrying the standard person
columns of docs/registries.md; `evaluate_links` scores the result against a known truth.
"""

from govreach.linkage.engine import LinkageEngineUnavailableError
from govreach.linkage.evaluate import LinkageMetrics, evaluate_links
from govreach.linkage.link import LINKS_SCHEMA, LinkageOutcome, LinkResult, link_records
from govreach.linkage.settings import LinkageSettings

__all__ = [
    "LINKS_SCHEMA",
    "LinkResult",
    "LinkageEngineUnavailableError",
    "LinkageMetrics",
    "LinkageOutcome",
    "LinkageSettings",
    "evaluate_links",
    "link_records",
]
