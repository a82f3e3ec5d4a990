"""The hash chain: appends link, the ORM cannot rewrite, and `govreach audit verify` names the first record
that was altered, removed or inserted when the database is tampered with directly."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from govreach.audit import chain
from govreach.audit.log import (
    AuditDetailError,
    audit_record,
    canonical_bytes,
    canonical_fields,
    hash_fields,
    person_data_usage,
)
from govreach.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry, AuditEntryImmutable
from govreach.registry.models import Person

pytestmark = pytest.mark.django_db


def _fill(count: int = 5) -> list[AuditEntry]:
    user = User.objects.create_user(username="officer-a")
    return [
        audit_record(action="case.view", actor=user, detail={"case_id": n, "state": "review"})
        for n in range(1, count + 1)
    ]


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def _verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        _verify(*args)
    assert caught.value.returncode == 1
    return str(caught.value)


def _sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _row(seq: int) -> AuditEntry:
    return AuditEntry.objects.get(seq=seq)


def test_each_record_links_to_the_one_before() -> None:
    entries = _fill(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (3, entries[2].hash)
    stored = _row(2)
    assert stored.actor_username == "officer-a"
    assert stored.detail == {"case_id": 2, "state": "review"}


def test_verify_exits_0_with_the_count_and_the_head_hash() -> None:
    entries = _fill(4)
    output = _verify()
    assert "4 record(s) verified" in output
    assert entries[-1].hash in output


def test_the_hash_is_keyed_and_covers_every_field() -> None:
    entry = _fill(1)[0]
    fields = canonical_fields(_row(1))
    assert hash_fields(fields) == entry.hash
    # Without the key (plain SHA-256, or another key) the same content hashes differently.
    assert hashlib.sha256(canonical_bytes(fields)).hexdigest() != entry.hash
    assert hash_fields(fields, key=b"another key") != entry.hash
    for name in fields:
        if name != "v":
            changed = {**fields, name: "x"}
            assert hash_fields(changed) != entry.hash, name


def test_an_updated_field_names_the_altered_record() -> None:
    _fill(5)
    _sql("UPDATE audit_auditentry SET action = 'case.act' WHERE seq = 3")
    message = _verify_fails()
    assert "record 3 " in message
    assert "(altered)" in message


def test_an_updated_detail_names_the_altered_record() -> None:
    _fill(5)
    _sql("UPDATE audit_auditentry SET detail = %s WHERE seq = 2", [json.dumps({"case_id": 99, "state": "x"})])
    assert "broken at record 2 (altered)" in _verify_fails()


def test_a_deleted_record_is_named_as_removed() -> None:
    _fill(5)
    _sql("DELETE FROM audit_auditentry WHERE seq = 3")
    message = _verify_fails()
    assert "broken at record 3 (removed)" in message


def test_deleting_the_newest_records_shows_against_the_head() -> None:
    _fill(5)
    _sql("DELETE FROM audit_auditentry WHERE seq >= 4")
    assert "broken at record 4 (removed)" in _verify_fails()


def test_a_rewound_head_is_caught_by_a_published_anchor() -> None:
    entries = _fill(5)
    anchor = f"5:{entries[4].hash}"
    _sql("DELETE FROM audit_auditentry WHERE seq >= 4")
    _sql("UPDATE audit_auditchainhead SET seq = 3, hash = %s WHERE id = 1", [entries[2].hash])
    assert "3 record(s) verified" in _verify()  # invisible from inside the database...
    assert "broken at record 5 (removed)" in _verify_fails("--anchor", anchor)  # ...but not to the anchor


def _forge(seq: int, prev_hash: str) -> None:
    """A forger who can write the database but lacks the key hashes a plausible row with plain SHA-256."""
    fields = {**canonical_fields(_row(1)), "seq": seq, "action": "case.act", "prev_hash": prev_hash}
    forged_hash = hashlib.sha256(canonical_bytes(fields)).hexdigest()
    _sql(
        "INSERT INTO audit_auditentry (seq, created_at, actor_id, actor_username, actor_role, action, "
        "subject_type, subject_id, channel, client, detail, prev_hash, hash) "
        "VALUES (%s, %s, NULL, '', 'system', 'case.act', '', '', 'web', '', '{}', %s, %s)",
        [seq, _row(1).created_at, prev_hash, forged_hash],
    )


def test_a_forged_record_inserted_in_the_middle_is_named_as_inserted() -> None:
    entries = _fill(5)
    # Make room after record 3 (two steps: the primary key is checked row by row).
    _sql("UPDATE audit_auditentry SET seq = seq + 100 WHERE seq > 3")
    _sql("UPDATE audit_auditentry SET seq = seq - 99 WHERE seq > 100")
    _forge(4, entries[2].hash)
    _sql("UPDATE audit_auditchainhead SET seq = 6 WHERE id = 1")
    assert "broken at record 4 (inserted)" in _verify_fails()


def test_a_forged_record_appended_at_the_end_is_named() -> None:
    entries = _fill(3)
    _forge(4, entries[2].hash)
    assert "broken at record 4 (inserted)" in _verify_fails()


def test_a_record_rehashed_without_the_key_is_named() -> None:
    _fill(5)
    _sql("UPDATE audit_auditentry SET actor_username = 'someone-else' WHERE seq = 2")
    fields = canonical_fields(_row(2))
    rehashed = hashlib.sha256(canonical_bytes(fields)).hexdigest()
    _sql("UPDATE audit_auditentry SET hash = %s WHERE seq = 2", [rehashed])
    _sql("UPDATE audit_auditentry SET prev_hash = %s WHERE seq = 3", [rehashed])
    assert "broken at record 2 (altered)" in _verify_fails()


def test_verify_from_a_record_checks_only_from_there() -> None:
    _fill(5)
    _sql("UPDATE audit_auditentry SET action = 'case.act' WHERE seq = 2")
    assert "broken at record 2" in _verify_fails()
    assert "3 record(s) verified" in _verify("--from", "3")


def test_verify_reads_the_chain_a_page_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(7)
    monkeypatch.setattr(chain, "PAGE_SIZE", 2)
    pages: list[int] = []
    original = chain.iter_entries

    def counting(**kwargs: int) -> object:
        for entry in original(page_size=2, start=kwargs.get("start", 1)):
            pages.append(entry.seq)
            yield entry

    monkeypatch.setattr(chain, "iter_entries", counting)
    result = chain.verify_chain()
    assert result.is_ok and result.checked == 7
    assert pages == [1, 2, 3, 4, 5, 6, 7]
    _sql("DELETE FROM audit_auditentry WHERE seq = 6")
    assert chain.verify_chain().problem == chain.ChainProblem(
        6, "removed", "record 6 is missing (removed): the chain goes on at record 7"
    )


def test_the_orm_refuses_to_change_or_remove_records() -> None:
    entry = _fill(1)[0]
    with pytest.raises(AuditEntryImmutable):
        entry.save()
    with pytest.raises(AuditEntryImmutable):
        entry.delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.filter(seq=1).update(action="case.act")
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.create(seq=2, created_at=entry.created_at, action="x.y", prev_hash="", hash="h")
    assert "1 record(s) verified" in _verify()


@pytest.mark.parametrize(
    "detail",
    [
        {"given_name": "Rahima"},
        {"phone": "x"},
        {"who": "Rahima Begum"},
        {"number": "+8801712345678"},
        {"ref": "1990123456789"},
        {"contact": "rahima@example.org"},
        {"n": 8801712345678},
        {"Bad Key": 1},
        {"nested": ["a"]},
        {"ratio": float("nan")},
        {"ratio": 1e16},
    ],
)
def test_detail_that_could_hold_personal_data_is_refused(detail: dict[str, object]) -> None:
    with pytest.raises(AuditDetailError):
        audit_record(action="case.view", detail=detail)  # type: ignore[arg-type]
    assert not AuditEntry.objects.exists()


def test_every_kind_of_detail_value_reads_back_as_hashed() -> None:
    detail = {
        "share": 0.1,
        "whole": 2.0,
        "tiny": 1e-05,
        "count": 12,
        "is_ok": True,
        "missing": None,
        "code": "a/b:c",
    }
    audit_record(action="cycle.run", detail=detail)  # type: ignore[arg-type]
    assert _row(1).detail == detail
    assert "1 record(s) verified" in _verify()


def test_an_action_must_be_a_dotted_verb() -> None:
    with pytest.raises(AuditDetailError):
        audit_record(action="view case")


def test_a_record_rolls_back_with_the_state_change_it_records() -> None:
    _fill(2)

    def change_that_fails() -> None:
        with transaction.atomic():
            audit_record(action="case.act", detail={"case_id": 7})
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert AuditEntry.objects.count() == 2
    assert AuditChainHead.objects.get(pk=1).seq == 2
    assert audit_record(action="case.act").seq == 3
    assert "3 record(s) verified" in _verify()


def test_subject_person_and_system_actor_are_stored() -> None:
    person = Person.objects.create(given_name="Rahima", family_name="Begum")
    entry = audit_record(action="cycle.run", person=person, subject=person, client="GOV/BD/MOL/registry")
    assert (entry.subject_type, entry.subject_id) == ("registry.person", str(person.pk))
    assert (entry.actor_id, entry.actor_role, entry.channel) == (None, "system", "system")
    assert entry.client == "GOV/BD/MOL/registry"
    other = Person.objects.create(given_name="Karim")
    audit_record(action="case.view", person=other)
    later = audit_record(action="case.act", person=person)
    assert list(person_data_usage(person)) == [later, entry]
    assert "Rahima" not in json.dumps(canonical_fields(later))


def test_an_export_of_a_period_verifies_on_its_own(tmp_path: Path) -> None:
    entries = _fill(4)
    day = entries[0].created_at.date().isoformat()
    for name in ("period.jsonl", "period.csv"):
        out = tmp_path / name
        call_command("audit", "export", "--from", day, "--to", day, "--out", str(out), stdout=io.StringIO())
        assert "4 record(s) verified" in _verify("--export", str(out))
        text = out.read_text(encoding="utf-8")
        assert entries[3].hash in text
        out.write_text(text.replace("review", "closed", 1), encoding="utf-8")
        assert "broken at record 1 (altered)" in _verify_fails("--export", str(out))


def test_anchor_prints_the_head() -> None:
    entries = _fill(2)
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    assert out.getvalue().startswith(f"2:{entries[1].hash} ")
    assert "2 record(s) verified" in _verify("--anchor", f"2:{entries[1].hash}")
    assert "(anchor)" in _verify_fails("--anchor", f"1:{'f' * 64}")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database is one connection; it serialises writes anyway")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(10):
                audit_record(action="case.view", detail={"n": n})
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, 41))
    assert chain.verify_chain().checked == 40
