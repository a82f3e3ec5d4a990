from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pyarrow as pa
import pytest

from govreach.linkage import (
    LINKS_SCHEMA,
    LinkageEngineUnavailableError,
    LinkageOutcome,
    LinkageSettings,
    evaluate_links,
    link_records,
)
from govreach.linkage.synthetic import RegistryPair

from .conftest import TEST_SETTINGS, make_pair, settings_for_tests


def _by_pair(outcome: LinkageOutcome) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["left_id"], row["right_id"]): row for row in outcome.links.to_pylist()}


def test_two_thousand_persons_with_typos_and_missing_ids_link_with_f1_above_095(
    pair_2000: RegistryPair, outcome_2000: LinkageOutcome
) -> None:
    metrics = evaluate_links(outcome_2000.links, pair_2000.truth)

    assert metrics.f1 >= 0.95, metrics
    assert metrics.precision >= 0.95, metrics
    assert metrics.tp + metrics.fn == 2000


def test_links_table_has_the_documented_schema_and_counts(outcome_2000: LinkageOutcome) -> None:
    assert outcome_2000.links.schema == LINKS_SCHEMA
    statuses = Counter(outcome_2000.links.column("status").to_pylist())
    assert outcome_2000.counts == {s: statuses[s] for s in ("accepted", "review", "rejected")}
    assert sum(outcome_2000.counts.values()) == outcome_2000.links.num_rows
    assert {"prepare", "deterministic", "train", "predict", "resolve", "total"} <= set(outcome_2000.timings)


def test_records_sharing_a_national_id_are_linked_deterministically(
    pair_2000: RegistryPair, outcome_2000: LinkageOutcome
) -> None:
    left_ids = dict(
        zip(*pair_2000.left.select(["record_id", "national_id"]).to_pydict().values(), strict=True)
    )
    right_ids = dict(
        zip(*pair_2000.right.select(["record_id", "national_id"]).to_pydict().values(), strict=True)
    )
    shared = {v for v in left_ids.values() if v} & {v for v in right_ids.values() if v}

    deterministic = [r for r in outcome_2000.links.to_pylist() if r["method"] == "deterministic"]

    assert len(deterministic) == len(shared)
    for row in deterministic:
        assert left_ids[row["left_id"]] == right_ids[row["right_id"]] is not None
        assert row["match_probability"] == 1.0
        assert row["match_weight"] is None
        assert row["status"] == "accepted"
    probabilistic_lefts = {
        r["left_id"] for r in outcome_2000.links.to_pylist() if r["method"] == "probabilistic"
    }
    assert not probabilistic_lefts & {r["left_id"] for r in deterministic}


def test_a_shared_id_links_even_when_names_disagree_and_evidence_shows_them() -> None:
    left = pa.table(
        {"record_id": ["a1", "a2"], "national_id": ["123 456 789", "555"], "given_name": ["Ana", "Rui"]}
    )
    right = pa.table(
        {"record_id": ["b1", "b2"], "national_id": ["123456789", None], "given_name": ["Joana", "Rui"]}
    )

    outcome = link_records(left, right, settings=TEST_SETTINGS)

    (row,) = outcome.links.to_pylist()
    assert (row["left_id"], row["right_id"], row["method"]) == ("a1", "b1", "deterministic")
    evidence = json.loads(row["evidence"])
    assert evidence["rule"] == "equal national_id"
    assert evidence["fields"]["national_id"] == {"left": "123456789", "right": "123456789"}
    assert evidence["fields"]["given_name"] == {"left": "ana", "right": "joana"}


def test_each_left_record_gets_at_most_one_accepted_link(outcome_2000: LinkageOutcome) -> None:
    accepted = [r for r in outcome_2000.links.to_pylist() if r["status"] == "accepted"]

    assert max(Counter(r["left_id"] for r in accepted).values()) == 1


def test_one_to_one_also_gives_each_right_record_at_most_one_accepted_link() -> None:
    pair = make_pair(150, seed=13, missing_national_id=1.0)
    left = pair.left
    left = pa.concat_tables([left, left.slice(0, 1).set_column(0, "record_id", pa.array(["L-dup"]))])

    loose = link_records(left, pair.right, settings=TEST_SETTINGS)
    strict = link_records(left, pair.right, settings=settings_for_tests(one_to_one=True))

    def max_links_per_right(outcome: LinkageOutcome) -> int:
        accepted = [r["right_id"] for r in outcome.links.to_pylist() if r["status"] == "accepted"]
        return max(Counter(accepted).values())

    assert max_links_per_right(loose) == 2  # both copies of the left person link to their right record
    assert max_links_per_right(strict) == 1


def test_a_right_duplicate_is_sent_to_review_not_linked_twice() -> None:
    pair = make_pair(300, seed=11, missing_national_id=1.0)
    right = pair.right
    duplicate = right.slice(0, 1).set_column(0, "record_id", pa.array(["R-dup"]))
    right = pa.concat_tables([right, duplicate])
    twin = right.column("record_id")[0].as_py()

    outcome = link_records(pair.left, right, settings=TEST_SETTINGS)

    rows = [r for r in outcome.links.to_pylist() if r["right_id"] in (twin, "R-dup")]
    statuses = sorted(r["status"] for r in rows)
    assert statuses == ["accepted", "review"]
    (demoted,) = [r for r in rows if r["status"] == "review"]
    assert "outranked_by" in json.loads(demoted["evidence"])


