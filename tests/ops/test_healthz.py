"""The health check: plain ``ok``, for anyone, without touching the database."""

from __future__ import annotations

from django.test import Client


def test_healthz_answers_ok_in_plain_text_without_a_query(client: Client) -> None:
    # No ``db`` fixture: pytest-django makes any query here an error.
    response = client.get("/healthz/")
    assert response.status_code == 200 and response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_refuses_writes(client: Client) -> None:
    assert client.post("/healthz/").status_code == 405
