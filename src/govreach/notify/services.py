"""Writes to the outbox: enqueue a message with the change that causes it, send what is due, resend.

How a message is sent, and what a crash can and cannot do:

1. A worker *claims* due messages: status ``sending``, a fresh ``claim_token`` and a lease
   (``lease_seconds``), in one short transaction; no transaction is held while talking to a gateway.
2. Just before the gateway call it stamps ``handed_over_at`` (only if it still holds the claim), and after
   the call it resolves the claim: ``sent``, ``queued`` again with a backoff, or ``failed``.
3. A worker killed between 1 and 2 leaves messages never handed over: once the lease runs out the next
   worker sends them normally. A worker killed during the call (``handed_over_at`` set, lease run out)
   leaves an *unknown outcome*. If the backend deduplicates (``Backend.is_idempotent``: an SMS gateway
   configured with ``honours_idempotency_key``), the message is posted again with the same idempotency
   key, so the provider delivers it once: exactly once end to end. Otherwise it is **not** resent but
   failed with a reason that says so, and staff decide after checking with the provider: at most once.
   We chose at most once for gateways that cannot deduplicate because a duplicate "your application
   was approved" or a second login code is worse for a citizen than a delay that staff can see.

A message whose success was recorded is never claimed again, and a late answer from a worker that lost
its lease cannot undo a success (only the claim holder may schedule a retry or give up).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from govreach.notify.backends import Backend, DeliveryError, Outgoing, SendResult, backend_for
from govreach.notify.conf import NotifyConfig, notify_config
from govreach.notify.models import DeliveryAttempt, OutboxMessage
from govreach.notify.privacy import scrub
from govreach.notify.rendering import render
from govreach.registry.models import Area

logger = logging.getLogger(__name__)

_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")

OUTCOME_UNKNOWN = (
    "outcome unknown: the worker stopped while handing this message to a gateway that does not "
    "deduplicate, so it may have been delivered; check with the provider before resending"
)


class InvalidRecipient(ValueError):
    """The recipient does not fit the channel (the message says why, never what the recipient was)."""


class NotResendable(ValueError):
    """Only a failed or cancelled message can be put back in the queue."""


@dataclass(frozen=True)
class SendCounts:
    """What one pass of the worker did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def _check_recipient(channel: str, to: str) -> None:
    if channel == OutboxMessage.Channel.SMS:
        if not _E164.match(to):
            raise InvalidRecipient(
                "an SMS recipient must be a phone number in international form, e.g. +8801712345678 "
                "(normalise it with govreach.accounts.phones.phone_normalise)"
            )
    elif channel == OutboxMessage.Channel.EMAIL:
        try:
            validate_email(to)
        except ValidationError:
            raise InvalidRecipient("an email recipient must be an email address") from None
    elif channel == OutboxMessage.Channel.LETTER:
        if not to.strip():
            raise InvalidRecipient("a letter needs a postal address")
    else:
        raise InvalidRecipient(f"unknown channel '{channel}': use sms, email or letter")


def outbox_enqueue(
    *,
    channel: str,
    to: str,
    message_id: str,
    language: str,
    context: Mapping[str, Any],
    dedupe_key: str,
    pack_id: str | None = None,
    area: Area | None = None,
) -> OutboxMessage:
    """Render ``message_id`` now and queue it, inside the caller's transaction (rolled back with it).

    Idempotent: a second call with the same ``dedupe_key`` returns the first message unchanged. Raises
    MessageNotFound / MessageContextMissing (govreach.notify.rendering) and InvalidRecipient. ``area``:
    the area the message concerns, so that staff of that area can see it if it fails.
    """
    existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    _check_recipient(channel, to)
    rendered = render(
        channel=channel, message_id=message_id, language=language, context=context, pack_id=pack_id
    )
    try:
        # A savepoint, so that losing a race on dedupe_key does not break the caller's transaction.
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                channel=channel,
                recipient=to,
                language=rendered.language,
                pack_id=pack_id,
                message_id=message_id,
                subject=rendered.subject,
                body=rendered.body,
                # As stored (dates as ISO text), so the returned row equals the one read back later.
                context=json.loads(json.dumps(dict(context), cls=DjangoJSONEncoder)),
                dedupe_key=dedupe_key,
                area=area,
            )
    except IntegrityError:
        return OutboxMessage.objects.get(dedupe_key=dedupe_key)
    logger.info("outbox: queued %s '%s' as #%s", channel, message_id, message.pk)
    return message


