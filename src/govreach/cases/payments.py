"""Payment providers: a small protocol the real gateways (mobile wallets, banks) implement later.

``settings.CASES_PAYMENT_PROVIDER`` is the dotted path of the provider class; the built-in
``DemoPaymentProvider`` confirms every payment at once and must never run in production.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from govreach.cases.models import Payment

DEFAULT_PROVIDER = "govreach.cases.payments.DemoPaymentProvider"


@dataclass(frozen=True)
class PaymentStart:
    """Where to send the payer (``redirect_url``) or what to tell them (``instructions``)."""

    provider_reference: str
    redirect_url: str | None = None
    instructions: str = ""


class PaymentProvider(Protocol):
    """A payment gateway: start a payment, then confirm it with the gateway's own reference."""

    name: str

    def start(self, payment: Payment) -> PaymentStart:
        """Open the payment at the gateway; nothing is charged yet."""
        ...

    def confirm(self, payment: Payment, reference: str) -> bool:
        """Whether the gateway says ``reference`` paid ``payment`` in full."""
        ...


class DemoPaymentProvider:
    """Confirms every payment immediately: for the demo and tests only."""

    name = "demo"

    def start(self, payment: Payment) -> PaymentStart:
        reference = f"DEMO-{secrets.token_hex(6).upper()}"
        return PaymentStart(
            provider_reference=reference,
            instructions=f"Demo payment of {payment.currency} {payment.amount}: nothing is charged.",
        )

    def confirm(self, payment: Payment, reference: str) -> bool:
        return bool(reference)


@cache
def _provider(path: str) -> PaymentProvider:
    provider: PaymentProvider = import_string(path)()
    return provider


def payment_provider() -> PaymentProvider:
    """The provider configured in ``settings.CASES_PAYMENT_PROVIDER`` (the demo provider by default)."""
    return _provider(str(getattr(settings, "CASES_PAYMENT_PROVIDER", DEFAULT_PROVIDER)))
