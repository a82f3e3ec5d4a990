"""Numbers, money and dates in the reader's locale form, with Babel (``1 234,5`` in Portuguese)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils.translation import get_language, to_locale


def babel_locale(language: str | None = None) -> str:
    """Babel's locale for a Django language code (``pt-br`` -> ``pt_BR``)."""
    return to_locale(language or get_language() or settings.LANGUAGE_CODE)


def number(value: int | float | Decimal, *, decimals: int = 0, language: str | None = None) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=babel_locale(language))


def percent(value: float, *, language: str | None = None) -> str:
    """A percentage given as 0-100, with one decimal: ``47.5 %`` / ``47,5%``."""
    return f"{number(value, decimals=1, language=language)}%"


def money(amount: Decimal, currency: str, *, language: str | None = None) -> str:
    return format_currency(amount, currency, locale=babel_locale(language))


def date_long(value: dt.date | dt.datetime, *, language: str | None = None) -> str:
    return format_date(value, format="long", locale=babel_locale(language))
