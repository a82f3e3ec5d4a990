"""``AuditMiddleware``: append an entry for each state change and each view of a person's data by a
signed-in staff user, intermediary, partner or auditor (see ``recording`` for what is declared where).

It runs after the view, so it knows whether the view succeeded and who was signed in: a sign-in is
recorded as the user it signed in, a sign-out as the user it signed out. Citizens acting on their
own data and anonymous visitors are not recorded. One entry per request at most (a few small reads
and one INSERT, under the chain lock). A view that records an explicit entry in its own transaction
(``audit_record(request=...)``) is not recorded a second time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse

from govreach.audit.log import _ROLE_CACHE_ATTR, DetailValue, audit_record
from govreach.audit.recording import (
    NO_PERSON_DATA,
    PERSON_PAGES,
    SAFE_STRING_KWARGS,
    admin_person,
    admin_person_model,
)

_UNSAFE_ACTION_RE = re.compile(r"[^a-z0-9_]")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _is_audited_user(request: HttpRequest, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Staff, intermediaries, partners and auditors all sign in with both factors; admins are is_staff."""
    from govreach.accounts.access import SESSION_STAFF_VERIFIED

    if user is None or not user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    return bool(
        getattr(user, "is_staff", False) or (session is not None and session.get(SESSION_STAFF_VERIFIED))
    )


def _action_base(request: HttpRequest) -> str:
    match = request.resolver_match
    assert match is not None
    namespaces = ["api"] if request.path.startswith("/api/") else match.namespaces or ["site"]
    parts = [_UNSAFE_ACTION_RE.sub("_", part.lower()) for part in (*namespaces, match.url_name or "page")]
    return ".".join(part if part[:1].isalpha() else f"x{part}" for part in parts)


def _kwarg_detail(kwargs: Mapping[str, Any]) -> dict[str, DetailValue]:
    from govreach.audit.log import _check_detail

    detail: dict[str, DetailValue] = {}
    for key, value in kwargs.items():
        is_id = isinstance(value, int) and (key == "pk" or key.endswith("_id"))
        if is_id or (isinstance(value, str) and key in SAFE_STRING_KWARGS):
            detail[key] = value
        elif isinstance(value, str) and value.isdigit() and len(value) < 12 and key.endswith("_id"):
            detail[key] = int(value)
    # Drop whatever the log would refuse (a crafted URL must not turn into a 500).
    safe: dict[str, DetailValue] = {}
    for key, value in detail.items():
        try:
            _check_detail({key: value})
        except ValueError:
            continue
        safe[key] = value
    return safe


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user_before = getattr(request, "user", None)
        was_audited = _is_audited_user(request, user_before)
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None:
            return response
        is_change = request.method not in READ_METHODS
        if is_change and getattr(request, "_audit_recorded", False):
            return response
        view_name = match.view_name
        page = PERSON_PAGES.get(view_name)
        admin_model = admin_person_model(match.url_name or "") if match.namespaces == ["admin"] else None
        shows_person = page is not None or admin_model is not None
        if not is_change and not (shows_person and 200 <= response.status_code < 300):
            return response
        actor: AbstractBaseUser | AnonymousUser | None = getattr(request, "user", None)
        token = getattr(request, "auth", None)
        from govreach.entitlements.models import PartnerToken

        if isinstance(token, PartnerToken):
            actor = None
            setattr(request, _ROLE_CACHE_ATTR, (None, "partner-token"))
        elif was_audited and not _is_audited_user(request, actor):
            actor = user_before  # a sign-out: record who signed out
        elif not _is_audited_user(request, actor):
            return response
        detail: dict[str, DetailValue] = _kwarg_detail(match.kwargs)
        detail["status"] = response.status_code
        if is_change:
            detail["method"] = request.method
        if isinstance(token, PartnerToken):
            detail["partner_id"] = token.partner_id
            detail["token_id"] = token.pk
        person, subject = None, None
        if page is not None and page.find is not None:
            person, subject = page.find(request, match.kwargs)
        elif admin_model is not None:
            person = admin_person(admin_model, match.kwargs)
            detail["model"] = admin_model
        action = _action_base(request) + ("" if is_change else ".view")
        audit_record(
            action=action,
            request=request,
            actor=actor if actor is not None else AnonymousUser(),
            person=person,
            subject=subject,
            detail=detail,
        )
        return response


__all__ = ["NO_PERSON_DATA", "PERSON_PAGES", "AuditMiddleware"]
