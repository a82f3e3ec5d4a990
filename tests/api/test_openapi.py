"""The OpenAPI document and the docs page, which must work offline (no CDN)."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.test import Client


def schema_of(doc: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    ref: str = content["application/json"]["schema"]["$ref"]
    result: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return result


def test_openapi_document_describes_the_eligibility_request_and_answers(client: Client, db: None) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    operation = doc["paths"]["/api/v1/services/{pack_id}/eligibility"]["post"]
    request = schema_of(doc, operation["requestBody"]["content"])
    assert set(request["properties"]) == {"unit", "on", "language", "area"}  # area: pilots (issue 9)
    assert request["required"] == ["unit"]
    answer = schema_of(doc, operation["responses"]["200"]["content"])
    assert {"outcome", "criteria", "parameters", "missing", "pack_version", "decided_on"} <= set(
        answer["properties"]
    )
    problems = schema_of(doc, operation["responses"]["422"]["content"])
    assert set(problems["properties"]) == {"detail", "problems"}
    assert "404" in operation["responses"]
    assert "/api/v1/services" in doc["paths"]
    assert "/api/v1/services/{pack_id}" in doc["paths"]


def test_docs_page_uses_swagger_ui_shipped_with_django_ninja(client: Client, db: None) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert finders.find("ninja/swagger-ui-bundle.js") is not None
    assert finders.find("ninja/swagger-ui.css") is not None
