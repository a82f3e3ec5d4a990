"""Request-level access: who is signed in and how, and for whom an intermediary is acting.

Other apps import from here: ``staff_login_required`` and ``citizen_login_required`` guard views;
``acting_for(request)`` says which citizen an intermediary is acting for, re-checking the consent on
every request so that a revoked consent ends the assistance at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from govreach.accounts.models import CitizenAccount, Consent, Intermediary
from govreach.accounts.selectors import citizen_account_for, intermediary_for

#: Set when a staff user passed both the password and the authenticator code.
SESSION_STAFF_VERIFIED = "accounts.staff_verified"
#: ``{"consent_id": int}`` while an intermediary acts for a citizen.
SESSION_ACTING_FOR = "accounts.acting_for"
_CACHE_ATTR = "_accounts_acting_for"

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)


def client_ip(request: HttpRequest) -> str:
    """The peer address. Behind a proxy, have it set REMOTE_ADDR (X-Forwarded-For is not trusted here)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def is_staff_verified(request: HttpRequest) -> bool:
    """True when the session was signed in by the staff login, password and authenticator code both."""
    return bool(request.user.is_authenticated and request.session.get(SESSION_STAFF_VERIFIED))


def _to_login(request: HttpRequest, url_name: str) -> HttpResponseRedirect:
    return redirect_to_login(request.get_full_path(), reverse(url_name))


def staff_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let only staff signed in with both factors through; others go to the staff login page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff_verified(request):
            return _to_login(request, "accounts:staff_login")
        return view(request, *args, **kwargs)

    return wrapped


def citizen_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let only citizens signed in with their phone through; others go to the citizen login page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if citizen_account_for(request.user) is None:
            return _to_login(request, "accounts:citizen_login")
        return view(request, *args, **kwargs)

    return wrapped


def acting_for_consent(request: HttpRequest) -> Consent | None:
    """The active consent the signed-in intermediary is acting under, or None (clearing a stale one)."""
    if hasattr(request, _CACHE_ATTR):
        cached: Consent | None = getattr(request, _CACHE_ATTR)
        return cached
    consent: Consent | None = None
    state = request.session.get(SESSION_ACTING_FOR) if hasattr(request, "session") else None
    if state and is_staff_verified(request) and request.user.pk is not None:
        consent = (
            Consent.objects.select_related("citizen", "intermediary")
            .filter(
                pk=state.get("consent_id"),
                intermediary__user_id=request.user.pk,
                intermediary__is_active=True,
                granted_at__isnull=False,
                revoked_at__isnull=True,
            )
            .first()
        )
    if state and consent is None:
        del request.session[SESSION_ACTING_FOR]
    setattr(request, _CACHE_ATTR, consent)
    return consent


def acting_for(request: HttpRequest) -> CitizenAccount | None:
    """The citizen the signed-in intermediary is acting for under an active consent, or None."""
    consent = acting_for_consent(request)
    return consent.citizen if consent is not None else None


def acting_for_start(request: HttpRequest, *, consent: Consent) -> None:
    """Act for ``consent``'s citizen from now on; ``PermissionError`` unless it is active and ours."""
    intermediary: Intermediary | None = intermediary_for(request.user)
    if not (is_staff_verified(request) and intermediary is not None):
        raise PermissionError("Only a signed-in intermediary can act for a citizen.")
    if not (consent.is_active and consent.intermediary_id == intermediary.pk):
        raise PermissionError("There is no active consent from this citizen.")
    request.session[SESSION_ACTING_FOR] = {"consent_id": consent.pk}
    setattr(request, _CACHE_ATTR, consent)


def acting_for_stop(request: HttpRequest) -> None:
    """Stop acting for anyone."""
    request.session.pop(SESSION_ACTING_FOR, None)
    setattr(request, _CACHE_ATTR, None)


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view guarded by ``staff_login_required`` or ``citizen_login_required``."""
    user = request.user
    assert isinstance(user, User)
    return user
