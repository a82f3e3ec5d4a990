"""Template helpers of the page frame: who is signed in (links only), without touching anonymous sessions,
and the languages of the language switch."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from govreach.accounts.access import is_staff_verified
from govreach.accounts.selectors import citizen_account_for
from govreach.web.language import language_tag, site_language

register = template.Library()


@register.filter
def has_session_cookie(request: HttpRequest | None) -> bool:
    """Whether the visitor has a session at all: public pages for strangers then never read one."""
    return request is not None and settings.SESSION_COOKIE_NAME in request.COOKIES


@register.simple_tag
def account_links(request: HttpRequest | None) -> list[tuple[str, str]]:
    """(label, url) of the signed-in visitor's own pages, for the header; empty for strangers."""
    if not has_session_cookie(request):
        return []
    assert request is not None
    if is_staff_verified(request):
        links = [(_("Your work"), reverse("accounts:staff_home")), (_("Cases"), reverse("web:staff_queue"))]
        if settings.DEBUG:
            links.append((_("Demo SMS"), reverse("web:staff_outbox")))
        return [*links, (_("Sign out"), reverse("accounts:logout"))]
    if citizen_account_for(request.user) is not None:
        return [
            (_("Your applications"), reverse("web:account_applications")),
            (_("Sign out"), reverse("accounts:logout")),
        ]
    return []


@register.simple_tag
def language_choices(request: HttpRequest | None) -> list[dict[str, object]]:
    """Every site language for the switch: its code, its BCP 47 tag, its name in itself, whether current.

    The current one is the language chosen for this request (``?lang=``, the person's choice, the
    browser's), not the page frame's, which may fall back to English where a page is not translated.
    """
    current = site_language(getattr(request, "LANGUAGE_CODE", None) or translation.get_language())
    return [
        {"code": code, "tag": language_tag(code), "name": name, "is_current": code == current}
        for code, name in settings.LANGUAGES
    ]
