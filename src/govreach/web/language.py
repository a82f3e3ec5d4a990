"""Which language to show a page in: ``?lang=``, else the language the visitor chose with the switch
(kept with their account when signed in, else in this browser's language cookie), else the browser's
Accept-Language, else English.

Only languages the content exists in are chosen; a regional variant matches its base (pt-PT -> pt).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.http import HttpRequest

DEFAULT_LANGUAGE = "en"
# The signed-in person's stored language, copied into their session at sign-in and by the switch.
SESSION_KEY = "govreach_language"


def match_language(wanted: str, available: Sequence[str]) -> str | None:
    """The entry of ``available`` that ``wanted`` names (any case), else one of its base language."""
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


def site_language(code: str | None) -> str | None:
    """``code`` as settings.LANGUAGES spells it (``pt-BR`` -> ``pt-br``), or None if the site lacks it."""
    if not code:
        return None
    return match_language(code.replace("_", "-"), [c for c, _name in settings.LANGUAGES])


def language_tag(code: str) -> str:
    """The BCP 47 tag packs and messages use for a settings.LANGUAGES code: ``pt-br`` -> ``pt-BR``."""
    base, _, region = code.replace("_", "-").partition("-")
    return f"{base.lower()}-{region.upper()}" if region else base.lower()


def preferred_language(request: HttpRequest) -> str | None:
    """The language the visitor chose with the switch, as settings.LANGUAGES spells it, or None.

    Signed in, it is the one stored with their account (in their session since they signed in), so it
    follows them from device to device; otherwise this browser's language cookie. A stranger's session
    is never read: only a visitor who has a session cookie has one.
    """
    if settings.SESSION_COOKIE_NAME in request.COOKIES and hasattr(request, "session"):
        stored = site_language(request.session.get(SESSION_KEY))
        if stored:
            return stored
    return site_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))


def asked_language(request: HttpRequest) -> str | None:
    """The site language named by ``?lang=`` on this request, or None."""
    return site_language(request.GET.get("lang", ""))


def choose_language(request: HttpRequest, available: Iterable[str]) -> tuple[str, bool]:
    """The page language among ``available`` and whether the visitor chose it with ``?lang=``."""
    options = list(dict.fromkeys(available))
    asked = request.GET.get("lang", "")
    chosen = match_language(asked, options) if asked else None
    if chosen:
        return chosen, True
    preferred = preferred_language(request)
    chosen = match_language(preferred, options) if preferred else None
    if chosen:
        return chosen, False
    for tag in accept_language(request.headers.get("Accept-Language", "")):
        chosen = match_language(tag, options)
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


def language_on_sign_in(
    sender: object, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: object
) -> None:
    """At sign-in, on any device: apply the language the person chose before, or keep the one they just
    chose on this device (with the switch, before signing in) as their choice from now on."""
    if request is None or not hasattr(request, "session"):
        return
    from govreach.accounts.selectors import language_preference_for
    from govreach.accounts.services import language_preference_set

    stored = site_language(language_preference_for(user))
    if stored:
        request.session[SESSION_KEY] = stored
        return
    chosen = site_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if chosen and isinstance(user, User):
        language_preference_set(user=user, language=language_tag(chosen))
        request.session[SESSION_KEY] = chosen
