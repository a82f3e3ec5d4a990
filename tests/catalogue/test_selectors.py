"""Selectors: the services on offer, and the loaded pack behind each, cached per (path, digest)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import (
    ServicePackNotFound,
    ServicePackUnavailable,
    active_pack,
    service_pack_list,
)
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import load_pack

from .conftest import PT_PACK_DIR


def test_active_pack_is_the_stored_version_and_is_cached(pt_service_pack: ServicePack) -> None:
    pack = active_pack("pt-social-energy-tariff")
    assert (pack.id, pack.version, pack.digest) == (
        "pt-social-energy-tariff",
        "1.0.0",
        pt_service_pack.digest,
    )
    assert "eligible" in pack.ruleset.decisions
    assert active_pack("pt-social-energy-tariff") is pack


@pytest.mark.django_db
def test_an_unknown_pack_is_not_found() -> None:
    with pytest.raises(ServicePackNotFound, match="no service 'xx-nothing'"):
        active_pack("xx-nothing")


@pytest.mark.django_db
def test_a_pack_whose_files_changed_since_loading_is_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "pt"
    shutil.copytree(PT_PACK_DIR, folder)
    service_pack_load(pack=load_pack(folder))
    params = folder / "parameters.yaml"
    params.write_text(params.read_text().replace("value: 5808", "value: 9999"))
    with pytest.raises(ServicePackUnavailable, match="changed since it was loaded") as exc:
        active_pack("pt-social-energy-tariff")
    assert "govreach packs load" in str(exc.value)


@pytest.mark.django_db
def test_a_pack_whose_folder_is_gone_is_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "pt"
    shutil.copytree(PT_PACK_DIR, folder)
    service_pack_load(pack=load_pack(folder))
    shutil.rmtree(folder)
    with pytest.raises(ServicePackUnavailable, match="no longer load"):
        active_pack("pt-social-energy-tariff")


@pytest.mark.django_db
def test_service_pack_list_offers_only_active_versions(pt_service_pack: ServicePack) -> None:
    ServicePack.objects.create(
        pack_id="pt-social-energy-tariff",
        version="0.9.0",
        kind="proactive",
        unit="household",
        country="PT",
        path="/nowhere",
        digest="0" * 64,
        loaded_at=pt_service_pack.loaded_at,
        is_active=False,
    )
    assert [(p.pack_id, p.version) for p in service_pack_list()] == [("pt-social-energy-tariff", "1.0.0")]
    assert service_pack_list(include_inactive=True).count() == 2
