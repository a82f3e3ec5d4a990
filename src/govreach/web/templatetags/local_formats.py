"""Template filters for amounts, numbers and dates in the page's language (the active translation).

``{% load local_formats %}`` then ``{{ fee.amount|money:fee.currency }}``, ``{{ count|number }}``,
``{{ application.submitted_at|date_long }}``, ``{{ hearing.scheduled_at|time_short }}``. An empty value
gives an empty string, so a template can show its own words instead.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import translation

from govreach.web import formats

register = template.Library()


def _language() -> str:
    return translation.get_language() or "en"


def _number(value: object) -> int | float | Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def money(amount: object, currency: str) -> str:
    """``amount`` in ``currency`` (ISO 4217) as the page's language writes money."""
    value = _number(amount)
    return "" if value is None or not currency else formats.money_text(value, str(currency), _language())


@register.filter
def number(value: object) -> str:
    """A count or a measure with the page language's separators (and digits)."""
    parsed = _number(value)
    return "" if parsed is None else formats.number_text(parsed, _language())


@register.filter
def date_long(day: object) -> str:
    """A date (or a datetime's day) as the page's language writes it in a sentence."""
    return formats.date_long_text(day, _language()) if isinstance(day, dt.date) else ""


@register.filter
def time_short(moment: object) -> str:
    """The time of day of a datetime or a time, as the page's language writes it."""
    return formats.time_text(moment, _language()) if isinstance(moment, dt.datetime | dt.time) else ""
