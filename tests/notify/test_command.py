"""``govreach notify send``: the worker, one pass or a loop, and its settings checked."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from tests.notify.conftest import PHONE

from govreach.notify.models import OutboxMessage
from govreach.notify.services import outbox_enqueue, outbox_send_due


def test_notify_send_once_sends_what_is_due(db: None, settings: object) -> None:
    settings.GOVREACH_NOTIFY = {"backends": {"sms": "govreach.notify.backends.ConsoleBackend"}}  # type: ignore[attr-defined]
    for i in range(3):
        outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="en",
                       context={"code": str(i), "minutes": 10}, dedupe_key=f"login:{i}")  # fmt: skip
    out = StringIO()
    call_command("notify", "send", "--once", "--limit", "2", stdout=out)
    assert "claimed 2: sent 2, retrying 0, failed 0" in out.getvalue()
    assert OutboxMessage.objects.filter(status="sent").count() == 2


def test_notify_send_refuses_a_bad_limit(db: None) -> None:
    with pytest.raises(CommandError, match="--limit"):
        call_command("notify", "send", "--once", "--limit", "0")


def test_a_misconfigured_backend_names_the_setting_and_the_fix(db: None, settings: object) -> None:
    settings.GOVREACH_NOTIFY = {"backends": {"sms": "govreach.notify.backends.SMTPEmailBackend"}}  # type: ignore[attr-defined]
    outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="en",
                   context={"code": "1", "minutes": 10}, dedupe_key="login:x")  # fmt: skip
    with pytest.raises(ImproperlyConfigured, match="SMTPEmailBackend cannot send 'sms' messages"):
        outbox_send_due()
    assert OutboxMessage.objects.get().status == "queued"  # released, not stranded in 'sending'
    settings.GOVREACH_NOTIFY = {"backends": {"sms": "nowhere.Backend"}}  # type: ignore[attr-defined]
    with pytest.raises(
        ImproperlyConfigured, match=r"neither a registered backend \(console, http_sms, smtp\)"
    ):
        outbox_send_due()
    settings.GOVREACH_NOTIFY = {"max_attempt": 3}  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="unknown key"):
        outbox_send_due()
