"""``govreach backup`` and ``govreach restore``: an application with its documents survives the round trip
into an empty instance; damaged archives and non-empty targets are refused before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.cases.conftest import ANSWERS, BD_PACK_DIR, DOCUMENTS, PACK_ID, pay, upload

from govreach.accounts.services import citizen_account_get_or_create
from govreach.cases import services
from govreach.cases.models import Application, Document
from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.ops.backup import EXCLUDED_APPS, EXCLUDED_MODELS, database_flush
from govreach.packs.loader import load_pack
from govreach.registry.models import Area


def _counts() -> dict[str, int]:
    """Rows per model, counted here independently of the code under test."""
    return {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in EXCLUDED_APPS and m._meta.label_lower not in EXCLUDED_MODELS
        and m._meta.managed and not m._meta.proxy
    }  # fmt: skip


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def submitted(areas: dict[str, Area], media: Path) -> Application:
    """A submitted e-Mutation application: rows in most apps, five uploaded documents, a queued SMS."""
    service_pack_load(pack=load_pack(BD_PACK_DIR))
    account, _created = citizen_account_get_or_create(phone="+8801712345678", language="bn")
    draft = services.application_draft_save(
        applicant=account.user, pack_id=PACK_ID, form_id="application", answers=ANSWERS
    )
    for n, kind in enumerate(DOCUMENTS):
        content = None if kind == "photo" else b"%PDF-1.4\n%" + bytes([n]) * 40 + b"\n%%EOF\n"
        services.document_attach(
            application=draft, kind=kind, uploaded_file=upload(kind, content), by_user=account.user
        )
    pay(draft, "court_fee")
    pay(draft, "notice_fee")
    return services.application_submit(
        application=draft, by_user=account.user, idempotency_key="k"
    ).application


@pytest.fixture
def small(areas: dict[str, Area], media: Path, failed_message: Any) -> OutboxMessage:
    """A few rows and two uploaded files: enough for the refusals, quicker than a whole application."""
    (media / "cases" / "1").mkdir(parents=True)
    (media / "cases" / "1" / "deed").write_bytes(b"%PDF-1.4 deed")
    (media / "cases" / "1" / "photo").write_bytes(b"photo bytes")
    message: OutboxMessage = failed_message("small")
    return message


def _empty_instance(settings: Any, tmp_path: Path) -> Path:
    """A fresh instance: the database as migrate leaves it, and a new, empty media folder."""
    database_flush()
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    return tmp_path / "fresh-media"


def test_a_backup_restored_into_an_empty_instance_has_every_record_and_file(
    submitted: Application, media: Path, settings: Any, tmp_path: Path
) -> None:
    counts_before, files_before = _counts(), _digests(media)
    assert len(files_before) == len(DOCUMENTS) and counts_before["cases.document"] == len(DOCUMENTS)
    archive = tmp_path / "govreach.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())

    fresh_media = _empty_instance(settings, tmp_path)
    assert Application.objects.count() == 0 and not fresh_media.exists()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)

    assert _counts() == counts_before
    assert _digests(fresh_media) == files_before
    application = Application.objects.get(reference=submitted.reference)
    assert application.applicant.username == submitted.applicant.username
    for document in Document.objects.filter(application=application):
        assert hashlib.sha256(document.file.read()).hexdigest() == document.sha256
    assert OutboxMessage.objects.get(message_id="application_received").area == application.area
    # New rows after a restore get fresh keys (PostgreSQL's sequences were moved past the loaded ones).
    Area.objects.create(code="BD-30260103", name="Pathalia", level="union", parent=application.area.parent)
    assert "all match the manifest" in out.getvalue()


def test_the_manifest_lists_rows_per_model_and_a_digest_per_file(
    small: OutboxMessage, media: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        assert tar.getnames()[0] == "manifest.json"
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["counts"]["notify.outboxmessage"] == 1 and manifest["counts"]["registry.area"] == 6
    assert "contenttypes.contenttype" not in manifest["counts"]
    assert {
        k.removeprefix("media/"): v["sha256"] for k, v in manifest["files"].items() if k != "database.json"
    } == (_digests(media))


def test_restore_refuses_a_non_empty_instance_unless_forced(
    small: OutboxMessage, media: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    OutboxMessage.objects.all().delete()  # a change made after the backup
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert OutboxMessage.objects.count() == 0
    (media / "stray.txt").write_text("left behind")
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert OutboxMessage.objects.get().dedupe_key == "small"
    assert not (media / "stray.txt").exists() and set(_digests(media)) == {"cases/1/deed", "cases/1/photo"}


def _rewrite(archive: Path, target: Path, change: str) -> None:
    """A copy of ``archive`` with one member's bytes altered (``database.json`` or the first media file)."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        media_done = False
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if change == "database" and member.name == "database.json":
                data = data.replace(b'"registry.area"', b'"registry.area" ', 1)
            elif change == "media" and member.name.startswith("media/") and not media_done:
                data, media_done = data + b"tampered", True
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("change", ["database", "media"])
def test_a_damaged_archive_is_refused_before_anything_is_written(
    change: str, small: OutboxMessage, media: Path, settings: Any, tmp_path: Path
) -> None:
    archive, damaged = tmp_path / "b.tar.gz", tmp_path / "damaged.tar.gz"
    call_command("backup", "--out", str(archive), stdout=io.StringIO())
    _rewrite(archive, damaged, change)
    fresh_media = _empty_instance(settings, tmp_path)
    with pytest.raises(CommandError, match="does not match its SHA-256"):
        call_command("restore", str(damaged), stdout=io.StringIO())
    assert Area.objects.count() == 0 and OutboxMessage.objects.count() == 0 and not fresh_media.exists()


def test_a_backup_never_overwrites_a_file(db: None, media: Path, tmp_path: Path) -> None:
    existing = tmp_path / "b.tar.gz"
    existing.write_bytes(b"precious")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--out", str(existing), stdout=io.StringIO())
    assert existing.read_bytes() == b"precious"
