"""``govreach demo setup``: idempotent, lists the services and where to look."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from govreach.catalogue.models import ServicePack


def run_setup() -> str:
    out = StringIO()
    call_command("demo", "setup", stdout=out, stderr=StringIO(), no_color=True)
    return out.getvalue()


def test_demo_setup_lists_services_and_urls_and_can_run_twice(pt_service_pack: ServicePack) -> None:
    first = run_setup()
    assert "pt-social-energy-tariff 1.0.0" in first
    assert "http://127.0.0.1:8000/services/pt-social-energy-tariff/" in first
    for url in ("http://127.0.0.1:8000/", "/api/docs", "/api/openapi.json"):
        assert url in first
    assert "The demo is ready." in first
    assert run_setup() == first
    assert ServicePack.objects.count() == 1


@pytest.mark.django_db
def test_demo_setup_without_packs_says_how_to_load_them() -> None:
    out = run_setup()
    assert "govreach packs load packs/" in out


def test_the_demo_suppliers_sample_list_is_accepted_as_it_is(
    pt_service_pack: ServicePack, settings: Any, tmp_path: Path
) -> None:
    from govreach.entitlements.partners import customer_list_parse

    settings.DEBUG = True  # the demo accounts and the supplier's sample list
    settings.VAR_DIR = tmp_path
    out = run_setup()
    [sample] = list((tmp_path / "demo").glob("customer-list-*.csv"))
    assert str(sample) in out
    supplier_id = sample.stem.removeprefix("customer-list-")

    table = customer_list_parse(sample.read_bytes(), supplier_id=supplier_id)

    assert table.num_rows == len(sample.read_text(encoding="utf-8").splitlines()) - 1 > 10
