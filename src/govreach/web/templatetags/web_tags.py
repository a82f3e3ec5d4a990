"""Template helpers of the page frame: who is signed in (links only), without touching anonymous sessions."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from govreach.accounts.access import is_staff_verified
from govreach.accounts.selectors import citizen_account_for

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
        links = [("Your work", reverse("accounts:staff_home")), ("Cases", reverse("web:staff_queue"))]
        if settings.DEBUG:
            links.append(("Demo SMS", reverse("web:staff_outbox")))
        return [*links, ("Sign out", reverse("accounts:logout"))]
    if citizen_account_for(request.user) is not None:
        return [
            ("Your applications", reverse("web:account_applications")),
            ("Sign out", reverse("accounts:logout")),
        ]
    return []
