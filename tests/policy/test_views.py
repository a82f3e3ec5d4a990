"""Policy pages: only policy officers of the pack get in; the four-eyes rule holds through the web too."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from govreach.accounts.access import SESSION_STAFF_VERIFIED
from govreach.accounts.models import StaffAssignment
from govreach.catalogue.models import PackPilot, ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import load_pack
from govreach.population import generate_population
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

from .conftest import PACK, PACK_DIR


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pt-views")
    generate_population(country="pt", households=400, seed=4, out_dir=out)
    return out


@pytest.fixture
def areas(db: None, population: Path, settings: Any) -> None:
    settings.GOVREACH_POLICY_REGISTRIES_DIR = str(population)
    area_import_csv(csv_path=population / "areas.csv")


def signed_in(user: Any) -> Client:
    """A staff session past both factors (the login itself is tested in tests/accounts)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_STAFF_VERIFIED] = True
    session.save()
    return client


def officer(user: Any, pack_id: str = PACK) -> Any:
    StaffAssignment.objects.create(
        user=user, pack_id=pack_id, role="policy-officer", area=Area.objects.get(code="PT")
    )
    return user


@pytest.fixture
def proposed(areas: None, proposer: Any) -> ServicePack:
    service_pack_load(pack=load_pack(PACK_DIR))
    return service_pack_load(pack=load_pack(PACK_DIR, version="0.9.0"), proposed_by=proposer)


def test_pages_refuse_anyone_but_a_policy_officer_of_the_pack(
    proposed: ServicePack, proposer: Any, django_user_model: Any
) -> None:
    urls = ["/staff/policy/", f"/staff/policy/{PACK}/versions/0.9.0/", f"/staff/policy/{PACK}/diff/"]
    for url in urls:
        assert Client().get(url).status_code == 302  # to the staff login
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    StaffAssignment.objects.create(
        user=clerk, pack_id=PACK, role="reviewer", area=Area.objects.get(code="PT")
    )
    other = officer(
        django_user_model.objects.create_user(username="other-officer", is_staff=True), "bd-land-mutation"
    )
    for user in (clerk, other):
        for url in urls[1:]:
            assert signed_in(user).get(url).status_code == 403
    assert signed_in(clerk).get(urls[0]).status_code == 403
    assert signed_in(clerk).post(urls[1], {"action": "review"}).status_code == 403
    assert ServicePack.objects.get(pk=proposed.pk).state == "draft"
    officer(proposer)
    for url in urls:
        assert signed_in(proposer).get(url).status_code == 200


def test_the_proposer_cannot_review_their_own_version_through_the_web(
    proposed: ServicePack, proposer: Any, approver: Any, django_user_model: Any
) -> None:
    url = f"/staff/policy/{PACK}/versions/0.9.0/"
    response = signed_in(officer(proposer)).post(url, {"action": "review"})
    assert response.status_code == 400 and "proposed" in response.content.decode()
    reviewer = officer(django_user_model.objects.create_user(username="policy-reviewer", is_staff=True))
    assert signed_in(reviewer).post(url, {"action": "review"}).status_code == 302
    second = signed_in(officer(approver))
    assert second.post(url, {"action": "approve"}).status_code == 302
    assert ServicePack.objects.get(pk=proposed.pk).state == "approved"
    assert second.post(url, {"action": "activate"}).status_code == 302
    assert ServicePack.objects.get(pk=proposed.pk).is_active


def test_the_dry_run_page_shows_tables_and_a_chart_without_any_household(
    proposed: ServicePack, proposer: Any
) -> None:
    response = signed_in(officer(proposer)).get(
        f"/staff/policy/{PACK}/diff/", {"from": "0.9.0", "to": "1.0.0", "on": "2025-01-01"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and "<table>" in page and "low_household_income" in page
    assert "PT00" not in page  # no supply point code (CPE) on the page
    bad = signed_in(proposer).get(f"/staff/policy/{PACK}/diff/", {"to": "1.0.0", "on": "1 May"})
    assert bad.status_code == 400


def test_a_pilot_is_started_evaluated_and_rolled_back_from_the_web(
    proposed: ServicePack, proposer: Any, approver: Any
) -> None:
    client = signed_in(officer(approver))
    url = f"/staff/policy/{PACK}/versions/0.9.0/"
    assert signed_in(officer(proposer)).post(url, {"action": "review"}).status_code == 400  # their own
    ServicePack.objects.filter(pk=proposed.pk).update(proposed_by=None)  # as if loaded by the system
    assert signed_in(proposer).post(url, {"action": "review"}).status_code == 302
    assert client.post(url, {"action": "approve"}).status_code == 302
    started = client.post(f"{url}pilot/", {"area": "PT-11", "starts_on": dt.date.today().isoformat()})
    assert started.status_code == 302
    pilot = PackPilot.objects.get()
    assert [a.code for a in pilot.areas.all()] == ["PT-11"]
    page = client.get(started["Location"])
    assert page.status_code == 200 and "95%" in page.content.decode()
    assert signed_in(officer(proposer)).post(started["Location"]).status_code == 302
    pilot.refresh_from_db()
    assert pilot.status == "rolled_back" and pilot.review_on is not None
