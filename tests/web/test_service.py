"""A service's page: who is entitled and why, parameters in force today with their law, facts needed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.test import Client

from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import load_pack

from .conftest import PT_PACK_DIR

URL = "/services/pt-social-energy-tariff/"


def test_service_page_shows_the_decisions_and_criteria(client: Client, pt_service_pack: ServicePack) -> None:
    html = client.get(URL + "?lang=en").content.decode()
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert "<h1>Social energy tariff (automatic attribution)</h1>" in html
    for title in (
        "Electricity social tariff",
        "Small domestic contract",
        "Low household income",
        "Natural gas social tariff",
    ):
        assert title in html
    assert "<code>contract.power_kva &lt;= power_limit_kva</code>" in html
    assert "At least one of these:" in html
    assert "<script" not in html


def test_service_page_shows_parameters_in_force_today_with_their_law(
    client: Client, pt_service_pack: ServicePack
) -> None:
    html = client.get(URL + "?lang=en").content.decode()
    assert "<strong>€6,272.64</strong>" in html  # the income limit in force since 2023, as money
    assert "<strong>6.9 kVA</strong>" in html
    assert "<cite>Decreto-Lei 100/2020</cite>" in html
    assert "psi_complement" in html


def test_service_page_lists_the_facts_a_decision_needs(client: Client, pt_service_pack: ServicePack) -> None:
    html = client.get(URL + "?lang=en").content.decode()
    assert "<code>contract.power_kva</code>: <span>Contracted power</span>" in html
    assert "Unit: kVA" in html
    assert "<code>BTN</code>, <code>BTE</code>, <code>MT</code>" in html
    assert "About each member of the household:" in html
    assert "<code>benefits</code>" in html
    assert "/api/v1/services/pt-social-energy-tariff/eligibility" in html


def test_service_page_in_portuguese(client: Client, pt_service_pack: ServicePack) -> None:
    html = client.get(URL, headers={"accept-language": "pt"}).content.decode()
    assert '<html lang="pt">' in html
    assert "Quem tem direito" in html
    assert "Rendimento baixo" in html
    assert "Potência contratada" in html


def test_unknown_service_is_404(client: Client, db: None) -> None:
    assert client.get("/services/xx-nothing/").status_code == 404


@pytest.mark.django_db
def test_a_service_whose_files_changed_is_unavailable_not_wrong(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "pt"
    shutil.copytree(PT_PACK_DIR, folder)
    service_pack_load(pack=load_pack(folder))
    params = folder / "parameters.yaml"
    params.write_text(params.read_text().replace("value: 5808", "value: 9999"))
    response = client.get(URL)
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
