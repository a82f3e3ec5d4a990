"""Phone numbers: one canonical form (E.164) for storage and lookup, and a mask for anything a human reads.

A phone number identifies a citizen; it never goes into a URL, a log line or a cache key in clear.
"""

from __future__ import annotations

import re

from django.conf import settings

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
_SEPARATORS = re.compile(r"[\s().\-/]")


class InvalidPhone(ValueError):
    """The text is not a phone number in international form."""


def phone_normalise(raw: str) -> str:
    """The E.164 form of ``raw`` (``+8801712345678``); spaces, dashes, brackets and ``00`` are accepted.

    A national number starting with ``0`` is accepted only when ``ACCOUNTS_DEFAULT_CALLING_CODE``
    (e.g. ``"880"``) is set. Raises ``InvalidPhone`` otherwise.
    """
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    calling_code = str(getattr(settings, "ACCOUNTS_DEFAULT_CALLING_CODE", "") or "")
    if calling_code and text.startswith("0") and not text.startswith("00"):
        text = f"+{calling_code}{text[1:]}"
    if not E164.match(text):
        raise InvalidPhone(raw)
    return text


def phone_mask(phone: str) -> str:
    """``+8801712345678`` -> ``+880••••••••78``: enough to recognise one's own number, not to dial it."""
    if len(phone) <= 6:
        return "•" * len(phone)
    return phone[:4] + "•" * (len(phone) - 6) + phone[-2:]
