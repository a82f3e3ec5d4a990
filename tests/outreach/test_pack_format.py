"""outreach.yaml: every problem names the file, the line, the field and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.outreach.conftest import KR_PACK_DIR, TEST_PACK_DIR

from govreach.packs.loader import check_pack, load_pack
from govreach.packs.outreach import Outreach
from govreach.packs.schema import json_schema


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    pack = tmp_path / TEST_PACK_DIR.name
    shutil.copytree(TEST_PACK_DIR, pack)
    path = pack / "outreach.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return pack


def test_the_hyo_pack_declares_five_assessment_areas_and_its_capacity() -> None:
    outreach = load_pack(KR_PACK_DIR).outreach
    assert isinstance(outreach, Outreach)
    assert [s.id for s in outreach.sections] == [
        "measurements", "chronic_disease", "depression", "dementia", "medical_bills",
    ]  # fmt: skip
    depression = outreach.questions["depression_score"]
    assert (depression.min, depression.max, depression.fact) == (0, 30, "health.depression_score")
    assert outreach.registered_per_nurse == "registered_people_per_nurse"
    assert outreach.tiers["intensive"].is_intensive
    assert "outreach.yaml" in json_schema()["files"]


def test_an_unknown_decision_is_reported_with_its_line_and_the_nearest_name(tmp_path: Path) -> None:
    problems = check_pack(_broken(tmp_path, "decision: to_visit,", "decision: to_vist,"))
    problem = next(p for p in problems if p.field == "targeting.decision")
    assert problem.file.endswith("outreach.yaml") and problem.line == 5
    assert problem.fix == "did you mean 'to_visit'?"


def test_an_unknown_field_suggests_the_known_one(tmp_path: Path) -> None:
    problems = check_pack(_broken(tmp_path, "visits_per_day: 2", "visit_per_day: 2"))
    messages = {(p.field, p.message, p.fix) for p in problems}
    assert (
        "capacity.visit_per_day",
        "unknown field 'visit_per_day'",
        "did you mean 'visits_per_day'?",
    ) in messages


def test_a_registry_fact_that_is_a_statement_is_refused(tmp_path: Path) -> None:
    problems = check_pack(_broken(tmp_path, "person.alone: household_size = 1", "person.alone: SELECT 1"))
    problem = next(p for p in problems if p.field == "registries.facts.person.alone")
    assert "not a statement" in problem.message and problem.line is not None


def test_a_capacity_parameter_that_does_not_exist_is_named(tmp_path: Path) -> None:
    problems = check_pack(_broken(tmp_path, "households_per_worker,", "workers_per_household,"))
    problem = next(p for p in problems if p.field == "capacity.registered_per_nurse")
    assert problem.message == "no parameter 'workers_per_household' in parameters.yaml"
    assert problem.fix is not None and "households_per_worker" in problem.fix


def test_an_indicator_must_read_a_question_of_the_right_type(tmp_path: Path) -> None:
    problems = check_pack(
        _broken(tmp_path, "    better: higher", "    better: higher\n    measure: share_true")
    )
    problem = next(p for p in problems if p.field == "indicators.wellbeing.measure")
    assert "share_true needs a yes/no question" in problem.message
