"""The versions in force, remembered per process: no query per decision, and never a stale pack.

These tests run outside a test transaction (``transaction=True``), as requests do in production: inside
a transaction the catalogue is always read from the database.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache as shared_cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from govreach.catalogue import cache
from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import active_pack
from govreach.catalogue.services import (
    pack_version_activate,
    pack_version_approve,
    pack_version_review,
    service_pack_activate,
    service_pack_load,
)
from govreach.packs.loader import load_pack

from .conftest import PT_PACK_DIR

URL = "/api/v1/services/pt-social-energy-tariff/eligibility"
BODY = {
    "unit": {
        "contract": {"own_name": True, "domestic": True, "permanent_home": True, "voltage": "BTN",
                     "power_kva": 3.45},
        "household": {"income_eur": 5808},
    },
    "on": "2016-03-01",
}  # fmt: skip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _forget(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Long enough that only an invalidation, never the time limit, explains a fresh answer below.
    monkeypatch.setattr(cache, "IN_FORCE_SECONDS", 60.0)
    cache.catalogue_changed()
    yield
    cache.catalogue_changed()


def decide(client: Client) -> dict[str, Any]:
    response = client.post(URL, BODY, content_type="application/json")
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def new_version(tmp_path: Path, version: str, limit_eur: int, name: str | None = None) -> Path:
    """A copy of the Portuguese pack as ``version`` with another base income limit."""
    folder = tmp_path / (name or version)
    shutil.copytree(PT_PACK_DIR, folder)
    service = folder / "service.yaml"
    service.write_text(service.read_text().replace("version: 1.0.0", f"version: {version}", 1))
    params = folder / "parameters.yaml"
    params.write_text(params.read_text().replace("value: 5808", f"value: {limit_eur}"))
    return folder


def put_in_force(folder: Path, users: Any) -> ServicePack:
    """Load a newer version (if not loaded yet), have it reviewed and approved by others, put it in force."""
    proposer, reviewer, approver = (
        users.objects.create_user(username=f"{role}-{folder.name}")
        for role in ("proposer", "reviewer", "approver")
    )
    row = service_pack_load(pack=load_pack(folder), proposed_by=proposer)
    pack_version_review(service_pack=row, by=reviewer)
    pack_version_approve(service_pack=row, by=approver)
    return pack_version_activate(service_pack=row, by=approver)


def test_a_decision_after_the_first_reads_no_database(client: Client) -> None:
    service_pack_load(pack=load_pack(PT_PACK_DIR))
    decide(client)
    with CaptureQueriesContext(connection) as queries:
        assert decide(client)["pack_version"] == "1.0.0"
    assert [q["sql"] for q in queries.captured_queries] == []


def test_reloading_the_version_in_force_with_changed_files_is_seen_by_the_next_call(
    client: Client, tmp_path: Path
) -> None:
    service_pack_load(pack=load_pack(new_version(tmp_path, "1.0.0", 5808)))
    first = decide(client)
    assert (first["pack_version"], first["outcome"]) == ("1.0.0", True)
    service_pack_load(pack=load_pack(new_version(tmp_path, "1.0.0", 5000, name="changed")))
    second = decide(client)
    assert (second["pack_version"], second["outcome"]) == ("1.0.0", False)


def test_a_new_version_put_in_force_is_seen_by_the_next_call(
    client: Client, tmp_path: Path, django_user_model: Any
) -> None:
    service_pack_load(pack=load_pack(PT_PACK_DIR))
    assert decide(client)["pack_version"] == "1.0.0"
    service_pack_load(pack=load_pack(new_version(tmp_path, "1.1.0", 5000)))
    assert decide(client)["pack_version"] == "1.0.0"  # loaded, but waits for approval
    put_in_force(tmp_path / "1.1.0", django_user_model)
    second = decide(client)
    assert (second["pack_version"], second["outcome"]) == ("1.1.0", False)


def test_rolling_back_to_an_older_version_is_seen_by_the_next_call(
    client: Client, tmp_path: Path, django_user_model: Any
) -> None:
    older = service_pack_load(pack=load_pack(PT_PACK_DIR))
    put_in_force(new_version(tmp_path, "1.1.0", 5000), django_user_model)
    assert decide(client)["pack_version"] == "1.1.0"
    service_pack_activate(service_pack=older)
    assert decide(client)["pack_version"] == "1.0.0"


def test_a_pack_removed_from_the_catalogue_is_gone_at_the_next_call(client: Client) -> None:
    service_pack_load(pack=load_pack(PT_PACK_DIR))
    decide(client)
    ServicePack.objects.filter(pack_id="pt-social-energy-tariff").delete()
    assert client.post(URL, BODY, content_type="application/json").status_code == 404


def test_another_process_rolling_back_is_seen_at_the_next_call(
    client: Client, tmp_path: Path, django_user_model: Any
) -> None:
    older = service_pack_load(pack=load_pack(PT_PACK_DIR))
    newer = put_in_force(new_version(tmp_path, "1.1.0", 5000), django_user_model)
    assert decide(client)["pack_version"] == "1.1.0"
    # What another process's roll-back does here: its rows change, and its commit moves the generation.
    ServicePack.objects.filter(pk=newer.pk).update(is_active=False, state="retired")
    ServicePack.objects.filter(pk=older.pk).update(is_active=True, state="active")
    assert decide(client)["pack_version"] == "1.1.0"  # nothing told this process yet
    shared_cache.set(cache.GENERATION_KEY, "another process committed")
    assert decide(client)["pack_version"] == "1.0.0"


def test_a_write_that_tells_no_one_is_seen_within_the_time_limit(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_user_model: Any
) -> None:
    older = service_pack_load(pack=load_pack(PT_PACK_DIR))
    newer = put_in_force(new_version(tmp_path, "1.1.0", 5000), django_user_model)
    assert decide(client)["pack_version"] == "1.1.0"
    ServicePack.objects.filter(pk=newer.pk).update(is_active=False, state="retired")
    ServicePack.objects.filter(pk=older.pk).update(is_active=True, state="active")
    monkeypatch.setattr(cache, "IN_FORCE_SECONDS", 0.0)
    assert decide(client)["pack_version"] == "1.0.0"


def test_inside_a_transaction_the_catalogue_is_read_from_the_database(
    tmp_path: Path, django_user_model: Any
) -> None:
    from django.db import transaction

    service_pack_load(pack=load_pack(PT_PACK_DIR))
    assert active_pack("pt-social-energy-tariff").version == "1.0.0"
    with transaction.atomic():
        put_in_force(new_version(tmp_path, "1.1.0", 5000), django_user_model)
        assert active_pack("pt-social-energy-tariff").version == "1.1.0"
        transaction.set_rollback(True)
    assert active_pack("pt-social-energy-tariff").version == "1.0.0"
