"""Which language to show a page in: ``?lang=``, else the browser's Accept-Language, else English.

Only languages the content exists in are chosen; a regional variant matches its base (pt-PT -> pt).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.http import HttpRequest

DEFAULT_LANGUAGE = "en"


def _match(wanted: str, available: Sequence[str]) -> str | None:
    wanted = wanted.strip().lower()
    if not wanted:
        return None
    lowered = {a.lower(): a for a in available}
    if wanted in lowered:
        return lowered[wanted]
    base = wanted.split("-")[0]
    if base in lowered:
        return lowered[base]
    return next((a for a in available if a.lower().split("-")[0] == base), None)


def accept_language(header: str) -> list[str]:
    """Language tags from an Accept-Language header, most preferred first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def choose_language(request: HttpRequest, available: Iterable[str]) -> tuple[str, bool]:
    """The page language among ``available`` and whether the visitor chose it with ``?lang=``."""
    options = list(dict.fromkeys(available))
    asked = request.GET.get("lang", "")
    chosen = _match(asked, options) if asked else None
    if chosen:
        return chosen, True
    for tag in accept_language(request.headers.get("Accept-Language", "")):
        chosen = _match(tag, options)
        if chosen:
            return chosen, False
    return DEFAULT_LANGUAGE, False


def text_and_language(texts: dict[str, str] | None, language: str) -> tuple[str, str]:
    """The text in ``language`` (or its base, else English, else any) and the language it is in."""
    if not texts:
        return "", language
    if language in texts:
        return texts[language], language
    base = language.split("-")[0]
    for lang, text in texts.items():
        if lang.split("-")[0] == base:
            return text, lang
    if DEFAULT_LANGUAGE in texts:
        return texts[DEFAULT_LANGUAGE], DEFAULT_LANGUAGE
    lang, text = next(iter(texts.items()))
    return text, lang


def language_name(code: str) -> str:
    """The language's name in itself (Português, 한국어), from settings.LANGUAGES."""
    names = dict(settings.LANGUAGES)
    return str(names.get(code) or names.get(code.split("-")[0]) or code)
