"""The page language for one request, on top of Django's LocaleMiddleware (cookie, then Accept-Language).

``?lang=`` names the language of one page (links and tests rely on it); a signed-in person's stored
choice, kept in their session since they signed in, wins over this browser's cookie, so the language
follows the person rather than the device.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers

from govreach.web.language import asked_language, preferred_language


class PreferredLanguageMiddleware:
    """Activates ``?lang=``, else the visitor's chosen language; after LocaleMiddleware and sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        language = asked_language(request) or preferred_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # The language cookie changes the page: a shared cache must not serve it to another visitor.
        patch_vary_headers(response, ["Cookie"])
        return response