def _due(now: datetime) -> Q:
    return Q(status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboxMessage.Status.SENDING, lease_expires_at__lte=now
    )


def _claim(*, limit: int, now: datetime, config: NotifyConfig) -> tuple[uuid.UUID, list[OutboxMessage]]:
    """Mark up to ``limit`` due messages 'sending' under a fresh token and lease; return them."""
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = OutboxMessage.objects.filter(_due(now)).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        # Compare-and-set: a row another worker claimed meanwhile is no longer due and is left alone.
        OutboxMessage.objects.filter(_due(now), pk__in=ids).update(
            status=OutboxMessage.Status.SENDING,
            claim_token=token,
            lease_expires_at=now + timedelta(seconds=config.lease_seconds),
        )
    return token, list(OutboxMessage.objects.filter(claim_token=token).order_by("next_attempt_at", "pk"))


def backoff_delay(attempts: int, config: NotifyConfig) -> float:
    """Seconds before retry number ``attempts`` (1-based): base doubling each time, capped, plus jitter."""
    delay: float = min(config.backoff_seconds * 2.0 ** (attempts - 1), config.backoff_max_seconds)
    # Jitter spreads the retries, so a gateway that comes back is not hit by every message at once.
    return delay * (1 + random.uniform(0, config.jitter))


def _record(
    message: OutboxMessage,
    *,
    token: uuid.UUID,
    result: SendResult | DeliveryError,
    started: float,
    backend: Backend,
    config: NotifyConfig,
) -> str:
    """Store one attempt's outcome; return 'sent', 'retry' or 'failed'."""
    now = timezone.now()
    attempts = message.attempts + 1
    duration_ms = int((time.monotonic() - started) * 1000)
    backend_name = type(backend).__name__
    with transaction.atomic():
        if isinstance(result, SendResult):
            outcome, error = DeliveryAttempt.Outcome.SENT, ""
            # A success is recorded even if our lease ran out: the message went, it must not go again.
            OutboxMessage.objects.filter(pk=message.pk).exclude(status=OutboxMessage.Status.SENT).update(
                status=OutboxMessage.Status.SENT, attempts=attempts, sent_at=now,
                provider_message_id=result.provider_message_id[:255], last_error="",
                claim_token=None, lease_expires_at=None, handed_over_at=None,
            )  # fmt: skip
        else:
            error = scrub(str(result), message.recipient)[:2000]
            final = not result.retryable or attempts >= config.max_attempts
            outcome = DeliveryAttempt.Outcome.FAILED if final else DeliveryAttempt.Outcome.RETRY
            next_at = now if final else now + timedelta(seconds=backoff_delay(attempts, config))
            # Only the worker holding the claim may schedule a retry or give up on the message.
            OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
                status=OutboxMessage.Status.FAILED if final else OutboxMessage.Status.QUEUED,
                attempts=attempts, last_error=error, next_attempt_at=next_at,
                claim_token=None, lease_expires_at=None, handed_over_at=None,
            )  # fmt: skip
        DeliveryAttempt.objects.create(
            message=message,
            at=now,
            outcome=outcome,
            error=error,
            duration_ms=duration_ms,
            backend=backend_name,
        )
    return str(outcome)


