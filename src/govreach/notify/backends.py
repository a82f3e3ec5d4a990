"""Delivery backends behind a small typed registry: console (demo), SMTP email, SMS over an HTTP gateway.

A backend gets an ``Outgoing`` (plain data, never an ORM row) and either returns a ``SendResult`` or
raises ``DeliveryError`` saying whether a retry may succeed. Backends never log the recipient.
"""

from __future__ import annotations

import smtplib
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import make_msgid
from typing import ClassVar, TextIO, TypeVar

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.core.mail.utils import DNS_NAME
from django.utils.module_loading import import_string

from govreach.notify.conf import NotifyConfig
from govreach.notify.privacy import recipient_mask


@dataclass(frozen=True)
class Outgoing:
    """What a backend needs to deliver one message; ``to`` is personal data and stays out of repr."""

    outbox_id: int
    channel: str
    to: str = field(repr=False)
    language: str
    subject: str
    body: str
    idempotency_key: str  # the same for every attempt, so a gateway that dedupes can do so

    @property
    def to_masked(self) -> str:
        return recipient_mask(self.to)


@dataclass(frozen=True)
class SendResult:
    """The backend accepted the message; ``provider_message_id`` is the provider's reference, if any."""

    provider_message_id: str = ""


class DeliveryError(Exception):
    """The backend did not accept the message. ``retryable``: a later attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Backend(ABC):
    """Delivers messages of one or more channels; built once per worker run from ``NotifyConfig``."""

    channels: ClassVar[tuple[str, ...]] = ("sms", "email", "letter")

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config

    @abstractmethod
    def send(self, message: Outgoing) -> SendResult:
        """Deliver ``message``; raise DeliveryError when it was not accepted."""

    @property
    def is_idempotent(self) -> bool:
        """Whether handing the same message (same ``idempotency_key``) over twice delivers it once.

        Decides what happens to a message whose worker died mid-call: posted again if True, else failed
        with "outcome unknown" for staff to check (never a blind second SMS).
        """
        return False

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections at the end of a worker run."""


B = TypeVar("B", bound=type[Backend])


class BackendRegistry:
    """Backends by short name (``console``, ``smtp``, ``http_sms``); settings may also give a dotted path."""

    def __init__(self) -> None:
        self._backends: dict[str, type[Backend]] = {}

    def register(self, name: str) -> Callable[[B], B]:
        def decorator(cls: B) -> B:
            if name in self._backends:
                raise ValueError(f"a notification backend named '{name}' is already registered")
            self._backends[name] = cls
            return cls

        return decorator

    def __contains__(self, name: str) -> bool:
        return name in self._backends

    def names(self) -> list[str]:
        return sorted(self._backends)

    def resolve(self, name_or_path: str, channel: str) -> type[Backend]:
        """The backend class for a registry name or a dotted path; ImproperlyConfigured naming the fix."""
        if name_or_path in self._backends:
            cls: object = self._backends[name_or_path]
        else:
            try:
                cls = import_string(name_or_path)
            except ImportError:
                raise ImproperlyConfigured(
                    f"GOVREACH_NOTIFY['backends']['{channel}'] = '{name_or_path}' is neither a registered "
                    f"backend ({', '.join(self.names())}) nor an importable class"
                ) from None
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise ImproperlyConfigured(f"'{name_or_path}' is not a govreach.notify.backends.Backend")
        if channel not in cls.channels:
            raise ImproperlyConfigured(
                f"{cls.__name__} cannot send '{channel}' messages (it sends {', '.join(cls.channels)})"
            )
        return cls


registry = BackendRegistry()


@registry.register("console")
class ConsoleBackend(Backend):
    """For the demo and development: prints the channel, the masked recipient and the text to stdout."""

    stream: TextIO | None = None  # None: sys.stdout at the time of sending

    @property
    def is_idempotent(self) -> bool:
        return True  # printing a demo message twice harms no one

    def send(self, message: Outgoing) -> SendResult:
        out = self.stream or sys.stdout
        subject = f"\n  subject: {message.subject}" if message.subject else ""
        body = "\n  ".join(message.body.splitlines())
        out.write(
            f"[notify] {message.channel} #{message.outbox_id} to {message.to_masked} "
            f"({message.language}){subject}\n  {body}\n"
        )
        out.flush()
        return SendResult(provider_message_id=f"console-{message.outbox_id}")


