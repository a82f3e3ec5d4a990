"""POST /api/v1/services/{pack_id}/eligibility: a decision with its explanation, nothing stored or logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govreach.catalogue.models import ServicePack

URL = "/api/v1/services/pt-social-energy-tariff/eligibility"


def household(income_eur: Any = 5808, power_kva: Any = 3.45, **extra: Any) -> dict[str, Any]:
    unit: dict[str, Any] = {
        "contract": {
            "own_name": True,
            "domestic": True,
            "permanent_home": True,
            "voltage": "BTN",
            "power_kva": power_kva,
        },
        "household": {"income_eur": income_eur},
    }
    unit.update(extra)
    return unit


def decide(client: Client, body: Any, url: str = URL) -> Any:
    return client.post(url, body, content_type="application/json")


def test_household_at_the_2016_income_limit_is_eligible(client: Client, pt_service_pack: ServicePack) -> None:
    response = decide(client, {"unit": household(5808), "on": "2016-03-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] is True
    assert body["pack_id"] == "pt-social-energy-tariff"
    assert body["pack_version"] == "1.0.0"
    assert body["decided_on"] == "2016-03-01"
    assert body["decisions"]["eligible"] is True
    low_income = next(c for c in body["criteria"] if c["id"] == "low_household_income")
    assert low_income["outcome"] is True
    assert low_income["reference"] == "Decreto-Lei 138-A/2010, art. 2"
    assert low_income["values"]["household.income_eur"] == 5808
    assert "limit of 5808 EUR" in low_income["explanation"]
    limit = next(p for p in body["parameters"] if p["name"] == "income_limit_eur")
    assert limit == {
        "name": "income_limit_eur",
        "value": 5808,
        "valid_from": "2016-01-01",
        "unit": "EUR",
        "reference": "Decreto-Lei 138-A/2010, art. 2 (as amended)",
        "reference_url": None,
    }
    assert not any(m.startswith(("contract.", "household.")) for m in body["missing"])  # only gas facts
    assert "eligible: YES" in body["explanation"]


def test_household_one_euro_above_the_limit_is_not_eligible(
    client: Client, pt_service_pack: ServicePack
) -> None:
    body = decide(client, {"unit": household(5809), "on": "2016-03-01"}).json()
    assert body["outcome"] is False
    low_income = next(c for c in body["criteria"] if c["id"] == "low_household_income")
    assert low_income["outcome"] is False
    assert "above the limit of 5808 EUR" in low_income["explanation"]


def test_a_missing_fact_gives_an_unknown_outcome_naming_it(
    client: Client, pt_service_pack: ServicePack
) -> None:
    body = decide(client, {"unit": household(None), "on": "2016-03-01"}).json()
    assert body["outcome"] is None
    assert "household.income_eur" in body["missing"]


def test_explanations_in_portuguese(client: Client, pt_service_pack: ServicePack) -> None:
    body = decide(client, {"unit": household(5808), "on": "2016-03-01", "language": "pt"}).json()
    assert body["language"] == "pt"
    low_income = next(c for c in body["criteria"] if c["id"] == "low_household_income")
    assert low_income["title"] == "Rendimento baixo"
    assert "não passa o limite de 5808 EUR" in low_income["explanation"]


def test_the_decision_date_defaults_to_today(client: Client, pt_service_pack: ServicePack) -> None:
    body = decide(client, {"unit": household(6000)}).json()
    assert body["decided_on"] == timezone.localdate().isoformat()


def test_an_unknown_fact_is_422_naming_the_field(client: Client, pt_service_pack: ServicePack) -> None:
    unit = household()
    unit["contract"]["colour"] = "blue"
    response = decide(client, {"unit": unit, "on": "2016-03-01"})
    assert response.status_code == 422
    body = response.json()
    assert body["problems"] == [{"field": "unit.contract.colour", "message": body["problems"][0]["message"]}]
    assert body["problems"][0]["message"].startswith("unknown fact")


def test_a_wrong_type_is_422_naming_the_field_and_the_fix(
    client: Client, pt_service_pack: ServicePack
) -> None:
    response = decide(client, {"unit": household(power_kva="lots"), "on": "2016-03-01"})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"field": "unit.contract.power_kva", "message": "expected a number, such as 1234.56"}
    ]


def test_every_problem_is_listed_at_once(client: Client, pt_service_pack: ServicePack) -> None:
    unit = household(income_eur="many", power_kva="lots", members=[{"income_eur": "none"}])
    fields = {p["field"] for p in decide(client, {"unit": unit}).json()["problems"]}
    assert fields == {"unit.contract.power_kva", "unit.household.income_eur", "unit.members[0].income_eur"}


def test_malformed_json_is_422_without_a_stack_trace(client: Client, pt_service_pack: ServicePack) -> None:
    response = decide(client, '{"unit": {"contract": ')
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "problems": [{"field": "body", "message": "the request body is not valid JSON"}],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"on": "2016-03-01"}, "unit"),
        ({"unit": [1, 2]}, "unit"),
        ({"unit": {}, "on": "2016-13-01"}, "on"),
        ({"unit": {}, "language": "english please"}, "language"),
    ],
)
def test_a_malformed_request_is_422_naming_the_field(
    client: Client, pt_service_pack: ServicePack, body: dict[str, Any], field: str
) -> None:
    response = decide(client, body)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == [field]
    assert "Traceback" not in response.content.decode()


def test_a_date_before_any_parameter_is_422_with_the_reason(
    client: Client, pt_service_pack: ServicePack
) -> None:
    response = decide(client, {"unit": household(), "on": "2000-01-01"})
    assert response.status_code == 422
    body = response.json()
    assert "no value in force on 2000-01-01" in body["detail"]
    assert body["problems"][0]["field"] == "on"


def test_an_unknown_pack_is_404(client: Client, db: None) -> None:
    response = decide(client, {"unit": {}}, url="/api/v1/services/xx-nothing/eligibility")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No service 'xx-nothing'")


def test_deciding_stores_nothing_and_logs_no_facts(
    client: Client, pt_service_pack: ServicePack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with CaptureQueriesContext(connection) as queries:
        ok = decide(client, {"unit": household(4321.98), "on": "2016-03-01"})
        bad = decide(client, {"unit": household(income_eur=4321.98, power_kva="secret-kva-7731")})
    assert (ok.status_code, bad.status_code) == (200, 422)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert "4321.98" not in caplog.text
    assert "secret-kva-7731" not in caplog.text
