"""Amounts, numbers and dates in each language's own form, as Babel's CLDR data writes them.

The expected strings are written out, not derived from Babel: a change of data or of locale mapping
(``pt`` is Portugal's Portuguese) shows here. ``\\xa0`` is the no-break space CLDR puts in amounts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from govreach.catalogue.models import ServicePack
from govreach.web.formats import date_long_text, money_text, number_text, time_text

LANGUAGES = ("en", "pt", "pt-br", "bn", "ko")

FEE_BDT = {
    "en": "BDT1,170.00",
    "pt": "1\xa0170,00\xa0BDT",
    "pt-br": "BDT\xa01.170,00",
    "bn": "১,১৭০.০০৳",
    "ko": "BDT1,170.00",
}
TARIFF_EUR = {
    "en": "€6,272.64",
    "pt": "6\xa0272,64\xa0€",
    "pt-br": "€\xa06.272,64",
    "bn": "৬,২৭২.৬৪€",
    "ko": "€6,272.64",
}
GRANT_BRL = {
    "en": "R$600.00",
    "pt": "600,00\xa0R$",
    "pt-br": "R$\xa0600,00",
    "bn": "৬০০.০০R$",
    "ko": "R$600.00",
}
COUNT = {
    "en": "1,234,567",
    "pt": "1\xa0234\xa0567",
    "pt-br": "1.234.567",
    "bn": "১২,৩৪,৫৬৭",
    "ko": "1,234,567",
}
DEADLINE = {
    "en": "March 9, 2026",
    "pt": "9 de março de 2026",
    "pt-br": "9 de março de 2026",
    "bn": "৯ মার্চ, ২০২৬",
    "ko": "2026년 3월 9일",
}
HEARING_TIME = {"en": "2:05\u202fPM", "pt": "14:05", "pt-br": "14:05", "bn": "২:০৫ PM", "ko": "오후 2:05"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_money_numbers_and_dates_in_each_language_s_form(language: str) -> None:
    assert money_text(Decimal("1170"), "BDT", language) == FEE_BDT[language]
    assert money_text(6272.64, "EUR", language) == TARIFF_EUR[language]
    assert money_text(600, "BRL", language) == GRANT_BRL[language]
    assert number_text(1234567, language) == COUNT[language]
    assert date_long_text(dt.date(2026, 3, 9), language) == DEADLINE[language]
    assert time_text(dt.time(14, 5), language) == HEARING_TIME[language]


def test_a_datetime_shows_the_day_in_the_site_s_time_zone(settings: object) -> None:
    late = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    with timezone.override("Asia/Dhaka"):  # UTC+6: already the 10th in Dhaka
        assert date_long_text(late, "en") == "March 10, 2026"
        assert time_text(late, "en") == "5:30\u202fAM"


def test_a_language_babel_lacks_falls_back_to_english() -> None:
    assert money_text(5, "EUR", "xx") == "€5.00"


FILTERS = Template(
    "{% load local_formats %}{{ amount|money:currency }}|{{ count|number }}|{{ day|date_long }}"
    "|{{ moment|time_short }}|{{ missing|money:currency }}|{{ missing|date_long }}"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_template_filters_follow_the_page_language(language: str) -> None:
    context = Context(
        {
            "amount": Decimal("1170.00"),
            "currency": "BDT",
            "count": 1234567,
            "day": dt.date(2026, 3, 9),
            "moment": dt.time(14, 5),
            "missing": None,
        }
    )
    with translation.override(language):
        text = FILTERS.render(context)
    assert text == f"{FEE_BDT[language]}|{COUNT[language]}|{DEADLINE[language]}|{HEARING_TIME[language]}||"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "limit"),
    [("en", "€6,272.64"), ("pt", "6\xa0272,64\xa0€"), ("pt-BR", "€\xa06.272,64"), ("bn", "৬,২৭২.৬৪€")],
)
def test_the_service_page_shows_the_tariff_s_income_limit_as_its_readers_write_money(
    client: Client, pt_service_pack: ServicePack, lang: str, limit: str
) -> None:
    html = client.get(f"/services/pt-social-energy-tariff/?lang={lang}").content.decode()
    assert f"<strong>{limit}</strong>" in html