@registry.register("smtp")
class SMTPEmailBackend(Backend):
    """Email over SMTP with Django's ``EMAIL_HOST``/``EMAIL_PORT``/``EMAIL_USE_TLS``/... settings.

    A 5xx reply refusing the recipient or the message is permanent; connection trouble and 4xx are retried.
    """

    channels: ClassVar[tuple[str, ...]] = ("email",)

    def send(self, message: Outgoing) -> SendResult:
        message_id = make_msgid(domain=str(DNS_NAME))
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=self.config.email_from or settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id, "Content-Language": message.language},
            connection=get_connection("django.core.mail.backends.smtp.EmailBackend", fail_silently=False),
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"the server refused the recipient (SMTP {', '.join(map(str, codes))})",
                retryable=all(400 <= c < 500 for c in codes),
            ) from None
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            raise DeliveryError(
                f"SMTP {exc.smtp_code}: {text[:200]}",
                retryable=not 500 <= exc.smtp_code < 600,
            ) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP connection: {type(exc).__name__}: {exc}", retryable=True) from None
        return SendResult(provider_message_id=message_id)


@registry.register("http_sms")
class HttpSmsBackend(Backend):
    """SMS through an HTTP gateway: POST JSON ``{to, text, sender, reference}`` with an API key header.

    2xx: sent, the provider id read from the JSON reply; timeouts, network errors, 429 and 5xx: retried;
    any other 4xx: the gateway will never accept it, failed for good.
    """

    channels: ClassVar[tuple[str, ...]] = ("sms",)

    def __init__(self, config: NotifyConfig) -> None:
        super().__init__(config)
        gateway = config.sms_gateway
        if not gateway.url:
            raise ImproperlyConfigured(
                "HttpSmsBackend needs GOVREACH_NOTIFY['sms_gateway']['url'] (and usually 'api_key')"
            )
        self.gateway = gateway
        headers = {"Accept": "application/json"}
        if gateway.api_key:
            headers[gateway.api_key_header] = gateway.api_key
        timeout = httpx.Timeout(gateway.timeout_seconds, connect=min(5.0, gateway.timeout_seconds))
        self.client = httpx.Client(timeout=timeout, headers=headers, follow_redirects=False)

    @property
    def is_idempotent(self) -> bool:
        return self.gateway.honours_idempotency_key

    def send(self, message: Outgoing) -> SendResult:
        payload = {
            "to": message.to,
            "text": message.body,
            "sender": self.gateway.sender,
            "reference": message.idempotency_key,
        }
        try:
            response = self.client.post(
                self.gateway.url, json=payload, headers={"Idempotency-Key": message.idempotency_key}
            )
        except httpx.TimeoutException:
            raise DeliveryError(
                f"the SMS gateway did not answer within {self.gateway.timeout_seconds:g} s", retryable=True
            ) from None
        except httpx.TransportError as exc:
            raise DeliveryError(
                f"the SMS gateway could not be reached: {type(exc).__name__}", retryable=True
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = response.json()
            except ValueError:
                data = None
            provider_id = data.get(self.gateway.id_field) if isinstance(data, dict) else None
            return SendResult(provider_message_id=str(provider_id) if provider_id is not None else "")
        detail = response.text[:200].strip()
        retryable = status >= 500 or status == 429
        raise DeliveryError(f"the SMS gateway answered HTTP {status}: {detail}", retryable=retryable)

    def close(self) -> None:
        self.client.close()


def backend_for(channel: str, config: NotifyConfig) -> Backend:
    """A new instance of the backend configured for ``channel``."""
    name = config.backends.get(channel)
    if not name:
        raise ImproperlyConfigured(f"no backend for '{channel}' in GOVREACH_NOTIFY['backends']")
    return registry.resolve(name, channel)(config)
