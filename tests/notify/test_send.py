"""Sending: through a real HTTP gateway on 127.0.0.1, with retries, backoff, final failure and resend."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from tests.notify.conftest import PHONE, Gateway, Reply

from govreach.notify.models import DeliveryAttempt, OutboxMessage
from govreach.notify.selectors import outbox_list_for_staff
from govreach.notify.services import NotResendable, outbox_enqueue, outbox_resend, outbox_send_due

LATER = dt.timedelta(days=1)


def login_sms(key: str = "login:1") -> OutboxMessage:
    return outbox_enqueue(channel="sms", to=PHONE, message_id="login_code", language="bn",
                          context={"code": "482913", "minutes": 10}, dedupe_key=key)  # fmt: skip


def fresh(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def test_a_due_sms_is_posted_to_the_gateway_and_marked_sent(db: None, sms_via_gateway: Gateway) -> None:
    message = login_sms()
    counts = outbox_send_due()
    assert (counts.claimed, counts.sent) == (1, 1)
    [request] = sms_via_gateway.requests
    assert request["headers"]["X-API-Key"] == "test-key"
    assert request["headers"]["Idempotency-Key"] == f"govreach-outbox-{message.pk}"
    assert request["json"]["to"] == PHONE and "482913" in request["json"]["text"]
    message = fresh(message)
    assert message.status == "sent" and message.provider_message_id == "gw-1" and message.attempts == 1
    assert message.sent_at is not None and message.claim_token is None
    [attempt] = message.delivery_attempts.all()
    assert attempt.outcome == "sent" and attempt.backend == "HttpSmsBackend"
    assert outbox_send_due(now=timezone.now() + LATER).claimed == 0  # sent once, never again


def test_a_gateway_error_500_is_retried_with_exponential_backoff(db: None, sms_via_gateway: Gateway) -> None:
    sms_via_gateway.script(
        Reply(500, "upstream down"), Reply(500, "upstream down"), Reply(200, {"id": "gw-9"})
    )
    message = login_sms()
    before = timezone.now()
    assert outbox_send_due().retried == 1
    first = fresh(message)
    assert first.status == "queued" and first.attempts == 1
    assert "HTTP 500: upstream down" in first.last_error
    # 30 s, plus up to 25% jitter
    assert (
        before + dt.timedelta(seconds=30)
        <= first.next_attempt_at
        <= timezone.now() + dt.timedelta(seconds=37.5)
    )
    assert outbox_send_due().claimed == 0  # not due yet

    before = timezone.now()
    assert outbox_send_due(now=first.next_attempt_at).retried == 1
    second = fresh(message)
    assert second.attempts == 2
    assert (
        before + dt.timedelta(seconds=60)
        <= second.next_attempt_at
        <= timezone.now() + dt.timedelta(seconds=75)
    )

    assert outbox_send_due(now=second.next_attempt_at).sent == 1
    third = fresh(message)
    assert third.status == "sent" and third.provider_message_id == "gw-9" and third.attempts == 3
    assert list(third.delivery_attempts.values_list("outcome", flat=True)) == ["retry", "retry", "sent"]
    assert len(sms_via_gateway.requests) == 3


def test_a_gateway_that_times_out_is_retried(db: None, sms_via_gateway: Gateway) -> None:
    sms_via_gateway.script(Reply(200, delay_seconds=1.5))
    message = login_sms()
    assert outbox_send_due().retried == 1
    message = fresh(message)
    assert message.status == "queued"
    assert message.last_error == "the SMS gateway did not answer within 0.5 s"
    [attempt] = message.delivery_attempts.all()
    assert attempt.outcome == "retry" and 400 <= attempt.duration_ms < 1500


def test_a_gateway_error_400_fails_for_good_at_once(db: None, sms_via_gateway: Gateway) -> None:
    sms_via_gateway.script(Reply(400, {"error": "message text not allowed"}))
    message = login_sms()
    assert outbox_send_due().failed == 1
    message = fresh(message)
    assert message.status == "failed" and message.attempts == 1
    assert "HTTP 400" in message.last_error and "not allowed" in message.last_error
    assert outbox_send_due(now=timezone.now() + LATER).claimed == 0


def test_after_max_attempts_the_message_ends_failed_with_the_last_error(
    db: None, sms_via_gateway: Gateway
) -> None:
    sms_via_gateway.script(Reply(503, "maintenance"))
    message = login_sms()
    outcomes = []
    for _ in range(5):
        counts = outbox_send_due(now=timezone.now() + LATER)
        outcomes.append((counts.retried, counts.failed))
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]  # max_attempts is 3
    message = fresh(message)
    assert message.status == "failed" and message.attempts == 3
    assert message.last_error == "the SMS gateway answered HTTP 503: maintenance"
    assert len(sms_via_gateway.requests) == 3
    assert list(outbox_list_for_staff(status="failed")) == [message]


def test_staff_can_resend_a_failed_message_and_it_is_audited(db: None, sms_via_gateway: Gateway) -> None:
    sms_via_gateway.script(Reply(400, "bad sender id"), Reply(200, {"id": "gw-2"}))
    officer = User.objects.create_user("ac-land-savar", is_staff=True)
    message = login_sms()
    outbox_send_due()
    resent = outbox_resend(message=fresh(message), by_user=officer)
    assert resent.status == "queued" and resent.attempts == 0
    [entry] = resent.resend_log
    assert entry["by"] == "ac-land-savar" and entry["by_user_id"] == officer.pk
    assert "HTTP 400" in entry["previous_error"] and entry["previous_attempts"] == 1
    assert outbox_send_due().sent == 1
    assert fresh(message).status == "sent"
    with pytest.raises(NotResendable):
        outbox_resend(message=fresh(message), by_user=officer)


def test_a_worker_killed_between_claim_and_send_is_retried_exactly_once(
    db: None, sms_via_gateway: Gateway
) -> None:
    message = login_sms()
    # What a killed worker leaves behind: claimed, lease running, nothing recorded.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending", claim_token=uuid.uuid4(), lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert outbox_send_due().claimed == 0  # the lease still runs: perhaps the worker is only slow
    after_lease = timezone.now() + dt.timedelta(minutes=6)
    counts = outbox_send_due(now=after_lease)
    assert (counts.claimed, counts.sent) == (1, 1)
    assert fresh(message).status == "sent"
    for _ in range(3):  # later passes, even long after, never send it again
        assert outbox_send_due(now=after_lease + LATER).claimed == 0
    assert len(sms_via_gateway.requests) == 1
    assert DeliveryAttempt.objects.filter(message=message, outcome="sent").count() == 1


def test_a_late_failure_from_a_worker_that_lost_its_lease_does_not_undo_a_success(
    db: None, sms_via_gateway: Gateway
) -> None:
    from govreach.notify.backends import DeliveryError, backend_for
    from govreach.notify.conf import notify_config
    from govreach.notify.services import _claim, _record  # the two halves of a pass, to interleave them

    config = notify_config()
    message = login_sms()
    slow_token, [_slow] = _claim(limit=10, now=timezone.now(), config=config)
    fast_pass = outbox_send_due(now=timezone.now() + dt.timedelta(minutes=10))  # the slow one's lease ran out
    assert fast_pass.sent == 1
    backend = backend_for("sms", config)
    outcome = _record(fresh(message), token=slow_token, result=DeliveryError("timeout", retryable=True),
                      started=0.0, backend=backend, config=config)  # fmt: skip
    backend.close()
    assert outcome == "retry"
    assert fresh(message).status == "sent"  # the stale worker's failure changed nothing


def test_only_the_limit_is_claimed_per_pass(db: None, sms_via_gateway: Gateway) -> None:
    for i in range(5):
        login_sms(f"login:{i}")
    assert outbox_send_due(limit=2).claimed == 2
    assert outbox_send_due(limit=10).claimed == 3
    assert outbox_list_for_staff(status="sent").count() == 5
    with pytest.raises(ValueError, match="unknown status"):
        outbox_list_for_staff(status="delivered")
