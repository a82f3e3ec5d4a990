"""Choosing the page language: ?lang=, then Accept-Language, among the languages the content has."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from govreach.web.language import accept_language, choose_language, text_and_language


def test_accept_language_orders_by_quality_and_drops_zero() -> None:
    assert accept_language("en;q=0.5, pt-PT, ko;q=0, bn;q=0.8") == ["pt-PT", "bn", "en"]
    assert accept_language("") == []
    assert accept_language("*;q=0.5, fr;q=bad") == []


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("?lang=pt", "en", ("pt", True)),
        ("?lang=PT", "", ("pt", True)),
        ("?lang=pt-BR", "", ("pt", True)),
        ("?lang=fr", "pt-PT,en;q=0.5", ("pt", False)),
        ("", "ko, en;q=0.5", ("en", False)),
        ("", "", ("en", False)),
    ],
)
def test_choose_language(query: str, header: str, expected: tuple[str, bool]) -> None:
    request = RequestFactory().get("/" + query, headers={"accept-language": header} if header else {})
    assert choose_language(request, ["pt", "en"]) == expected


def test_text_and_language_says_which_language_the_text_is_in() -> None:
    texts = {"pt": "Olá", "en": "Hello"}
    assert text_and_language(texts, "pt-BR") == ("Olá", "pt")
    assert text_and_language(texts, "ko") == ("Hello", "en")
    assert text_and_language({"bn": "নমস্কার"}, "en") == ("নমস্কার", "bn")
    assert text_and_language(None, "en") == ("", "en")
