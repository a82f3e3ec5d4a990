"""Inbound SMS keywords through the SMS gateway's callback: STATUS, STOP/RECUSAR and help (which lists
COMPLAINT and RATE too), each reply queued in the outbox in the sender's language; no phone number or
message text in the logs."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from govreach.cases.models import Application
from govreach.entitlements.models import Entitlement
from govreach.entitlements.refusals import REFUSAL_WORDS
from govreach.feedback.services import COMPLAINT_WORDS, RATING_WORDS
from govreach.notify.models import OutboxMessage

from .conftest import HOLDER_PHONE, OTHER_PHONE, REFERENCE, SMS_SECRET, SUPPLY_POINTS, TRACKING_CODE, UK_PHONE

pytestmark = pytest.mark.django_db


def sms(sender: str, text: str, *, message_id: str = "", secret: str = SMS_SECRET) -> tuple[int, str]:
    data = {"from": sender, "text": text}
    if message_id:
        data["id"] = message_id
    response = Client(enforce_csrf_checks=True).post("/sms/inbound/", data, HTTP_X_GATEWAY_SECRET=secret)
    return response.status_code, response.content.decode()


def test_status_replies_with_the_stage_and_date_by_sms(application: Application) -> None:
    status, outcome = sms(UK_PHONE, f"status {REFERENCE} {TRACKING_CODE}", message_id="m1")

    assert (status, outcome) == (200, "status")
    reply = OutboxMessage.objects.get(message_id="inbound_status")
    assert reply.channel == "sms" and reply.recipient == UK_PHONE and reply.language == "en"
    assert reply.body.startswith(f"{REFERENCE}: Application received since ")


def test_status_in_the_senders_language(application: Application) -> None:
    sms("+8801712345678", f"STATUS {REFERENCE} {TRACKING_CODE}")

    reply = OutboxMessage.objects.get(message_id="inbound_status")
    assert reply.language == "bn" and "আবেদন জমা হয়েছে" in reply.body


def test_status_with_a_wrong_code_says_not_found_and_how_to_ask(application: Application) -> None:
    sms(UK_PHONE, f"STATUS {REFERENCE} WRONG123")
    sms(UK_PHONE, "STATUS")

    replies = OutboxMessage.objects.filter(message_id="inbound_status_not_found")
    assert replies.count() == 2 and "STATUS BD-2026-000123 ABCD2345" in replies[0].body
    assert not OutboxMessage.objects.filter(message_id="inbound_status").exists()


def test_stop_from_the_holders_phone_naming_the_supply_point_refuses_it(
    entitlements: list[Entitlement],
) -> None:
    status, outcome = sms(HOLDER_PHONE, f"STOP {SUPPLY_POINTS[0]}", message_id="m2")

    assert (status, outcome) == (200, "refused")
    entitlements[0].refresh_from_db()
    entitlements[1].refresh_from_db()
    assert entitlements[0].status == "refused" and entitlements[0].refusal_channel == "sms"
    assert entitlements[1].status == "active"
    notice = OutboxMessage.objects.get(message_id="entitlement_refused")
    assert notice.recipient == HOLDER_PHONE and notice.language == "pt"


def test_recusar_with_two_tariffs_asks_which_one_in_portuguese(entitlements: list[Entitlement]) -> None:
    _, outcome = sms(HOLDER_PHONE, "RECUSAR")

    assert outcome == "refusal_which_one"
    reply = OutboxMessage.objects.get(message_id="inbound_refusal_which_one")
    assert reply.recipient == HOLDER_PHONE and reply.body.startswith("Tem mais do que uma tarifa")
    assert not Entitlement.objects.filter(status="refused").exists()


def test_stop_from_a_phone_without_a_tariff_says_so(entitlements: list[Entitlement]) -> None:
    _, outcome = sms(OTHER_PHONE, "STOP")

    assert outcome == "refusal_unknown_phone"
    assert OutboxMessage.objects.get(message_id="inbound_refusal_none").recipient == OTHER_PHONE


def test_an_unknown_keyword_gets_the_help_text(db: None) -> None:
    _, outcome = sms(UK_PHONE, "hello what is this")

    assert outcome == "help"
    reply = OutboxMessage.objects.get(message_id="inbound_help")
    assert reply.recipient == UK_PHONE and "STATUS" in reply.body and "STOP" in reply.body


@pytest.mark.parametrize(
    ("phone", "language"),
    [
        (UK_PHONE, "en"),
        (HOLDER_PHONE, "pt"),
        ("+5581999990001", "pt-BR"),
        ("+8801712345678", "bn"),
        ("+821012345678", "ko"),
    ],
)
def test_the_help_text_lists_every_keyword_in_the_senders_language(
    db: None, phone: str, language: str
) -> None:
    """STATUS, STOP and also COMPLAINT and RATE, each in a form the inbound handling accepts."""
    _, outcome = sms(phone, "HELP")

    reply = OutboxMessage.objects.get(message_id="inbound_help")
    words = {w.strip(".,:;()'\"").upper() for w in reply.body.split()}
    assert outcome == "help" and reply.recipient == phone and reply.language == language
    assert "STATUS" in words and words & {"STOP", *REFUSAL_WORDS}
    assert words & set(COMPLAINT_WORDS), reply.body
    assert words & set(RATING_WORDS), reply.body


def test_the_same_gateway_id_is_handled_once(entitlements: list[Entitlement]) -> None:
    first = sms(OTHER_PHONE, "hello", message_id="dup-1")
    second = sms(OTHER_PHONE, "hello", message_id="dup-1")

    assert first == (200, "help") and second == (200, "duplicate")
    assert OutboxMessage.objects.filter(message_id="inbound_help").count() == 1


def test_a_wrong_secret_is_refused_with_403(db: None) -> None:
    status, _ = sms(UK_PHONE, "hello", secret="nope")

    assert status == 403
    assert not OutboxMessage.objects.exists()


def test_no_phone_number_nor_message_text_reaches_the_logs(
    caplog: pytest.LogCaptureFixture, application: Application, entitlements: list[Entitlement]
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    data = {"sessionId": "log-1", "serviceCode": "*384#", "phoneNumber": HOLDER_PHONE}
    for text in ("", "3", "3*1", "3*1*1", f"1*{REFERENCE}*{TRACKING_CODE}"):
        client.post("/ussd/", {**data, "text": text}, HTTP_X_GATEWAY_SECRET="ussd-test-secret-1234")
    sms(HOLDER_PHONE, f"STATUS {REFERENCE} {TRACKING_CODE}", message_id="log-2")
    sms(HOLDER_PHONE, "my secret words please", message_id="log-3")
    sms(HOLDER_PHONE, f"RECUSAR {SUPPLY_POINTS[1]}", message_id="log-4")

    assert caplog.records  # the channels do log what happened...
    logged = caplog.text
    for clear in (HOLDER_PHONE, HOLDER_PHONE[1:], HOLDER_PHONE[-9:], TRACKING_CODE, "secret words"):
        assert clear not in logged  # ...but never who, nor what they typed
    assert "+351•••••••78" in logged
