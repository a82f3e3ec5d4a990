"""The Splink model: one comparison per person column, blocking rules, and the labels clerks read.

Levels are listed from most to least similar; Splink numbers them (gamma) from n-1 down to 0, with
-1 for the null level, and `FieldComparison.label_for_gamma` reverses that for the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import splink.comparison_level_library as cll
from splink import ColumnExpression, block_on
from splink.comparison_library import CustomComparison

from govreach.linkage.settings import LinkageSettings


@dataclass(frozen=True)
class FieldComparison:
    """A comparison of one column: its non-null levels (label, Splink level) in decreasing similarity."""

    column: str
    levels: tuple[tuple[str, Any], ...]
    has_tf: bool = False

    def label_for_gamma(self, gamma: int) -> str:
        """The clerk-readable label of a comparison vector value (-1 means a side is missing)."""
        if gamma < 0:
            return "missing on one side"
        return self.levels[len(self.levels) - 1 - gamma][0]

    def to_splink(self) -> Any:
        """The Splink comparison (null level first, then the levels, each labelled for charts)."""
        levels: list[Any] = [cll.NullLevel(self.column)]
        levels += [level.configure(label_for_charts=label) for label, level in self.levels]
        return CustomComparison(levels, output_column_name=self.column)


def _name(column: str, settings: LinkageSettings) -> FieldComparison:
    levels: list[tuple[str, Any]] = [
        ("exact", cll.ExactMatchLevel(column, term_frequency_adjustments=settings.term_frequency_adjustments))
    ]
    for threshold in sorted(settings.name_jaro_winkler_thresholds, reverse=True):
        levels.append((f"jaro-winkler >= {threshold:g}", cll.JaroWinklerLevel(column, threshold)))
    levels.append(("different", cll.ElseLevel()))
    return FieldComparison(column, tuple(levels), has_tf=settings.term_frequency_adjustments)


def _birth_date(column: str) -> FieldComparison:
    swapped = (
        f'year("{column}_l") = year("{column}_r") AND month("{column}_l") = day("{column}_r") '
        f'AND day("{column}_l") = month("{column}_r")'
    )
    return FieldComparison(
        column,
        (
            ("exact", cll.ExactMatchLevel(column)),
            ("day and month swapped", cll.CustomLevel(swapped, base_dialect_str="duckdb")),
            ("one character differs", cll.LevenshteinLevel(ColumnExpression(column).cast_to_string(), 1)),
            ("different", cll.ElseLevel()),
        ),
    )


def _exact_or_close(column: str, close_label: str, close_level: Any) -> FieldComparison:
    return FieldComparison(
        column,
        (("exact", cll.ExactMatchLevel(column)), (close_label, close_level), ("different", cll.ElseLevel())),
    )


def field_comparisons(settings: LinkageSettings, id_columns: Sequence[str]) -> list[FieldComparison]:
    """The comparisons of the model: the configured person columns, plus the shared ids (typo level)."""
    out: list[FieldComparison] = []
    for column in settings.comparisons:
        if column in ("given_name", "family_name"):
            out.append(_name(column, settings))
        elif column == "birth_date":
            out.append(_birth_date(column))
        elif column == "sex":
            out.append(
                FieldComparison(
                    column, (("exact", cll.ExactMatchLevel(column)), ("different", cll.ElseLevel()))
                )
            )
        elif column == "address":
            out.append(_exact_or_close(column, "jaro-winkler >= 0.9", cll.JaroWinklerLevel(column, 0.9)))
        elif column == "postcode":
            area = ColumnExpression(column).substr(1, 4)
            out.append(_exact_or_close(column, "same first 4 characters", cll.ExactMatchLevel(area)))
        elif column == "phone":
            out.append(_exact_or_close(column, "one digit differs", cll.LevenshteinLevel(column, 1)))
    for column in id_columns:
        out.append(_exact_or_close(column, "one character differs", cll.LevenshteinLevel(column, 1)))
    return out


def splink_settings(
    settings: LinkageSettings, comparisons: Sequence[FieldComparison], *, prior: float
) -> dict[str, Any]:
    """The Splink settings dict for linking two tables keyed by `record_id`."""
    return {
        "link_type": "link_only",
        "unique_id_column_name": "record_id",
        "comparisons": [c.to_splink() for c in comparisons],
        "blocking_rules_to_generate_predictions": [block_on(*rule) for rule in settings.blocking_rules],
        "probability_two_random_records_match": prior,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
    }


def training_rules(rules: Sequence[tuple[str, ...]]) -> list[Any]:
    """Blocking rules for the EM passes; each pass estimates m for the columns it does not block on."""
    return [block_on(*rule) for rule in rules]
