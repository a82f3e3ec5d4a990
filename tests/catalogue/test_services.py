"""service_pack_load: idempotent; a newer version waits for approval; service_pack_activate rolls back."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import service_pack_get
from govreach.catalogue.services import (
    pack_version_activate,
    pack_version_approve,
    pack_version_review,
    service_pack_activate,
    service_pack_load,
    version_key,
)
from govreach.packs.loader import Pack, load_pack

from .conftest import PT_PACK_DIR


def pack_version(tmp_path: Path, version: str, name: str | None = None) -> Pack:
    """A copy of the Portuguese pack with another version number."""
    folder = tmp_path / (name or f"pt-{version}")
    shutil.copytree(PT_PACK_DIR, folder)
    service = folder / "service.yaml"
    service.write_text(service.read_text().replace("version: 1.0.0", f"version: {version}"))
    return load_pack(folder)


def test_loading_a_pack_records_what_the_catalogue_shows(pt_service_pack: ServicePack) -> None:
    row = pt_service_pack
    assert (row.pack_id, row.version, row.kind, row.unit, row.country) == (
        "pt-social-energy-tariff",
        "1.0.0",
        "proactive",
        "household",
        "PT",
    )
    assert row.titles["pt"].startswith("Tarifa social de energia")
    assert row.languages == ["en", "pt", "pt-BR", "bn", "ko"]
    assert row.legal_basis[0]["reference"] == "Decreto-Lei 138-A/2010"
    assert row.path == str(PT_PACK_DIR.resolve())
    assert len(row.digest) == 64
    assert row.is_active


@pytest.mark.django_db
def test_loading_the_same_pack_twice_changes_nothing(pt_pack: Pack) -> None:
    first = service_pack_load(pack=pt_pack)
    second = service_pack_load(pack=pt_pack)
    assert second.pk == first.pk
    assert ServicePack.objects.count() == 1
    stored = ServicePack.objects.get()
    assert stored.loaded_at == first.loaded_at
    assert stored.is_active


@pytest.mark.django_db
def test_a_newer_version_is_recorded_as_a_draft_and_the_one_in_force_stays(
    pt_pack: Pack, tmp_path: Path
) -> None:
    old = service_pack_load(pack=pt_pack)
    new = service_pack_load(pack=pack_version(tmp_path, "1.1.0"))
    old.refresh_from_db()
    assert old.is_active and old.state == ServicePack.State.ACTIVE
    assert not new.is_active and new.state == ServicePack.State.DRAFT
    assert service_pack_get("pt-social-energy-tariff").version == "1.0.0"
    assert ServicePack.objects.filter(pack_id="pt-social-energy-tariff").count() == 2


@pytest.mark.django_db
def test_an_older_version_loaded_later_does_not_replace_the_newer(pt_pack: Pack, tmp_path: Path) -> None:
    service_pack_load(pack=pack_version(tmp_path, "2.0.0"))
    older = service_pack_load(pack=pt_pack)
    assert not older.is_active
    assert service_pack_get("pt-social-energy-tariff").version == "2.0.0"


@pytest.mark.django_db
def test_reloading_a_version_whose_files_changed_updates_its_row(tmp_path: Path) -> None:
    pack = pack_version(tmp_path, "1.0.0", name="pt")
    row = service_pack_load(pack=pack)
    summary = tmp_path / "pt" / "service.yaml"
    summary.write_text(summary.read_text().replace("A discount on", "A reduction of"))
    changed = load_pack(tmp_path / "pt")
    again = service_pack_load(pack=changed)
    assert again.pk == row.pk
    assert again.digest == changed.digest != row.digest
    assert again.summaries["en"].startswith("A reduction of")
    assert again.loaded_at > row.loaded_at


@pytest.mark.django_db
def test_activate_rolls_back_to_a_stored_version(
    pt_pack: Pack, tmp_path: Path, django_user_model: Any
) -> None:
    proposer = django_user_model.objects.create_user(username="proposer")
    approver = django_user_model.objects.create_user(username="approver")
    old = service_pack_load(pack=pt_pack)
    new = service_pack_load(pack=pack_version(tmp_path, "1.1.0"), proposed_by=proposer)
    pack_version_review(service_pack=new, by=approver)
    pack_version_approve(service_pack=new, by=approver)
    pack_version_activate(service_pack=new, by=approver)
    assert service_pack_get("pt-social-energy-tariff").version == "1.1.0"
    service_pack_activate(service_pack=old, by=approver)
    assert service_pack_get("pt-social-energy-tariff").version == "1.0.0"
    assert ServicePack.objects.filter(is_active=True).count() == 1
    # Loading the unchanged newer version again is a no-op: it does not undo the roll-back.
    service_pack_load(pack=pack_version(tmp_path, "1.1.0", name="again"))
    assert service_pack_get("pt-social-energy-tariff").version == "1.0.0"


@pytest.mark.django_db
def test_the_database_refuses_two_active_versions_of_a_pack(pt_service_pack: ServicePack) -> None:
    duplicate = ServicePack.objects.get(pk=pt_service_pack.pk)
    duplicate.pk = None
    duplicate.version = "9.9.9"
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    ("lower", "higher"),
    [("1.9.0", "1.10.0"), ("1.0.0-rc.1", "1.0.0"), ("1.0.0-alpha", "1.0.0-beta"), ("0.9.9", "1.0.0")],
)
def test_version_key_orders_semantic_versions(lower: str, higher: str) -> None:
    assert version_key(lower) < version_key(higher)