def test_pairs_are_routed_by_the_thresholds() -> None:
    # Very noisy copies, no ids, and blocking on sex alone: plenty of clear, doubtful and wrong pairs.
    pair = make_pair(
        300,
        seed=3,
        name_typo=0.6,
        missing_national_id=1.0,
        swapped_day_month=0.3,
        stale_address=0.9,
        missing_phone=0.7,
    )
    settings = settings_for_tests(
        upper_threshold=0.9, lower_threshold=0.3, blocking_rules=(("sex",),), min_candidate_probability=0.0
    )

    outcome = link_records(pair.left, pair.right, settings=settings)

    assert all(outcome.counts[s] > 0 for s in ("accepted", "review", "rejected")), outcome.counts
    for row in outcome.links.to_pylist():
        p = row["match_probability"]
        outranked = "outranked_by" in json.loads(row["evidence"])
        if p >= 0.9:
            assert row["status"] == ("review" if outranked else "accepted")
        elif p >= 0.3:
            assert row["status"] == "review"
        else:
            assert row["status"] == "rejected"


def test_probabilistic_evidence_names_each_level_and_the_values_compared(
    pair_2000: RegistryPair, outcome_2000: LinkageOutcome
) -> None:
    left = {r["record_id"]: r for r in pair_2000.left.to_pylist()}
    right = {r["record_id"]: r for r in pair_2000.right.to_pylist()}
    probabilistic = [r for r in outcome_2000.results() if r.method == "probabilistic"]
    assert probabilistic

    for link in probabilistic:
        fields = link.evidence["fields"]
        assert {"given_name", "family_name", "birth_date", "address", "postcode", "phone"} <= set(fields)
        for detail in fields.values():
            assert {"level", "gamma", "match_weight", "left", "right"} <= set(detail)
        born_l, born_r = left[link.left_id]["birth_date"], right[link.right_id]["birth_date"]
        assert fields["birth_date"]["left"] == born_l.isoformat()
        assert fields["birth_date"]["right"] == born_r.isoformat()
        if born_l != born_r and (born_l.day, born_l.month) == (born_r.month, born_r.day):
            assert fields["birth_date"]["level"] == "day and month swapped"
        if born_l == born_r:
            assert fields["birth_date"]["level"] == "exact"
        total = link.evidence["prior_match_weight"] + sum(d["match_weight"] for d in fields.values())
        assert total == pytest.approx(link.match_weight, abs=0.05)

    assert any(
        r.evidence["fields"]["given_name"]["level"].startswith("jaro-winkler")
        or r.evidence["fields"]["family_name"]["level"].startswith("jaro-winkler")
        for r in probabilistic
    )


def test_the_same_input_and_seed_give_the_same_links() -> None:
    pair = make_pair(150, seed=5, missing_national_id=0.5)

    first = link_records(pair.left, pair.right, settings=TEST_SETTINGS)
    second = link_records(pair.left, pair.right, settings=TEST_SETTINGS)

    assert first.links.equals(second.links)


def test_spark_engine_without_pyspark_says_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real_find_spec(name, *a)
    )
    table = pa.table({"record_id": ["a"]})

    with pytest.raises(LinkageEngineUnavailableError, match="pyspark"):
        link_records(table, table, settings=LinkageSettings(engine="spark"))


@pytest.mark.parametrize(
    ("left", "message"),
    [
        (pa.table({"given_name": ["Ana"]}), "no record_id"),
        (pa.table({"record_id": ["a", "a"]}), "1 duplicate"),
    ],
)
def test_registries_without_unique_record_ids_are_refused(left: pa.Table, message: str) -> None:
    right = pa.table({"record_id": ["b"], "birth_date": [dt.date(1980, 1, 1)]})

    with pytest.raises(ValueError, match=message):
        link_records(left, right)


@pytest.mark.slow
def test_spark_engine_links_the_same_registries_as_duckdb() -> None:
    """Splink on Spark local mode (its string-similarity jar, a checkpoint folder) finds the same people."""
    from govreach.linkage import evaluate_links
    from govreach.linkage.synthetic import make_registry_pair

    pair = make_registry_pair(150, seed=5)
    # u in one pass: 150 persons never fill every comparison level, so ten chunks would all run.
    settings = LinkageSettings(engine="spark", max_pairs_u=1e5, u_chunks=1)
    outcome = link_records(pair.left, pair.right, settings=settings)
    metrics = evaluate_links(outcome.links, pair.truth)
    assert metrics.f1 >= 0.95
    duck = link_records(pair.left, pair.right, settings=replace(settings, engine="duckdb"))
    accepted = {(r["left_id"], r["right_id"]) for r in outcome.links.to_pylist() if r["status"] == "accepted"}
    accepted_duck = {
        (r["left_id"], r["right_id"]) for r in duck.links.to_pylist() if r["status"] == "accepted"
    }
    assert len(accepted ^ accepted_duck) <= 2  # EM on two engines may differ at the margin, not more
