"""Email through a real SMTP server (aiosmtpd on 127.0.0.1), with the subject and body as rendered."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest
from tests.notify.conftest import EMAIL, SmtpServer

from govreach.catalogue.models import ServicePack
from govreach.notify.models import OutboxMessage
from govreach.notify.services import outbox_enqueue, outbox_send_due


def received(server: SmtpServer) -> EmailMessage:
    [envelope] = server.handler.envelopes
    parsed = email.message_from_bytes(envelope.content, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize(
    ("language", "subject", "in_body"),
    [
        ("bn", "নামজারি মামলা MUT-2024-0042: মঞ্জুর", "নতুন খতিয়ান পেতে 1,100 টাকা দিন"),
        (
            "en",
            "e-Mutation case MUT-2024-0042: approved",
            "To get your new record of rights (khatian), pay Tk 1,100",
        ),
    ],
)
def test_an_approval_email_reaches_the_smtp_server_with_its_subject_and_body(
    bd_service_pack: ServicePack, smtp_server: SmtpServer, language: str, subject: str, in_body: str
) -> None:
    message = outbox_enqueue(channel="email", to=EMAIL, message_id="decision_approved", language=language,
                             context={"reference": "MUT-2024-0042", "amount": "1,100"},
                             dedupe_key=f"case-42:approved:{language}", pack_id="bd-land-mutation")  # fmt: skip
    counts = outbox_send_due()
    assert counts.sent == 1
    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == [EMAIL]
    assert envelope.mail_from == "no-reply@land.example.gov.bd"
    mail = received(smtp_server)
    # A long non-ASCII subject is folded after "Subject:"; unfolding leaves one leading space.
    assert mail["Subject"].strip() == subject
    assert mail["Content-Language"] == language
    assert in_body in mail.get_content()
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == "sent" and message.provider_message_id == mail["Message-ID"]


def test_a_mailbox_the_server_refuses_fails_for_good(db: None, smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse_recipients = True
    message = outbox_enqueue(channel="email", to=EMAIL, message_id="login_code", language="en",
                             context={"code": "482913", "minutes": 10}, dedupe_key="login:mail")  # fmt: skip
    assert outbox_send_due().failed == 1
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == "failed" and "SMTP 550" in message.last_error
    assert EMAIL not in message.last_error


def test_an_smtp_server_that_is_down_is_retried(db: None, smtp_server: SmtpServer, settings: object) -> None:
    from tests.notify.conftest import _free_port

    settings.EMAIL_PORT = _free_port()  # type: ignore[attr-defined]  # nothing listens there
    message = outbox_enqueue(channel="email", to=EMAIL, message_id="login_code", language="en",
                             context={"code": "482913", "minutes": 10}, dedupe_key="login:down")  # fmt: skip
    assert outbox_send_due().retried == 1
    message = OutboxMessage.objects.get(pk=message.pk)
    assert message.status == "queued" and message.last_error.startswith(
        "SMTP connection: ConnectionRefusedError"
    )
