"""Settings of a linkage run: thresholds, engine, blocking, comparisons and training budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

#: Person columns (docs/registries.md) that the probabilistic model knows how to compare.
COMPARABLE_COLUMNS = ("given_name", "family_name", "birth_date", "sex", "address", "postcode", "phone")


@dataclass(frozen=True)
class LinkageSettings:
    """How two registries are linked; the registry app builds this from configuration.

    A pair at or above `upper_threshold` is accepted, below `lower_threshold` rejected, and in
    between sent to clerical review. Blocking rules are tuples of columns or SQL expressions that
    must be equal on both sides for a pair to be compared (any rule suffices).
    """

    upper_threshold: float = 0.95
    lower_threshold: float = 0.50
    engine: Literal["duckdb", "spark"] = "duckdb"
    deterministic_on: tuple[str, ...] = ("national_id",)
    comparisons: tuple[str, ...] = COMPARABLE_COLUMNS
    blocking_rules: tuple[tuple[str, ...], ...] = (
        ("birth_date",),
        ("given_name", "family_name"),
        ("family_name", "postcode"),
        ("given_name", "postcode"),
        ("phone",),
    )
    training_blocking_rules: tuple[tuple[str, ...], ...] = (
        ("given_name", "family_name"),
        ("birth_date",),
    )
    name_jaro_winkler_thresholds: tuple[float, ...] = (0.92, 0.88, 0.70)
    term_frequency_adjustments: bool = True
    max_pairs_u: float = 2e6
    # u is estimated over the sampled pairs in this many chunks, stopping once every comparison level has
    # been seen often enough; each chunk is a pass over the sample (on Spark, hundreds of small jobs), so
    # small registries, whose levels are never all seen often, do best with 1.
    u_chunks: int = 10
    max_pairs_em: float | None = 1e6
    seed: int = 42
    one_to_one: bool = False
    min_candidate_probability: float = 0.01

    def __post_init__(self) -> None:
        if self.u_chunks < 1:
            raise ValueError(f"u_chunks must be at least 1, not {self.u_chunks}")
        if not 0.0 <= self.lower_threshold <= self.upper_threshold <= 1.0:
            raise ValueError(
                "thresholds must satisfy 0 <= lower_threshold <= upper_threshold <= 1, got "
                f"lower={self.lower_threshold}, upper={self.upper_threshold}"
            )
        if self.engine not in ("duckdb", "spark"):
            raise ValueError(f"engine must be 'duckdb' or 'spark', got {self.engine!r}")
        unknown = set(self.comparisons) - set(COMPARABLE_COLUMNS)
        if unknown:
            raise ValueError(f"no comparison is defined for {sorted(unknown)}; known: {COMPARABLE_COLUMNS}")
        if not self.blocking_rules or not self.training_blocking_rules:
            raise ValueError("at least one blocking rule and one training blocking rule are needed")
        if not 0.0 <= self.min_candidate_probability <= self.lower_threshold:
            raise ValueError("min_candidate_probability must lie between 0 and lower_threshold")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> LinkageSettings:
        """Build settings from configuration (YAML/JSON); lists become tuples, unknown keys fail."""
        known = {f.name for f in fields(cls)}
        unknown = set(mapping) - known
        if unknown:
            raise ValueError(f"unknown linkage settings: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for key, value in mapping.items():
            if isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            values[key] = value
        return cls(**values)
