"""Citizen pages work with JavaScript off and weigh under 100 KB each (HTML, CSS, images).

The citizen pages are the citizen's and the public's patterns of the same URL list the accessibility
test walks. With JavaScript disabled in Chromium, the citizen signs in and completes the whole e-Mutation
application (forms posted, files uploaded, fees paid, submitted); each page's weight is the sum of the
bodies of every response the browser received for it, redirects included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import resolve
from playwright.sync_api import Browser, Error, Page, Response, expect
from tests.browser import site
from tests.browser.test_accessibility import CHECKED, apply_for_land_mutation

from govreach.entitlements.models import EntitlementPerson
from govreach.programmes.models import Cohort

pytestmark = [pytest.mark.browser]

MAX_PAGE_BYTES = 100 * 1024

# The patterns a citizen (or anyone, signed out) uses; the rest of CHECKED are staff, intermediary and
# partner pages.
CITIZEN_PAGES = {
    "web:catalogue",
    "web:service",
    "cases:track",
    "cases:verify",
    "accounts:citizen_login",
    "accounts:citizen_login_code",
    "accounts:logout",
    "entitlements:take_up",
    "programmes:allocation_public",
    "programmes:register",
    "web:apply_start",
    "web:apply_page",
    "web:apply_check",
    "web:apply_fees",
    "web:apply_done",
    "web:account_applications",
    "web:account_application",
    "accounts:citizen_home",
    "accounts:citizen_consents",
    "entitlements:mine",
    "entitlements:refuse",
    "entitlements:contest",
}


def test_citizen_pages_are_pages_of_the_url_list() -> None:
    assert set(CHECKED) >= CITIZEN_PAGES and set(site.url_patterns()) >= CITIZEN_PAGES


class Weigher:
    """Every response the page receives, summed per page shown."""

    def __init__(self, page: Page) -> None:
        self.responses: list[Response] = []
        self.weights: dict[str, int] = {}
        self.visited: set[str] = set()
        self.problems: list[str] = []
        page.on("response", self._received)

    def _received(self, response: Response) -> None:
        self.responses.append(response)

    def _size(self, response: Response) -> int:
        try:
            return len(response.body())
        except Error:  # a redirect has no body to read
            return int(response.headers.get("content-length", "0"))

    def check(self, page: Page, what: str) -> None:
        """The page now shown works without JavaScript (it has its heading) and weighs little enough."""
        expect(page.locator("main h1")).to_have_count(1)
        weight = sum(self._size(r) for r in self.responses)
        self.responses.clear()
        name = resolve(urlparse(page.url).path)
        self.visited.add(f"{name.namespace}:{name.url_name}")
        self.weights[what] = weight
        if weight >= MAX_PAGE_BYTES:
            self.problems.append(f"{what} ({page.url}): {weight:,} bytes")

    def goto(self, page: Page, url: str, what: str, *, status: int = 200) -> None:
        self.responses.clear()
        response = page.goto(url)
        assert response is not None and response.status == status, (what, url)
        self.check(page, what)


@pytest.mark.django_db(transaction=True)
def test_citizen_pages_work_without_javascript_and_weigh_under_100_kb(
    live_server: Any, browser: Browser, settings: Any, tmp_path: Path, demo_var_dir: Path
) -> None:
    site.demo_world_build(settings, demo_var_dir, tmp_path / "media")
    base = live_server.url
    page = site.new_page(browser, javascript=False)
    weigh = Weigher(page)
    try:
        assert page.evaluate("() => 1") == 1  # Playwright's own evaluation, not the page's scripts
        weigh.goto(page, f"{base}/?lang=en", "catalogue")
        # The language switch is a plain form: without JavaScript it brings the same page back in Bengali,
        # then in English again (the rest of the journey reads English labels).
        page.get_by_role("button", name="বাংলা").click()
        expect(page.locator("html")).to_have_attribute("lang", "bn")
        assert urlparse(page.url).path == "/"
        weigh.check(page, "catalogue after choosing Bengali")
        page.get_by_role("button", name="English", exact=True).click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        weigh.check(page, "catalogue after choosing English")
        for pack_id in ("bd-land-mutation", "pt-social-energy-tariff", "br-prepara", "kr-hyo-home-visits"):
            weigh.goto(page, f"{base}/services/{pack_id}/?lang=en", f"service {pack_id}")
        weigh.goto(page, f"{base}/track/?lang=en", "tracking form")
        weigh.goto(page, f"{base}/verify/not-a-real-code/?lang=en", "verify", status=404)
        weigh.goto(page, f"{base}/entitlements/pt-social-energy-tariff/take-up/", "take-up")
        cohort = Cohort.objects.get(pack_id="br-prepara")
        weigh.goto(page, f"{base}/programmes/cohorts/{cohort.pk}/allocation/", "public allocation")
        weigh.goto(page, f"{base}/programmes/br-prepara/register/", "register (closed)")

        # Signing in and the whole application, every form posted without JavaScript.
        weigh.goto(page, f"{base}/login/?lang=en", "citizen sign-in")
        page.get_by_label("Mobile phone number").fill(site.ROLES.bd_citizen_phone)
        page.get_by_role("button", name="Send me a code").click()
        weigh.check(page, "citizen sign-in: code")
        from govreach.notify.models import OutboxMessage

        code = OutboxMessage.objects.filter(message_id="login_code").latest("pk").context["code"]
        page.get_by_label("Code").fill(str(code))
        page.get_by_role("button", name="Sign in").click()
        weigh.responses.clear()
        reference, secret = apply_for_land_mutation(page, base, weigh.check, tmp_path)
        weigh.goto(page, f"{base}/track/?lang=en&reference={reference}&secret={secret}", "tracking result")
        weigh.goto(page, f"{base}/account/?lang=en", "account")
        weigh.goto(page, f"{base}/account/applications/?lang=en", "applications")
        weigh.goto(page, f"{base}/account/applications/{reference}/?lang=en", "application")
        weigh.goto(page, f"{base}/account/consents/?lang=en", "consents")
        weigh.goto(page, f"{base}/logout/?lang=en", "sign out")
        page.locator("main form button[type=submit]").click()
        expect(page.locator("main h1")).to_have_count(1)

        # The tariff holder: the entitlement, refusing it, contesting (form posted without JavaScript).
        holder = EntitlementPerson.objects.filter(
            entitlement__status="active", is_contract_holder=True, person__citizen_accounts__isnull=False
        ).first()
        assert holder is not None and holder.person is not None
        account = holder.person.citizen_accounts.get()
        site.citizen_sign_in(page, base, account.phone)
        weigh.goto(page, f"{base}/entitlements/mine/?lang=en", "my entitlements")
        weigh.goto(page, f"{base}/entitlements/{holder.entitlement_id}/refuse/?lang=en", "refuse")
        weigh.goto(page, f"{base}/entitlements/contest/?lang=en", "contest")
        page.locator("main form button[type=submit]").last.click()
        weigh.check(page, "contest, posted empty")
    finally:
        page.context.close()

    print("page weights (bytes):", dict(sorted(weigh.weights.items(), key=lambda kv: -kv[1])[:5]))
    assert not weigh.problems, f"pages of {MAX_PAGE_BYTES:,} bytes or more:\n" + "\n".join(weigh.problems)
    assert weigh.visited == CITIZEN_PAGES, weigh.visited ^ CITIZEN_PAGES
