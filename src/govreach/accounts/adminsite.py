"""The admin site behind the staff sign-in: its own password-only login page would skip the second factor.

``require_second_factor`` makes the admin send people to ``/staff/login/`` and admit only sessions
that passed both the password and the authenticator code.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from govreach.accounts.access import is_staff_verified


def require_second_factor(site: AdminSite) -> None:
    """Make ``site`` use the two-step staff sign-in instead of its own login form."""
    original = site.has_permission

    def has_permission(request: HttpRequest) -> bool:
        return original(request) and is_staff_verified(request)

    def login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index", current_app=site.name)
        return redirect_to_login(target, reverse("accounts:staff_login"))

    # Instance attributes shadow the class's methods for this site only.
    setattr(site, "has_permission", has_permission)  # noqa: B010
    setattr(site, "login", login)  # noqa: B010
