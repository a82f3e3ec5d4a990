from pathlib import Path

import pytest
from playwright.sync_api import Page

from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import load_pack

PACKS = Path(__file__).resolve().parents[2] / "packs"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_catalogue_lists_a_loaded_service_in_a_real_browser(live_server, page: Page) -> None:  # type: ignore[no-untyped-def]
    service_pack_load(pack=load_pack(PACKS / "pt-social-energy-tariff"))
    page.goto(live_server.url + "/?lang=en")
    assert page.locator("h1").count() == 1
    page.get_by_role("link", name="Social energy tariff (automatic attribution)", exact=True).click()
    assert "/services/pt-social-energy-tariff/" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
