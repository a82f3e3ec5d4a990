"""Public dashboards need no sign-in, show only published cells, and stay small; the budget page is for
finance officers only, on their own areas."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.transparency.conftest import PACK_ID, MakeApplications, signed_in

from govreach.audit.models import AuditEntry
from govreach.packs.loader import Pack
from govreach.registry.models import Area
from govreach.transparency.figures import snapshot_refresh
from govreach.transparency.models import BudgetLine
from govreach.transparency.services import budget_load_pack

pytestmark = pytest.mark.django_db

ASHULIA, KULLA = "BD-30260101", "BD-30260201"
PAGE_LIMIT_BYTES = 100 * 1024


@pytest.fixture
def figures(bd_pack: Pack, bd_service_pack: object, make_applications: MakeApplications) -> None:
    make_applications(ASHULIA, 30, days=10)
    make_applications(ASHULIA, 12, outcome="rejected", days=40)
    make_applications(KULLA, 4, days=12)
    snapshot_refresh(pack=bd_pack)


def test_dashboard_is_public_with_charts_and_tables(figures: None) -> None:
    response = Client().get(f"/transparency/services/{PACK_ID}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert len(response.content) < PAGE_LIMIT_BYTES
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-applications-title"'
        in html
    )
    assert '<title id="chart-applications-title">' in html
    assert "<caption>" in html and '<th scope="col"' in html and '<th scope="row"' in html
    assert "<script" not in html
    assert "Applications received" in html


def test_a_small_area_shows_the_suppression_marker_not_its_count(figures: None) -> None:
    response = Client().get(f"/transparency/services/{PACK_ID}/areas/{KULLA}/")
    assert response.status_code == 200
    html = response.content.decode()
    received = re.search(r"<dt>Applications received</dt><dd>([^<]*)</dd>", html)
    assert received is not None and received.group(1) == "[c]"
    assert ">4<" not in html


def test_numbers_follow_the_readers_locale(figures: None, bd_pack: Pack) -> None:
    BudgetLine.objects.create(
        pack_id=PACK_ID,
        year=2026,
        area=Area.objects.get(code="BD"),
        line="Servers",
        amount=Decimal("1234567.5"),
        currency="BDT",
        source="t",
    )
    html = Client().get(f"/transparency/services/{PACK_ID}/", HTTP_ACCEPT_LANGUAGE="pt").content.decode()
    assert "1.234.567,50" in html or "1 234 567,50" in html or "1\u00a0234\u00a0567,50" in html


def test_an_unknown_area_or_service_is_not_found(figures: None) -> None:
    assert Client().get(f"/transparency/services/{PACK_ID}/areas/XX-1/").status_code == 404
    assert Client().get("/transparency/services/no-such-pack/").status_code == 404


def test_index_and_home_page_link_to_the_figures(figures: None) -> None:
    index = Client().get("/transparency/").content.decode()
    assert f"/transparency/services/{PACK_ID}/" in index
    assert "/transparency/" in Client().get("/").content.decode()


def test_budget_page_refuses_anonymous_and_staff_without_the_finance_role(
    figures: None, make_staff: Callable[[str, str, str], User]
) -> None:
    url = f"/transparency/services/{PACK_ID}/budget/"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/staff/login/" in anonymous["Location"]
    officer = make_staff("ulao", "ulao", ASHULIA)
    assert signed_in(officer).get(url).status_code == 403


def test_finance_officer_adds_a_line_on_their_area_and_not_above(
    figures: None, make_staff: Callable[[str, str, str], User]
) -> None:
    url = f"/transparency/services/{PACK_ID}/budget/"
    finance = make_staff("finance-savar", "finance", "BD-302601")
    client = signed_in(finance)
    assert client.get(url).status_code == 200
    line = {
        "year": "2026",
        "area": ASHULIA,
        "line": "Hearing rooms",
        "amount": "125000.50",
        "currency": "bdt",
        "source": "Upazila accounts",
    }
    assert client.post(url, line).status_code == 302
    saved = BudgetLine.objects.get(line="Hearing rooms")
    assert saved.amount == Decimal("125000.50") and saved.currency == "BDT" and saved.created_by == finance
    entry = AuditEntry.objects.filter(action="budget_line.save").get()
    assert entry.detail == {"pack_id": PACK_ID, "year": 2026, "is_new": True}
    above = client.post(url, {**line, "area": "BD-3026", "line": "District office"})
    assert above.status_code == 400
    assert not BudgetLine.objects.filter(line="District office").exists()
    wrong = client.post(url, {**line, "amount": "-5", "line": "Negative"})
    assert wrong.status_code == 400 and "Enter an amount" in wrong.content.decode()


def test_budget_and_cost_per_transaction_beside_the_figures(figures: None, bd_pack: Pack) -> None:
    assert budget_load_pack(pack=bd_pack) == 2
    assert budget_load_pack(pack=bd_pack) == 2  # idempotent
    assert BudgetLine.objects.filter(pack_id=PACK_ID).count() == 2
    html = Client().get(f"/transparency/services/{PACK_ID}/").content.decode()
    assert "Cost per transaction" in html and "illustrative figure" in html
    # 85,000,000 Tk over 46 applications received.
    assert "1,847,826.09" in html
