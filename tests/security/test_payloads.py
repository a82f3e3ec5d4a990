"""Oversized and malformed requests are refused with a short answer, never a stack trace."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from tests.api.test_eligibility import household

ELIGIBILITY = "/api/v1/services/pt-social-energy-tariff/eligibility"
TRACE_MARKERS = ("Traceback", 'File "/', "django.core.exceptions", "site-packages")


def _no_trace(body: bytes) -> None:
    text = body.decode("utf-8", "replace")
    assert not [m for m in TRACE_MARKERS if m in text], text[:500]


def test_a_body_larger_than_the_limit_is_refused_before_it_is_read(client: Client, db: None) -> None:
    response = client.generic(
        "POST", "/track/", b"x", content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="900000000"
    )
    assert response.status_code == 413
    assert "the limit is 30 MB" in response.content.decode()
    _no_trace(response.content)


def test_a_form_with_too_much_text_is_refused(client: Client, db: None) -> None:
    response = client.post("/track/", {"reference": "A" * 3_000_000, "secret": "x"})
    assert response.status_code == 400
    _no_trace(response.content)


def test_a_form_with_too_many_fields_is_refused(client: Client, db: None) -> None:
    response = client.post("/track/", {f"f{i}": "1" for i in range(1000)})
    assert response.status_code == 400
    _no_trace(response.content)


def test_a_bad_content_length_header_is_refused(client: Client, db: None) -> None:
    response = client.generic("POST", "/track/", b"", CONTENT_LENGTH="lots")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[]",
        b'"a string"',
        json.dumps({"contract": {"power_kva": "x" * 100_000}}).encode(),
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"household": {"income_eur": 1e309}}).encode().replace(b"Infinity", b"1e999"),
    ],
    ids=["broken", "binary", "list", "string", "huge-field", "deep-nesting", "overflow"],
)
def test_the_api_answers_malformed_json_with_a_json_problem(
    client: Client, pt_service_pack: object, body: bytes
) -> None:
    response = client.post(ELIGIBILITY, body, content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    _no_trace(response.content)


def test_an_unknown_service_and_a_wrong_method_are_plain_refusals(client: Client, db: None) -> None:
    unknown = client.post(
        "/api/v1/services/xx-none/eligibility", {"unit": household()}, content_type="application/json"
    )
    assert unknown.status_code == 404 and "detail" in unknown.json()
    response = client.get(ELIGIBILITY)
    assert response.status_code == 405
    _no_trace(response.content)
