"""Enqueueing: in the caller's transaction, once per event, rendered in the applicant's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from tests.notify.conftest import EMAIL, PHONE

from govreach.catalogue.models import ServicePack
from govreach.notify.models import OutboxMessage
from govreach.notify.rendering import MessageContextMissing, MessageNotFound
from govreach.notify.services import InvalidRecipient, outbox_enqueue

HEARING = {
    "reference": "MUT-2024-0042",
    "date": dt.date(2024, 7, 15),
    "time": "11:00",
    "place": "AC Land office, Savar",
    "link": "https://meet.example.gov.bd/h/42",
}


def enqueue_hearing(
    *, language: str = "bn", dedupe_key: str = "case-42:hearing:1", **overrides: object
) -> OutboxMessage:
    kwargs: dict[str, object] = {
        "channel": "sms", "to": PHONE, "message_id": "hearing_scheduled", "language": language,
        "context": HEARING, "dedupe_key": dedupe_key, "pack_id": "bd-land-mutation",
    }  # fmt: skip
    kwargs.update(overrides)
    return outbox_enqueue(**kwargs)  # type: ignore[arg-type]


def test_a_hearing_sms_is_rendered_in_bengali_with_its_placeholders(bd_service_pack: ServicePack) -> None:
    message = enqueue_hearing(language="bn")
    assert message.status == "queued" and message.language == "bn" and message.subject == ""
    assert message.body.startswith("নামজারি মামলা MUT-2024-0042: শুনানি 2024-07-15, 11:00, AC Land office, Savar।")
    assert "https://meet.example.gov.bd/h/42" in message.body
    assert "{" not in message.body
    assert message.context["date"] == "2024-07-15"


def test_a_hearing_email_is_rendered_in_english_with_subject_and_body(bd_service_pack: ServicePack) -> None:
    message = enqueue_hearing(language="en", channel="email", to=EMAIL)
    assert message.subject == "e-Mutation case MUT-2024-0042: hearing on 2024-07-15"
    assert "Date: 2024-07-15\nTime: 11:00\nPlace: AC Land office, Savar" in message.body


def test_a_letter_uses_the_letter_body(bd_service_pack: ServicePack) -> None:
    message = enqueue_hearing(language="en", channel="letter", to="House 12, Road 3\nSavar, Dhaka")
    assert message.body.startswith("Notice of hearing, e-Mutation case MUT-2024-0042")


def test_an_enqueue_rolled_back_with_its_transaction_leaves_nothing(bd_service_pack: ServicePack) -> None:
    def change_the_case_then_fail() -> None:
        with transaction.atomic():
            enqueue_hearing()
            raise RuntimeError("the case change failed")

    with pytest.raises(RuntimeError):
        change_the_case_then_fail()
    assert not OutboxMessage.objects.exists()


def test_the_same_dedupe_key_returns_the_same_message(bd_service_pack: ServicePack) -> None:
    first = enqueue_hearing()
    again = enqueue_hearing(language="en")
    assert again.pk == first.pk and again.language == "bn"
    assert OutboxMessage.objects.count() == 1


def test_a_regional_language_falls_back_to_its_base_language(bd_service_pack: ServicePack) -> None:
    assert enqueue_hearing(language="bn-BD").language == "bn"


def test_a_language_the_pack_lacks_falls_back_to_english(bd_service_pack: ServicePack) -> None:
    message = enqueue_hearing(language="fr")
    assert message.language == "en" and message.body.startswith("e-Mutation case MUT-2024-0042: your hearing")


def test_platform_messages_are_used_without_a_pack(db: None) -> None:
    context = {"code": "482913", "minutes": 10}
    korean = outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="ko",
                            context=context, dedupe_key="login:1")  # fmt: skip
    assert korean.language == "ko" and "482913" in korean.body and "10분" in korean.body
    brazilian = outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="pt-br",
                               context=context, dedupe_key="login:2")  # fmt: skip
    assert brazilian.language == "pt-BR" and brazilian.body.startswith(
        "Seu código de acesso ao GovReach é 482913."
    )
    french = outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="fr",
                            context=context, dedupe_key="login:3")  # fmt: skip
    assert french.language == "en" and french.pack_id is None


def test_an_unknown_message_id_is_a_clear_error(bd_service_pack: ServicePack) -> None:
    with pytest.raises(MessageNotFound) as caught:
        enqueue_hearing(message_id="hearing_sheduled")
    text = str(caught.value)
    assert "no message 'hearing_sheduled' in pack 'bd-land-mutation' nor in the platform messages" in text
    assert "hearing_scheduled" in text  # the known ids are listed
    assert not OutboxMessage.objects.exists()


def test_a_context_lacking_a_placeholder_is_a_clear_error(bd_service_pack: ServicePack) -> None:
    with pytest.raises(MessageContextMissing, match=r"'hearing_scheduled' \(bn\).*\{link\}"):
        enqueue_hearing(context={k: v for k, v in HEARING.items() if k != "link"})


def test_a_recipient_that_does_not_fit_the_channel_is_refused_without_being_echoed(db: None) -> None:
    with pytest.raises(InvalidRecipient) as caught:
        outbox_enqueue(channel="sms", to="01712-345678", message_id="login_code", language="en",
                       context={"code": "1", "minutes": 1}, dedupe_key="x")  # fmt: skip
    assert "01712-345678" not in str(caught.value)
    with pytest.raises(InvalidRecipient):
        outbox_enqueue(channel="email", to="not-an-address", message_id="login_code", language="en",
                       context={"code": "1", "minutes": 1}, dedupe_key="y")  # fmt: skip
