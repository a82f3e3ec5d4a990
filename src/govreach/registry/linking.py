"""Linking two registry sources: export their records, call ``govreach.linkage``, store the links.

The linkage library knows nothing of Django; this module is the seam. ``link_fn``/``evaluate_fn``
can be swapped (tests pass a fake outcome), otherwise ``govreach.linkage`` is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
from django.conf import settings as django_settings

from govreach.registry.selectors import source_get, source_records_as_arrow
from govreach.registry.services import LinkSaveCounts, record_links_save

DEFAULT_LINKAGE = {"upper_threshold": 0.95, "lower_threshold": 0.5}


def linkage_thresholds() -> tuple[float, float]:
    """(upper, lower) thresholds from ``settings.GOVREACH_LINKAGE``, defaulting to 0.95 and 0.5."""
    configured = {**DEFAULT_LINKAGE, **getattr(django_settings, "GOVREACH_LINKAGE", {})}
    return float(configured["upper_threshold"]), float(configured["lower_threshold"])


@dataclass(frozen=True)
class LinkReport:
    """What a link run did: links stored per status, timings, and metrics when the truth was given."""

    left_records: int
    right_records: int
    saved: LinkSaveCounts
    outcome_counts: dict[str, int]
    metrics: dict[str, float] = field(default_factory=dict)


def _read_table(path: Path) -> pa.Table:
    import duckdb

    con = duckdb.connect()
    try:
        quoted = "'" + str(path).replace("'", "''") + "'"
        return con.sql(f"SELECT * FROM {quoted}").to_arrow_table()  # noqa: S608 (quoted path)
    finally:
        con.close()


def _metrics_dict(metrics: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in ("precision", "recall", "f1"):
        value = metrics.get(name) if isinstance(metrics, dict) else getattr(metrics, name, None)
        if value is not None:
            out[name] = float(value)
    return out


def sources_link(
    *,
    left_source_name: str,
    right_source_name: str,
    upper_threshold: float | None = None,
    lower_threshold: float | None = None,
    engine: str = "duckdb",
    truth_path: Path | None = None,
    link_fn: Callable[..., Any] | None = None,
    evaluate_fn: Callable[..., Any] | None = None,
) -> LinkReport:
    """Link two imported sources and store the links (accepted, review queue, rejected).

    Thresholds default to ``settings.GOVREACH_LINKAGE``; with ``truth_path`` (a table of
    ``dataset, record_id, person_id``) the report carries precision, recall and F1.
    """
    default_upper, default_lower = linkage_thresholds()
    upper = default_upper if upper_threshold is None else upper_threshold
    lower = default_lower if lower_threshold is None else lower_threshold
    left_source = source_get(name=left_source_name)
    right_source = source_get(name=right_source_name)
    left = source_records_as_arrow(source=left_source)
    right = source_records_as_arrow(source=right_source)
    try:
        linkage: Any = importlib.import_module("govreach.linkage")
    except ImportError:
        if link_fn is None:
            raise
        linkage = None  # a caller-supplied linker (tests) does not need the library
    linkage_settings: Any = (
        linkage.LinkageSettings(upper_threshold=upper, lower_threshold=lower, engine=engine)
        if linkage is not None
        else SimpleNamespace(upper_threshold=upper, lower_threshold=lower, engine=engine)
    )
    link_fn = link_fn or linkage.link_records
    if truth_path is not None and evaluate_fn is None:
        evaluate_fn = linkage.evaluate_links
    outcome = link_fn(left, right, settings=linkage_settings)
    saved = record_links_save(
        left_source=left_source,
        right_source=right_source,
        links=outcome.links,
        upper_threshold=upper,
        lower_threshold=lower,
    )
    metrics: dict[str, float] = {}
    if truth_path is not None and evaluate_fn is not None:
        truth = _read_table(truth_path)
        # Name the two sides when the truth knows the sources' datasets; else evaluate_links infers them.
        datasets = set(truth.column("dataset").to_pylist()) if "dataset" in truth.column_names else set()
        sides = {}
        if {left_source.dataset, right_source.dataset} <= datasets:
            sides = {"left_dataset": left_source.dataset, "right_dataset": right_source.dataset}
        metrics = _metrics_dict(evaluate_fn(outcome.links, truth, **sides))
    return LinkReport(
        left_records=left.num_rows,
        right_records=right.num_rows,
        saved=saved,
        outcome_counts=dict(getattr(outcome, "counts", {}) or {}),
        metrics=metrics,
    )
