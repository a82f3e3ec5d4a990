"""What the citizen and staff pages share: the page language, the words of the frame, the response headers.

The pages' own words go through Django's translation (``src/govreach/locale``) in the page's language; a
pack's words come in the language chosen among the pack's, marked with ``lang`` where it differs from the
page's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from govreach.web.language import choose_language, language_tag, match_language, preferred_language
from govreach.web.texts import ui_language, ui_texts


def site_languages() -> list[str]:
    """Every site language as packs spell it (``pt-BR``), English first: for pages over many services."""
    return [language_tag(code) for code, _name in settings.LANGUAGES]


def page_context(request: HttpRequest, available: Sequence[str], preferred: str = "") -> dict[str, Any]:
    """The content language, the page's language and the frame's words.

    The content language is ``?lang=``, else the visitor's choice with the language switch, else
    ``preferred`` (the language an application was made in), else the browser's. The page's own words
    follow it (English where the interface catalogue lacks that language); the translation is switched to
    it here, so messages and labels built in Python after this read in the same language as the page.
    """
    language, is_explicit = choose_language(request, available)
    switched = preferred_language(request)
    has_switched = bool(switched and match_language(switched, available))
    if not is_explicit and not has_switched and preferred in available:
        language = preferred
    page_lang = ui_language(language)
    translation.activate(page_lang)
    return {
        "language": language,
        "page_lang": page_lang,
        "ui": ui_texts(page_lang),
        "lang_query": f"?lang={language}" if is_explicit else "",
    }


def respond(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """A private page: never cached, never indexed."""
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Accept-Language"])
    response["X-Robots-Tag"] = "noindex"
    return response
