"""The page frame (skip link, home link, footer) speaks the page's language on every page, also on the
pages of apps that do not hand the frame its words (``ui``) themselves."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

FRAME = {
    "en": ["Skip to the content", "GovReach home: all services", "public services declared once"],
    "ko": ["본문으로 건너뛰기"],
    "bn": [],
    "pt": [],
}


@pytest.mark.parametrize("language", ["ko", "bn", "pt", "pt-BR"])
def test_the_frame_is_in_the_page_language_without_ui_words(language: str) -> None:
    request = RequestFactory().get("/")
    html = render_to_string("web/base.html", {"page_lang": language}, request=request)
    assert f'<html lang="{language}">' in html
    for english in FRAME["en"]:
        assert english not in html, f"{english!r} left in English on a {language} page"
    for words in FRAME.get(language, []):
        assert words in html


def test_the_frame_is_english_on_an_english_page() -> None:
    html = render_to_string("web/base.html", {"page_lang": "en"}, request=RequestFactory().get("/"))
    for english in FRAME["en"]:
        assert english in html
