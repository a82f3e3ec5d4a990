"""Gateways retry and reorder: the same text gets the same screen and does nothing twice; any text is
answered from its whole path; a session idle too long starts over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from govreach.catalogue.models import ServicePack
from govreach.entitlements.models import Entitlement
from govreach.notify.models import OutboxMessage
from govreach.ussd.models import UssdSession

from .conftest import HOLDER_PHONE, PT_PACK, TRACKING_CODE, Gateway

pytestmark = pytest.mark.django_db


def test_the_same_text_twice_gets_the_same_reply(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)

    first = gateway.reply("2*1*1*1")
    again = gateway.reply("2*1*1*1")

    assert first == again and first.startswith("CON 2/6 ")


def test_a_retried_refusal_is_recorded_once_and_answers_the_same(
    gateway: Gateway, entitlements: list[Entitlement]
) -> None:
    gateway.reply("3", phone=HOLDER_PHONE)
    gateway.reply("3*1", phone=HOLDER_PHONE)

    done = gateway.reply("3*1*1", phone=HOLDER_PHONE)
    refused_at = Entitlement.objects.get(pk=entitlements[0].pk).refused_at
    retried = gateway.reply("3*1*1", phone=HOLDER_PHONE)
    # A retry of an earlier step, then the confirmation again: walked afresh, still done once.
    earlier = gateway.reply("3*1", phone=HOLDER_PHONE)
    confirmed_again = gateway.reply("3*1*1", phone=HOLDER_PHONE)

    assert done == retried == confirmed_again and done.startswith("END A sua recusa")
    assert earlier.startswith("CON Recusar ")
    entitlement = Entitlement.objects.get(pk=entitlements[0].pk)
    assert entitlement.status == "refused" and entitlement.refused_at == refused_at
    assert OutboxMessage.objects.filter(message_id="entitlement_refused").count() == 1


def test_the_refusal_list_stays_the_same_within_a_session_after_a_refusal(
    gateway: Gateway, entitlements: list[Entitlement]
) -> None:
    gateway.reply("3*2*1", phone=HOLDER_PHONE)

    # Out of order: the gateway re-sends the list step; the second tariff is still option 2.
    listed = gateway.reply("3", phone=HOLDER_PHONE)
    confirm = gateway.reply("3*2", phone=HOLDER_PHONE)

    assert listed.splitlines()[2].endswith("...21CD") and "...21CD" in confirm
    fresh = gateway.reply("3", phone=HOLDER_PHONE, session="next-day")
    lines = fresh.splitlines()  # a new session lists only the tariff still active
    assert len(lines) == 3 and lines[1].endswith("...78AB") and lines[2] == "0 Voltar"


def test_an_out_of_order_text_is_answered_from_its_whole_path(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)

    ahead = gateway.reply("2*1*1*1*2")  # arrives first
    behind = gateway.reply("2*1")  # an older request, late
    branch = gateway.reply("1")  # a text that does not extend the stored one at all

    assert ahead.startswith("CON 3/6 ")
    assert behind.startswith("CON ") and "6 questions" in behind
    assert branch.startswith("CON Type your application reference")


def test_a_text_that_skips_steps_is_walked_from_the_main_menu(gateway: Gateway) -> None:
    # No request for "1" ever arrived: the path alone says where the person is.
    assert gateway.reply(f"1*BD-2026-000001*{TRACKING_CODE}").startswith("END We found no application")


def test_an_expired_session_starts_over_from_the_main_menu(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    load_packs(PT_PACK)
    gateway.reply("2*1")
    UssdSession.objects.update(updated_at=UssdSession.objects.get().updated_at - dt.timedelta(seconds=181))

    restarted = gateway.reply("2*1*1")
    continued = gateway.reply("2*1*1*2")

    assert restarted.startswith("CON GovReach\n1 Application status")
    assert continued.startswith("CON Check if you qualify for:")  # "2" from the fresh main menu


def test_a_session_stores_no_phone_and_no_typed_text(
    gateway: Gateway, load_packs: Callable[..., list[ServicePack]]
) -> None:
    gateway.reply(f"1*BD-2026-000001*{TRACKING_CODE}", phone="+447700900123")

    session = UssdSession.objects.get()
    stored = " ".join(str(v) for v in UssdSession.objects.values().get().values())
    assert "447700900123" not in stored and TRACKING_CODE not in stored
    assert session.last_text_digest and session.phone_digest
