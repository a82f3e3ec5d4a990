"""The gateway contract: form-encoded POST in, ``CON ``/``END `` text/plain out, a shared secret."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import UK_PHONE, USSD_SECRET, Gateway

pytestmark = pytest.mark.django_db


def test_the_first_request_of_a_session_gets_the_main_menu_as_con_text_plain(gateway: Gateway) -> None:
    response = gateway.post("")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert body.startswith("CON ")
    assert body.splitlines() == [
        "CON GovReach",
        "1 Application status",
        "2 Check if you qualify",
        "3 Refuse a tariff",
        "4 Make a complaint",
        "5 Rate a service",
        "0 Language/Língua/Idioma/ভাষা/언어",
    ]


def test_a_finished_menu_answers_end(gateway: Gateway) -> None:
    body = gateway.reply("2")  # no service loaded: nothing to check

    assert body.startswith("END ") and "No service can be checked by phone" in body


def test_a_wrong_or_missing_secret_is_refused_with_403(gateway: Gateway) -> None:
    assert gateway.post("", secret="wrong").status_code == 403
    assert gateway.post("", secret=None).status_code == 403
    assert gateway.post("", secret=USSD_SECRET[:-1]).status_code == 403


def test_the_secret_may_come_as_a_query_parameter(db: None) -> None:
    data = {"sessionId": "q1", "serviceCode": "*384#", "phoneNumber": UK_PHONE, "text": ""}

    good = Client().post(f"/ussd/?secret={USSD_SECRET}", data)
    bad = Client().post("/ussd/?secret=nope", data)

    assert good.status_code == 200 and good.content.decode().startswith("CON ")
    assert bad.status_code == 403


def test_an_unset_secret_refuses_everything_outside_debug(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.delenv("GOVREACH_USSD_SECRET")

    assert gateway.post("", secret="").status_code == 403
    assert gateway.post("", secret=None).status_code == 403


def test_an_unset_secret_lets_requests_in_under_debug(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.delenv("GOVREACH_USSD_SECRET")
    settings.DEBUG = True  # type: ignore[attr-defined]

    assert gateway.post("", secret=None).status_code == 200


def test_get_is_not_allowed_and_missing_fields_are_a_400(gateway: Gateway) -> None:
    assert Client().get("/ussd/", HTTP_X_GATEWAY_SECRET=USSD_SECRET).status_code == 405
    missing = Client().post("/ussd/", {"text": ""}, HTTP_X_GATEWAY_SECRET=USSD_SECRET)
    assert missing.status_code == 400


def test_a_phone_that_asks_too_often_is_told_to_wait(gateway: Gateway) -> None:
    for i in range(120):
        gateway.reply("" if i % 2 else "1", session=f"s{i}")

    body = gateway.reply("", session="one-too-many")

    assert body.startswith("END ") and "Too many requests" in body
    assert gateway.reply("", session="other-phone", phone="+447700900999").startswith("CON ")
