"""Storing linkage output as RecordLinks, and the clerical review queue built on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from govreach.registry.linking import linkage_thresholds, sources_link
from govreach.registry.mapping import MappingSpec, mapping_parse
from govreach.registry.models import RecordLink, RegistrySource, SourceRecord
from govreach.registry.selectors import record_link_list_for_review, source_records_as_arrow
from govreach.registry.services import (
    ImportOptions,
    LinkPersistError,
    record_link_accept,
    record_link_reject,
    record_links_save,
    registry_source_import,
)

from .conftest import mapping_data, person_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sources(
    write_csv: Callable[..., Path], mapping: MappingSpec, areas: int
) -> tuple[RegistrySource, RegistrySource]:
    registry_source_import(
        source_name="civil", file_path=write_csv([person_row(i) for i in range(1, 5)]), mapping=mapping
    )
    energy = mapping_data(creates_persons=False, source={"agency": "Energy supplier", "dataset": "contracts"})
    del energy["fields"]["household_key"], energy["fields"]["household_role"]
    rows = [person_row(i, id=f"E{i}", nif="") for i in range(1, 5)]
    registry_source_import(
        source_name="energy",
        file_path=write_csv(rows, name="energy.csv"),
        mapping=mapping_parse(energy),
        options=ImportOptions(batch_size=2),
    )
    return RegistrySource.objects.get(name="civil"), RegistrySource.objects.get(name="energy")


def links_table(rows: list[tuple[str, str, float, str | None]]) -> pa.Table:
    return pa.table(
        {
            "left_id": [r[0] for r in rows],
            "right_id": [r[1] for r in rows],
            "match_probability": [r[2] for r in rows],
            "match_weight": [None for _ in rows],
            "method": ["probabilistic" for _ in rows],
            "status": [r[3] for r in rows],
            "evidence": [json.dumps({"given_name": "exact"}) for _ in rows],
        }
    )


def save(left: RegistrySource, right: RegistrySource, table: pa.Table) -> Any:
    return record_links_save(
        left_source=left, right_source=right, links=table, upper_threshold=0.95, lower_threshold=0.5
    )


def test_links_are_stored_by_status_with_probability_and_evidence(
    two_sources: tuple[RegistrySource, RegistrySource],
) -> None:
    civil, energy = two_sources
    counts = save(
        civil,
        energy,
        links_table(
            [
                ("R00001", "E1", 0.99, None),
                ("R00002", "E2", 0.7, None),
                ("R00003", "E3", 0.1, None),
                ("R00004", "E4", 0.6, "accepted"),
            ]
        ),
    )
    assert (counts.accepted, counts.review, counts.rejected) == (2, 1, 1)
    link = RecordLink.objects.get(left_record__source_key="R00001")
    assert link.status == "accepted"
    assert link.match_probability == 0.99
    assert link.evidence == {"given_name": "exact"}
    # An accepted link gives the energy record the civil record's person.
    assert (
        SourceRecord.objects.get(source_key="E1").person_id
        == SourceRecord.objects.get(source_key="R00001").person_id
    )
    assert SourceRecord.objects.get(source_key="E2").person_id is None


def test_unknown_record_ids_are_refused_and_nothing_is_stored(
    two_sources: tuple[RegistrySource, RegistrySource],
) -> None:
    civil, energy = two_sources
    with pytest.raises(LinkPersistError, match="E99"):
        save(civil, energy, links_table([("R00001", "E99", 0.99, None)]))
    assert RecordLink.objects.count() == 0


def test_review_queue_accept_and_reject(two_sources: tuple[RegistrySource, RegistrySource]) -> None:
    civil, energy = two_sources
    save(civil, energy, links_table([("R00001", "E1", 0.6, None), ("R00002", "E2", 0.8, None)]))
    clerk = User.objects.create_user("clerk", is_staff=True)
    queue = record_link_list_for_review()
    assert [link.match_probability for link in queue] == [0.8, 0.6]

    accepted = record_link_accept(link_id=queue[0].pk, acting_user=clerk, note="same phone")
    rejected = record_link_reject(link_id=queue[1].pk, acting_user=clerk)

    assert (accepted.status, accepted.decided_by_id, accepted.evidence["clerk_note"]) == (
        "accepted",
        clerk.pk,
        "same phone",
    )
    assert accepted.decided_at is not None
    assert rejected.status == "rejected"
    assert record_link_list_for_review() == []
    assert SourceRecord.objects.get(source_key="E2").person_id is not None
    with pytest.raises(LinkPersistError, match="not waiting for review"):
        record_link_accept(link_id=rejected.pk, acting_user=clerk)


def test_relinking_keeps_a_clerks_decision(two_sources: tuple[RegistrySource, RegistrySource]) -> None:
    civil, energy = two_sources
    save(civil, energy, links_table([("R00001", "E1", 0.6, None)]))
    clerk = User.objects.create_user("clerk", is_staff=True)
    record_link_reject(link_id=RecordLink.objects.get().pk, acting_user=clerk)
    counts = save(civil, energy, links_table([("R00001", "E1", 0.97, None)]))
    assert counts.kept_clerical == 1
    link = RecordLink.objects.get()
    assert (link.status, link.match_probability) == ("rejected", 0.6)


def test_records_export_with_the_standard_person_columns(
    two_sources: tuple[RegistrySource, RegistrySource],
) -> None:
    table = source_records_as_arrow(source=two_sources[1])
    assert table.column_names[:3] == ["record_id", "national_id", "given_name"]
    row = table.to_pylist()[0]
    assert row["record_id"] == "E1"
    assert row["national_id"] is None
    assert str(row["birth_date"]) == "1950-03-02"


def test_thresholds_come_from_settings(settings: SettingsWrapper) -> None:
    assert linkage_thresholds() == (0.95, 0.5)
    settings.GOVREACH_LINKAGE = {"upper_threshold": 0.9, "lower_threshold": 0.4}
    assert linkage_thresholds() == (0.9, 0.4)


def test_sources_link_stores_the_outcome_and_evaluates(
    two_sources: tuple[RegistrySource, RegistrySource], tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def fake_link(left: pa.Table, right: pa.Table, *, settings: Any) -> Any:
        seen.update(left=left.num_rows, right=right.num_rows, upper=settings.upper_threshold)
        table = links_table([("R00001", "E1", 1.0, "accepted"), ("R00002", "E2", 0.7, "review")])
        return SimpleNamespace(links=table, counts={"accepted": 1, "review": 1, "rejected": 0})

    def fake_evaluate(links: pa.Table, truth: pa.Table, **sides: str) -> Any:
        seen["truth_rows"] = truth.num_rows
        seen["sides"] = sides
        return SimpleNamespace(precision=1.0, recall=0.5, f1=2 / 3)

    truth = tmp_path / "truth.parquet"
    pq.write_table(pa.table({"dataset": ["a"], "record_id": ["R00001"], "person_id": ["p1"]}), truth)
    report = sources_link(
        left_source_name="civil",
        right_source_name="energy",
        upper_threshold=0.9,
        truth_path=truth,
        link_fn=fake_link,
        evaluate_fn=fake_evaluate,
    )
    assert seen == {"left": 4, "right": 4, "upper": 0.9, "truth_rows": 1, "sides": {}}
    assert (report.saved.accepted, report.saved.review) == (1, 1)
    assert report.metrics == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3)}
    assert RecordLink.objects.filter(status="review").count() == 1


@pytest.mark.slow
def test_link_command_through_the_real_linkage_reaches_high_f1(tmp_path: Path) -> None:
    synthetic = pytest.importorskip("govreach.linkage.synthetic")
    pair = synthetic.make_registry_pair(300, seed=3)
    for side, table in (("left", pair.left), ("right", pair.right)):
        path = tmp_path / f"{side}.parquet"
        pq.write_table(table, path)
        fields: dict[str, Any] = {"given_name": {"column": "given_name"}}
        for column in ("national_id", "family_name", "sex", "address", "postcode", "area_code", "phone"):
            if column in table.column_names:
                fields[column] = {"column": column}
        fields["birth_date"] = {"column": "birth_date", "type": "date"}
        spec = {"source": {"agency": side, "dataset": side}, "key_column": "record_id", "fields": fields}
        registry_source_import(source_name=side, file_path=path, mapping=mapping_parse(spec))
    truth = tmp_path / "truth.parquet"
    pq.write_table(pair.truth, truth)
    out = StringIO()

    call_command("registry", "link", "left", "right", "--truth", str(truth), stdout=out)

    text = out.getvalue()
    assert "accepted" in text
    assert "f1" in text
    f1 = float(text.split("f1")[1].split()[1])
    assert f1 >= 0.9
    assert RecordLink.objects.filter(status="accepted").count() >= 250
