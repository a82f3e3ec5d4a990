"""forms/*.yaml and workflow.yaml: the shipped e-Mutation files load; a broken one names file, line, field, fix."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from tests.cases.conftest import BD_PACK_DIR

from govreach.packs.forms import Form
from govreach.packs.loader import Pack, PackProblem, check_pack
from govreach.packs.schema import json_schema
from govreach.packs.workflow import Workflow


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "bd-land-mutation"
    shutil.copytree(BD_PACK_DIR, target)
    return target


def replace_in(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once and return the 1-based line where it stood."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def only(problems: list[PackProblem], needle: str) -> PackProblem:
    found = [p for p in problems if needle in p.message]
    assert len(found) == 1, problems
    return found[0]


def test_the_shipped_form_and_workflow_load(bd_pack: Pack) -> None:
    form = bd_pack.forms["application"]
    assert isinstance(form, Form)
    assert [p.id for p in form.pages] == ["applicant", "land", "transfer", "documents", "fees"]
    assert {q.fact for q in form.documents() if q.fact} == {
        "documents.deed",
        "documents.khatian",
        "documents.land_tax_receipt",
        "documents.national_id",
        "documents.photo",
    }
    workflow = bd_pack.workflow
    assert isinstance(workflow, Workflow)
    assert workflow.deadline_days == 28 and workflow.escalate_to == "adc_revenue"
    assert workflow.roles["adc_revenue"].area_level == "district"
    assert workflow.states["registered"].deadline_days == 7
    assert workflow.transitions["reject"].guard == "rejection_permitted"
    assert {f.payable for f in workflow.fees.values()} == {"application", "approved"}


def test_every_message_the_workflow_sends_exists_in_every_language(bd_pack: Pack) -> None:
    assert isinstance(bd_pack.workflow, Workflow)
    sent = {t.notify for t in bd_pack.workflow.transitions.values() if t.notify}
    sent |= {"application_received", "payment_received", "case_overdue"}
    for language in ("bn", "en"):
        assert sent <= set(bd_pack.messages[language])


def test_the_heir_certificate_is_asked_only_for_an_inheritance(bd_pack: Pack) -> None:
    form = bd_pack.forms["application"]
    today = dt.date(2026, 1, 5)
    asked = {q.id for q in form.visible_questions({"transfer_kind": "inheritance"}, today)}
    assert "heir_certificate" in asked
    assert "heir_certificate" not in {q.id for q in form.visible_questions({"transfer_kind": "gift"}, today)}


def test_the_schema_publishes_both_formats() -> None:
    files = json_schema()["files"]
    assert "pages" in files["forms/*.yaml"]["properties"]
    assert "transitions" in files["workflow.yaml"]["properties"]


def test_a_question_filling_an_unknown_fact_suggests_the_right_one(pack: Path) -> None:
    line = replace_in(pack / "forms/application.yaml", "fact: documents.khatian", "fact: documents.khatain")
    problem = only(check_pack(pack), "no input fact 'documents.khatain'")
    assert problem.file == "bd-land-mutation/forms/application.yaml"
    assert problem.line == line
    assert problem.field == "pages[3].questions[1].fact"
    assert problem.fix == "did you mean 'documents.khatian'?"


def test_a_question_whose_type_does_not_fit_its_fact_is_refused(pack: Path) -> None:
    line = replace_in(
        pack / "forms/application.yaml",
        "type: integer\n        fact: application.persons_to_notify",
        "type: text\n        fact: application.persons_to_notify",
    )
    problem = only(check_pack(pack), "cannot fill 'application.persons_to_notify'")
    assert problem.line == line + 1
    assert problem.fix == "use a question of type integer"


def test_a_choice_outside_the_facts_values_is_refused(pack: Path) -> None:
    line = replace_in(pack / "forms/application.yaml", "- value: purchase", "- value: sale")
    problem = only(check_pack(pack), "'sale' is not a value of 'application.transfer_type'")
    assert problem.line == line and "purchase" in (problem.fix or "")


def test_a_broken_show_if_names_the_question_and_the_place(pack: Path) -> None:
    line = replace_in(
        pack / "forms/application.yaml",
        'show_if: transfer_kind == "inheritance"',
        'show_if: transfer_knd == "inheritance"',
    )
    problem = only(check_pack(pack), "unknown name 'transfer_knd'")
    assert problem.line == line and problem.field.endswith(".show_if")
    assert "transfer_kind" in (problem.fix or "")


def test_an_unknown_field_in_a_question_suggests_the_known_one(pack: Path) -> None:
    line = replace_in(pack / "forms/application.yaml", "max_mb: 2", "max_mbs: 2")
    problem = only(check_pack(pack), "unknown field 'max_mbs'")
    assert problem.line == line and problem.fix == "did you mean 'max_mb'?"


def test_a_transition_to_an_unknown_state_suggests_the_known_one(pack: Path) -> None:
    line = replace_in(pack / "workflow.yaml", "to: record_issued", "to: record_isued")
    problems = check_pack(pack)
    problem = only(problems, "no state 'record_isued'")
    assert problem.file == "bd-land-mutation/workflow.yaml"
    assert problem.line == line and problem.fix == "did you mean 'record_issued'?"
    assert only(problems, "cannot be reached").field == "states.record_issued"


def test_a_transition_by_an_unknown_role_is_refused(pack: Path) -> None:
    line = replace_in(
        pack / "workflow.yaml",
        "by: [union_land_assistant]\n    requires: [report]",
        "by: [union_land_asistant]\n    requires: [report]",
    )
    problem = only(check_pack(pack), "no role 'union_land_asistant'")
    assert problem.line == line and problem.fix == "did you mean 'union_land_assistant'?"


def test_a_rejection_without_the_hearing_guard_is_refused(pack: Path) -> None:
    line = replace_in(pack / "workflow.yaml", "guard: rejection_permitted", "guard: not admissible")
    problem = only(check_pack(pack), "not guarded by the hearing")
    assert problem.line == line and "case.hearing_held" in (problem.fix or "")


def test_a_guard_naming_an_unknown_decision_is_refused(pack: Path) -> None:
    line = replace_in(pack / "workflow.yaml", "guard: ready_for_record", "guard: ready_for_recrd")
    problem = only(check_pack(pack), "unknown name 'ready_for_recrd'")
    assert problem.line == line and problem.field == "transitions[7].guard"


def test_a_role_at_an_unknown_area_level_is_refused(pack: Path) -> None:
    line = replace_in(pack / "workflow.yaml", "area_level: district", "area_level: zila")
    problem = only(check_pack(pack), "unknown area level 'zila'")
    assert problem.line == line and "district" in (problem.fix or "")


def test_a_fee_from_an_unknown_parameter_is_refused(pack: Path) -> None:
    line = replace_in(pack / "workflow.yaml", "amount: court_fee_tk", "amount: court_fees_tk")
    problem = only(check_pack(pack), "no parameter, definition or output 'court_fees_tk'")
    assert problem.line == line and problem.fix == "did you mean 'court_fee_tk'?"


def test_a_state_with_no_way_out_is_refused(pack: Path) -> None:
    replace_in(
        pack / "workflow.yaml",
        '    public_title: {bn: নামঞ্জুর, en: Rejected, pt: "Recusado", pt-BR: "Recusado", ko: "기각됨"}\n'
        "    terminal: true",
        '    public_title: {bn: নামঞ্জুর, en: Rejected, pt: "Recusado", pt-BR: "Recusado", ko: "기각됨"}',
    )
    problem = only(check_pack(pack), "could never move on")
    assert problem.field == "states.rejected" and "terminal" in (problem.fix or "")
