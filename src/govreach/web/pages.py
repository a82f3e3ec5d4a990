"""What the citizen and staff pages share: the page language, the words of the frame, the response headers.

The pages' own words are English (Django's translation catalogue can add others); a pack's words come
in the language chosen among the pack's, marked with ``lang`` where it differs from the page's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from govreach.web.language import choose_language, match_language, preferred_language
from govreach.web.texts import ui_texts

PAGE_LANGUAGE = "en"


def page_context(request: HttpRequest, available: Sequence[str], preferred: str = "") -> dict[str, Any]:
    """The content language and the frame's words.

    The content language is ``?lang=``, else the visitor's choice with the language switch, else
    ``preferred`` (the language an application was made in), else the browser's.
    """
    language, is_explicit = choose_language(request, available)
    switched = preferred_language(request)
    has_switched = bool(switched and match_language(switched, available))
    if not is_explicit and not has_switched and preferred in available:
        language = preferred
    return {
        "language": language,
        "page_lang": PAGE_LANGUAGE,
        "ui": ui_texts(PAGE_LANGUAGE),
        "lang_query": f"?lang={language}" if is_explicit else "",
    }


def respond(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """A private page: never cached, never indexed."""
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    patch_vary_headers(response, ["Accept-Language"])
    response["X-Robots-Tag"] = "noindex"
    return response
