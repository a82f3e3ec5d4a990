"""The recipient is personal data: never in a log line, an error, ``str`` or ``repr``; masked on the console."""

from __future__ import annotations

import logging

import pytest
from tests.notify.conftest import PHONE, Gateway, Reply

from govreach.notify.backends import Outgoing
from govreach.notify.models import OutboxMessage
from govreach.notify.privacy import recipient_mask
from govreach.notify.services import outbox_enqueue, outbox_send_due


def test_masks_let_a_person_recognise_their_number_but_not_use_it() -> None:
    assert recipient_mask("+8801712345678") == "+880••••••••78"
    assert recipient_mask("rahima.begum@example.org") == "r•••••••••••@example.org"
    assert recipient_mask("House 12, Road 3\nSavar") == "••••••••"


def test_the_recipient_never_reaches_logs_errors_or_str(
    db: None, sms_via_gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    # A gateway that echoes the number in its error, as real ones do.
    sms_via_gateway.script(Reply(400, {"error": f"invalid destination {PHONE} (8801712345678)"}))
    caplog.set_level(logging.DEBUG)
    message = outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="en",
                             context={"code": "482913", "minutes": 10}, dedupe_key="login:privacy")  # fmt: skip
    outbox_send_due()
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == "failed"
    assert caplog.records, "the outbox logs what it does"
    assert "1712345678" not in caplog.text
    assert "1712345678" not in message.last_error and "+880••••••••78" in message.last_error
    assert "1712345678" not in str(message) and "1712345678" not in repr(message)
    assert all("1712345678" not in a.error for a in message.delivery_attempts.all())


def test_an_outgoing_message_keeps_the_recipient_out_of_its_repr() -> None:
    outgoing = Outgoing(1, "sms", PHONE, "en", "", "hello", "govreach-outbox-1")
    assert PHONE not in repr(outgoing)


def test_the_console_backend_prints_the_masked_recipient_and_the_text(
    db: None, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.GOVREACH_NOTIFY = {"backends": {"sms": "console"}}  # type: ignore[attr-defined]
    outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="bn",
                   context={"code": "482913", "minutes": 10}, dedupe_key="login:console")  # fmt: skip
    assert outbox_send_due().sent == 1
    out = capsys.readouterr().out
    assert "[notify] sms" in out and "+880••••••••78 (bn)" in out
    assert "আপনার GovReach লগইন কোড 482913।" in out
    assert PHONE not in out
