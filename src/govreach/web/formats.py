"""Amounts, numbers and dates as a reader of the page's language writes them, with Babel's CLDR data.

``pt`` is Portugal's Portuguese (``1 170,00 €``), ``pt-br`` Brazil's (``R$ 1.170,00``). Babel formats
with Latin digits only; a language whose CLDR default numbering system has digits of its own (Bengali:
০–৯) gets them substituted, as a Bengali reader writes numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, list_currencies
from django.utils import timezone

# The languages whose Babel locale is not simply their code: ours ``pt`` is Portugal's.
_LOCALES = {"pt": "pt_PT", "pt-br": "pt_BR"}
# Digits of the CLDR numbering systems GovReach's languages use by default, zero to nine.
_NATIVE_DIGITS = {"beng": "০১২৩৪৫৬৭৮৯"}
_LATIN_DIGITS = "0123456789"

Number = int | float | Decimal
# ISO 4217 codes Babel knows: a pack parameter whose unit is one of them is an amount of money.
CURRENCIES = frozenset(list_currencies())


@cache
def babel_locale(language: str) -> Locale:
    """The Babel locale of a page language (``pt-br`` -> ``pt_BR``), English for one Babel lacks."""
    code = language.replace("_", "-").lower()
    name = _LOCALES.get(code) or _LOCALES.get(code.split("-")[0]) or code.replace("-", "_")
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@cache
def _digits(language: str) -> dict[int, int] | None:
    native = _NATIVE_DIGITS.get(babel_locale(language).default_numbering_system)
    return str.maketrans(_LATIN_DIGITS, native) if native else None


def _native(text: str, language: str) -> str:
    table = _digits(language)
    return text.translate(table) if table else text


def money_text(amount: Number, currency: str, language: str) -> str:
    """``amount`` of ``currency`` (ISO 4217) in ``language``: ``€1,170.00``, ``1 170,00 €``, ``১,১৭০.০০৳``."""
    return _native(format_currency(Decimal(str(amount)), currency, locale=babel_locale(language)), language)


def number_text(value: Number, language: str) -> str:
    """A count or a measure with the language's separators: ``12,345``, ``12 345``, ``১২,৩৪৫``."""
    return _native(format_decimal(value, locale=babel_locale(language)), language)


def date_long_text(day: dt.date, language: str) -> str:
    """A day as a sentence writes it: ``March 9, 2026``, ``9 de março de 2026``, ``৯ মার্চ, ২০২৬``.

    A datetime is shown as its day in the site's time zone.
    """
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    return _native(format_date(day, format="long", locale=babel_locale(language)), language)


def time_text(moment: dt.datetime | dt.time, language: str) -> str:
    """The time of day of ``moment`` (in the site's time zone): ``2:05 PM``, ``14:05``, ``오후 2:05``."""
    if isinstance(moment, dt.datetime):
        moment = (timezone.localtime(moment) if timezone.is_aware(moment) else moment).time()
    return _native(format_time(moment, format="short", locale=babel_locale(language)), language)
