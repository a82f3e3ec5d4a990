"""GET /api/v1/services and /api/v1/services/{pack_id}: what is on offer and what to send."""

from __future__ import annotations

from django.test import Client

from govreach.catalogue.models import ServicePack


def test_service_list(client: Client, pt_service_pack: ServicePack) -> None:
    response = client.get("/api/v1/services")
    assert response.status_code == 200
    [service] = response.json()
    assert service["id"] == "pt-social-energy-tariff"
    assert service["version"] == "1.0.0"
    assert service["kind"] == "proactive"
    assert service["title"] == "Social energy tariff (automatic attribution)"
    assert service["legal_basis"][0]["reference"] == "Decreto-Lei 138-A/2010"
    assert service["eligibility_url"].endswith("/api/v1/services/pt-social-energy-tariff/eligibility")


def test_service_list_in_portuguese(client: Client, pt_service_pack: ServicePack) -> None:
    [service] = client.get("/api/v1/services?language=pt").json()
    assert service["language"] == "pt"
    assert service["title"].startswith("Tarifa social de energia")


def test_service_detail_tells_a_client_what_to_send(client: Client, pt_service_pack: ServicePack) -> None:
    response = client.get("/api/v1/services/pt-social-energy-tariff?on=2016-03-01")
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "eligible"
    inputs = body["inputs"]
    assert inputs["unit_kind"] == "household"
    power = next(f for f in inputs["unit"] if f["name"] == "contract.power_kva")
    assert power == {
        "name": "contract.power_kva",
        "type": "number",
        "description": "Contracted power",
        "unit": "kVA",
        "allowed": None,
    }
    assert {f["name"] for f in inputs["members"]} == {"income_eur", "benefits", "abono_familia_bracket"}
    assert "contract" in inputs["unit_schema"]["properties"]
    limits = {p["name"]: p for p in body["parameters"]}
    assert body["parameters_on"] == "2016-03-01"
    assert limits["income_limit_eur"]["value"] == 5808
    assert limits["income_limit_eur"]["valid_from"] == "2016-01-01"
    main = body["decisions"][0]
    assert main["is_main"]
    assert main["id"] == "eligible"
    low_income = next(c for c in main["criteria"] if c["id"] == "low_household_income")
    assert low_income["rule"] == "household.income_eur <= household_income_limit_eur"
    assert low_income["depth"] == 2


def test_unknown_service_detail_is_404(client: Client, db: None) -> None:
    response = client.get("/api/v1/services/xx-nothing")
    assert response.status_code == 404
    assert "xx-nothing" in response.json()["detail"]
