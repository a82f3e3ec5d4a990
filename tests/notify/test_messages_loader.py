"""A broken messages file gets problems that name the file, the line, the field and the fix."""

from __future__ import annotations

from pathlib import Path

from tests.notify.conftest import BD_PACK_DIR, copy_bd_pack

from govreach.notify.rendering import PLATFORM_LANGUAGES, PLATFORM_MESSAGES_DIR, platform_messages
from govreach.packs.loader import PackProblem, _PackBuilder, check_pack
from govreach.packs.messages import load_messages
from govreach.packs.schema import json_schema


def replace_in(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once and return the 1-based line where it stood."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def message_problems(pack: Path) -> list[PackProblem]:
    return [p for p in check_pack(pack) if "/messages/" in p.file]


def test_the_shipped_e_mutation_messages_are_sound_in_every_pack_language() -> None:
    builder = _PackBuilder(BD_PACK_DIR)
    messages = load_messages(builder, BD_PACK_DIR, ("en", "pt", "pt-BR", "bn", "ko"))
    assert builder.problems == []
    expected = {
        "application_received", "documents_incomplete", "report_filed", "hearing_scheduled",
        "decision_approved", "decision_rejected", "record_ready", "case_overdue", "payment_received",
        "consent_code", "login_code",
    }  # fmt: skip
    assert expected <= set(messages["bn"])
    assert all(set(messages[lang]) == set(messages["en"]) for lang in ("pt", "pt-BR", "bn", "ko"))
    assert "{reference}" in messages["bn"]["application_received"].sms
    assert "১,০০০" in messages["bn"]["decision_approved"].email_body


def test_the_platform_messages_are_sound_in_every_platform_language() -> None:
    builder = _PackBuilder(PLATFORM_MESSAGES_DIR)
    load_messages(builder, PLATFORM_MESSAGES_DIR, PLATFORM_LANGUAGES)
    assert builder.problems == []
    assert set(platform_messages()) == {"en", "bn", "pt", "pt-BR", "ko"}
    assert {"login_code", "consent_code"} <= set(platform_messages()["ko"])


def test_a_pack_without_messages_has_none(tmp_path: Path) -> None:
    builder = _PackBuilder(tmp_path)
    assert load_messages(builder, tmp_path, ("en",)) == {}
    assert builder.problems == []


def test_a_language_of_the_pack_without_a_messages_file_is_a_problem(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    (pack / "messages" / "bn.yaml").unlink()
    [problem] = message_problems(pack)
    assert problem.file == "bd-land-mutation/messages/bn.yaml"
    assert "no messages in bn" in problem.message
    assert problem.fix is not None and "create messages/bn.yaml" in problem.fix


def test_a_message_missing_in_one_language_names_the_id_and_the_language(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    text = (pack / "messages" / "bn.yaml").read_text(encoding="utf-8")
    start = text.index("\nreport_filed:")
    end = text.index("\nhearing_scheduled:")
    (pack / "messages" / "bn.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    [problem] = message_problems(pack)
    assert problem.file == "bd-land-mutation/messages/bn.yaml"
    assert problem.message == "no message 'report_filed' in bn (en, pt, pt-BR, ko has it)"
    assert problem.fix is not None and problem.fix.startswith("add report_filed:")


def test_an_unknown_field_is_reported_with_its_line_and_the_nearest_known_one(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    text = (pack / "messages" / "en.yaml").read_text(encoding="utf-8")
    anchor = "report_filed:\n  sms:"
    line = text[: text.index(anchor)].count("\n") + 2
    (pack / "messages" / "en.yaml").write_text(
        text.replace(anchor, "report_filed:\n  smss:", 1), encoding="utf-8"
    )
    problems = message_problems(pack)
    unknown = next(p for p in problems if "unknown field" in p.message)
    assert unknown.file == "bd-land-mutation/messages/en.yaml"
    assert unknown.line == line
    assert unknown.field == "report_filed.smss"
    assert unknown.fix == "did you mean 'sms'?"
    assert str(unknown).startswith(f"bd-land-mutation/messages/en.yaml:{line}: report_filed.smss:")
    assert any(p.message == "the field 'sms' is required" for p in problems)


def test_a_placeholder_in_another_style_is_reported(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    line = replace_in(
        pack / "messages" / "en.yaml",
        'email_subject: "e-Mutation case {reference}: approved"',
        'email_subject: "e-Mutation case {{reference}}: approved"',
    )
    [problem] = message_problems(pack)
    assert problem.line == line
    assert problem.field == "decision_approved.email_subject"
    assert problem.message == "unknown placeholder style '{{'"
    assert problem.fix is not None and "{reference}" in problem.fix


def test_printf_and_shell_placeholders_are_reported(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    replace_in(pack / "messages" / "en.yaml", "Receipt number {receipt}.", "Receipt number %(receipt)s.")
    replace_in(pack / "messages" / "en.yaml", "Your login code is {code}.", "Your login code is ${code}.")
    messages = sorted(p.message for p in message_problems(pack) if "placeholder style" in p.message)
    assert messages == ["unknown placeholder style '${code}'", "unknown placeholder style '%(receipt)s'"]


def test_a_placeholder_used_in_one_language_only_is_reported(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    replace_in(pack / "messages" / "en.yaml", "Receipt number {receipt}.", "Receipt number {reciept}.")
    problems = message_problems(pack)
    # en still fills in {receipt} in its email; the other languages never fill in the misspelt name.
    assert {p.file for p in problems} == {
        f"bd-land-mutation/messages/{lang}.yaml" for lang in ("pt", "pt-BR", "bn", "ko")
    }
    bengali = next(p for p in problems if p.file.endswith("/bn.yaml"))
    assert bengali.field == "payment_received"
    assert bengali.message == "the bn text never fills in {reciept}, which en does"


def test_an_sms_longer_than_two_segments_is_reported(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    line = replace_in(
        pack / "messages" / "en.yaml", "Receipt number {receipt}.", "Receipt number {receipt}. " + "x" * 300
    )
    [problem] = message_problems(pack)
    assert problem.field == "payment_received.sms"
    assert problem.line == line - 1  # the sms: key, the line before the folded text
    assert "more than 306" in problem.message


def test_a_messages_file_for_a_language_the_pack_does_not_declare_is_reported(tmp_path: Path) -> None:
    pack = copy_bd_pack(tmp_path)
    (pack / "messages" / "fr.yaml").write_text("{}\n", encoding="utf-8")
    [problem] = message_problems(pack)
    assert problem.file == "bd-land-mutation/messages/fr.yaml"
    assert "languages: en, pt, pt-BR, bn, ko" in problem.message


def test_the_published_schema_describes_the_messages_file() -> None:
    schema = json_schema()["files"]["messages/<lang>.yaml"]
    template = schema["$defs"]["MessageTemplate"]
    assert template["additionalProperties"] is False
    assert set(template["required"]) == {"sms", "email_subject", "email_body"}