def outbox_send_due(*, limit: int = 100, now: datetime | None = None) -> SendCounts:
    """Claim up to ``limit`` due messages and send each through its channel's backend.

    Failures are retried with exponential backoff and jitter up to ``max_attempts``, then 'failed' with the
    last error; a permanent refusal (e.g. HTTP 400) fails at once. No transaction is held while sending.
    """
    config = notify_config()
    token, claimed = _claim(limit=limit, now=now or timezone.now(), config=config)
    backends: dict[str, Backend] = {}
    try:
        for channel in sorted({m.channel for m in claimed}):
            backends[channel] = backend_for(channel, config)
    except Exception:
        # A misconfigured backend must not strand the batch in 'sending' until the lease runs out.
        OutboxMessage.objects.filter(claim_token=token).update(
            status=OutboxMessage.Status.QUEUED, claim_token=None, lease_expires_at=None
        )
        for backend in backends.values():
            backend.close()
        raise
    counts = {"sent": 0, "retry": 0, "failed": 0}
    try:
        for message in claimed:
            backend = backends[message.channel]
            outgoing = Outgoing(
                outbox_id=message.pk,
                channel=message.channel,
                to=message.recipient,
                language=message.language,
                subject=message.subject,
                body=message.body,
                idempotency_key=f"govreach-outbox-{message.pk}",
            )
            started = time.monotonic()
            result: SendResult | DeliveryError
            if message.handed_over_at is not None and not backend.is_idempotent:
                # A worker died during the call: a second post might be a second SMS. Not resent.
                result = DeliveryError(OUTCOME_UNKNOWN, retryable=False)
            elif not OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
                handed_over_at=timezone.now()
            ):
                continue  # our lease ran out while earlier messages were sent; another worker has it
            else:
                try:
                    result = backend.send(outgoing)
                except DeliveryError as exc:
                    result = exc
                except Exception as exc:
                    # A bug in a backend must not stop the batch: retried like a network error.
                    logger.exception(
                        "outbox: backend %s crashed on message #%s", type(backend).__name__, message.pk
                    )
                    result = DeliveryError(
                        f"{type(backend).__name__} crashed: {type(exc).__name__}", retryable=True
                    )
            outcome = _record(
                message, token=token, result=result, started=started, backend=backend, config=config
            )
            counts[outcome] += 1
            if outcome == "sent":
                logger.info("outbox: sent #%s (%s '%s')", message.pk, message.channel, message.message_id)
            else:
                logger.warning(
                    "outbox: #%s not sent (%s), %s",
                    message.pk,
                    "will retry" if outcome == "retry" else "failed for good",
                    scrub(str(result), message.recipient),
                )
    finally:
        for backend in backends.values():
            backend.close()
    return SendCounts(
        claimed=len(claimed), sent=counts["sent"], retried=counts["retry"], failed=counts["failed"]
    )


def outbox_resend(*, message: OutboxMessage, by_user: AbstractBaseUser) -> OutboxMessage:
    """Put a failed (or cancelled) message back in the queue with a fresh set of attempts.

    The text stays as rendered at enqueue time. Who did it, when and after what error goes in
    ``resend_log``. Permission is the caller's to check; NotResendable for any other status.
    """
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update(of=("self",)).get(pk=message.pk)
        if locked.status not in (OutboxMessage.Status.FAILED, OutboxMessage.Status.CANCELLED):
            raise NotResendable(
                f"message #{locked.pk} is {locked.status}; only a failed or cancelled one is resent"
            )
        now = timezone.now()
        locked.resend_log = [
            *locked.resend_log,
            {
                "by_user_id": by_user.pk,
                "by": by_user.get_username(),
                "at": now.isoformat(),
                "previous_status": locked.status,
                "previous_attempts": locked.attempts,
                "previous_error": locked.last_error,
            },
        ]
        locked.status = OutboxMessage.Status.QUEUED
        locked.attempts = 0
        locked.next_attempt_at = now
        locked.last_error = ""
        locked.handed_over_at = None
        locked.save(
            update_fields=[
                "resend_log",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "handed_over_at",
            ]
        )
    logger.info("outbox: #%s queued again by user %s", locked.pk, by_user.pk)
    return locked
