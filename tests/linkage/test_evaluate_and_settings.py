from __future__ import annotations

import pyarrow as pa
import pytest

from govreach.linkage import LinkageSettings, evaluate_links


def _links(pairs: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table(
        {
            "left_id": [p[0] for p in pairs],
            "right_id": [p[1] for p in pairs],
            "status": [p[2] for p in pairs],
        }
    )


def test_only_accepted_links_count_and_true_pairs_share_a_person_id() -> None:
    truth = pa.table(
        {
            "dataset": ["a", "a", "a", "b", "b", "b"],
            "record_id": ["1", "2", "3", "1", "2", "9"],
            "person_id": ["p1", "p2", "p3", "p1", "p3", "p2"],
        }
    )
    links = _links([("1", "1", "accepted"), ("2", "2", "accepted"), ("3", "2", "review")])

    metrics = evaluate_links(links, truth, left_dataset="a", right_dataset="b")

    assert (metrics.tp, metrics.fp, metrics.fn) == (1, 1, 2)
    assert metrics.precision == pytest.approx(0.5)
    assert metrics.recall == pytest.approx(1 / 3)
    assert metrics.f1 == pytest.approx(0.4)


def test_sides_are_found_from_the_truth_when_not_named() -> None:
    truth = pa.table({"dataset": ["x", "y"], "record_id": ["L1", "R1"], "person_id": [1, 1]})

    metrics = evaluate_links(_links([("L1", "R1", "accepted")]), truth)

    assert metrics.f1 == 1.0


def test_thresholds_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        LinkageSettings(upper_threshold=0.4, lower_threshold=0.6)


def test_settings_come_from_configuration_with_lists_as_tuples() -> None:
    settings = LinkageSettings.from_mapping(
        {"upper_threshold": 0.9, "blocking_rules": [["birth_date"], ["phone"]], "deterministic_on": ["nif"]}
    )

    assert settings.upper_threshold == 0.9
    assert settings.blocking_rules == (("birth_date",), ("phone",))
    assert settings.deterministic_on == ("nif",)
    with pytest.raises(ValueError, match="unknown linkage settings"):
        LinkageSettings.from_mapping({"upper": 0.9})
