"""Sign-in pages (staff: password then authenticator code; citizens: phone then SMS code), the citizen's
consents, and the assisted-channel pages where an intermediary starts and stops acting for a citizen.

Views parse, check, call one service and render. Phone numbers travel in the session, never in URLs.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from govreach.accounts import services
from govreach.accounts.access import (
    SESSION_STAFF_VERIFIED,
    acting_for_consent,
    acting_for_start,
    acting_for_stop,
    citizen_login_required,
    client_ip,
    request_user,
    staff_login_required,
)
from govreach.accounts.forms import AssistSignedForm, AssistStartForm, CodeForm, PhoneForm, StaffLoginForm
from govreach.accounts.models import Consent, Intermediary, StaffTOTPDevice
from govreach.accounts.phones import phone_mask
from govreach.accounts.selectors import (
    citizen_account_for,
    consent_list_for_citizen,
    consent_list_for_intermediary,
    intermediary_for,
    staff_assignment_list_for_user,
)
from govreach.accounts.throttle import (
    CODE_FAILURES_PER_IP,
    STAFF_FAILURES_PER_IP,
    STAFF_FAILURES_PER_USERNAME,
    Throttled,
    throttle_check,
    throttle_clear,
    throttle_hit,
)
from govreach.web.texts import ui_language, ui_texts

logger = logging.getLogger(__name__)

SESSION_STAFF_PENDING = "accounts.staff_pending"
SESSION_CITIZEN_PHONE = "accounts.citizen_phone"
SESSION_ASSIST_PENDING = "accounts.assist_pending"
SESSION_NEXT = "accounts.next"
STAFF_PENDING_SECONDS = 300
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    page = {"ui": ui_texts(language), "page_lang": ui_language(language), "language": language}
    return render(request, f"accounts/{template}", {**page, **context}, status=status)


def _throttled_message(exc: Throttled) -> str:
    return ngettext(
        "Too many attempts. For your security, wait %(minutes)d minute and try again.",
        "Too many attempts. For your security, wait %(minutes)d minutes and try again.",
        exc.minutes,
    ) % {"minutes": exc.minutes}


def _remember_next(request: HttpRequest) -> None:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[SESSION_NEXT] = target


def _next_or(request: HttpRequest, default: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(request.session.pop(SESSION_NEXT, None) or reverse(default))


# --- staff -----------------------------------------------------------------------------------------


def _pending_user(request: HttpRequest) -> User | None:
    """The user who passed the password step in this session within the last 5 minutes."""
    pending = request.session.get(SESSION_STAFF_PENDING)
    if not pending or time.time() - float(pending.get("at", 0)) > STAFF_PENDING_SECONDS:
        request.session.pop(SESSION_STAFF_PENDING, None)
        return None
    return User.objects.filter(pk=pending.get("user_id"), is_active=True).first()


def _staff_checks(request: HttpRequest, username: str) -> tuple[tuple[Any, str], ...]:
    return (
        (STAFF_FAILURES_PER_USERNAME, username.strip().lower()),
        (STAFF_FAILURES_PER_IP, client_ip(request)),
    )


def _staff_complete(request: HttpRequest, user: User) -> HttpResponseRedirect:
    target = request.session.get(SESSION_NEXT)
    login(request, user, backend=_MODEL_BACKEND)
    request.session[SESSION_STAFF_VERIFIED] = True
    request.session.pop(SESSION_STAFF_PENDING, None)
    if target:
        request.session[SESSION_NEXT] = target
    throttle_clear(STAFF_FAILURES_PER_USERNAME, user.get_username().strip().lower())
    logger.info("staff user %s signed in with both factors", user.pk)
    return _next_or(request, "accounts:staff_home")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    """Step 1 of 2: username and password. Success leads to the code step; nobody is signed in yet."""
    if request.method == "GET":
        _remember_next(request)
        return _render(request, "staff_login.html", {"form": StaffLoginForm()})
    form = StaffLoginForm(request.POST)
    if not form.is_valid():
        return _render(request, "staff_login.html", {"form": form})
    checks = _staff_checks(request, form.cleaned_data["username"])
    try:
        throttle_check(*checks)
    except Throttled as exc:
        form.add_error(None, _throttled_message(exc))
        return _render(request, "staff_login.html", {"form": form}, status=429)
    user = authenticate(
        request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
    )
    if not isinstance(user, User):
        throttle_hit(*checks)
        logger.info("staff password refused (ip %s)", client_ip(request))
        # One message whether the username exists or not: no user enumeration.
        form.add_error(None, _("The username or password is not correct. Check them and try again."))
        return _render(request, "staff_login.html", {"form": form})
    request.session.cycle_key()
    request.session[SESSION_STAFF_PENDING] = {"user_id": user.pk, "at": time.time()}
    device = StaffTOTPDevice.objects.filter(user=user).first()
    if device is None or not device.is_confirmed:
        return redirect("accounts:staff_totp_setup")
    return redirect("accounts:staff_login_verify")


@never_cache
@require_http_methods(["GET", "POST"])
def staff_login_verify(request: HttpRequest) -> HttpResponse:
    """Step 2 of 2: the code from the authenticator app. Only now is the session signed in."""
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Your sign-in took too long or has not started. Sign in again."))
        return redirect("accounts:staff_login")
    if request.method == "GET":
        return _render(request, "staff_login_verify.html", {"form": CodeForm()})
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _render(request, "staff_login_verify.html", {"form": form})
    checks = _staff_checks(request, user.get_username())
    try:
        throttle_check(*checks)
    except Throttled as exc:
        form.add_error(None, _throttled_message(exc))
        return _render(request, "staff_login_verify.html", {"form": form}, status=429)
    if not services.staff_totp_verify(user=user, code=form.cleaned_data["code"]):
        throttle_hit(*checks)
        form.add_error(
            "code", _("The code is not correct or was already used. Enter the code your app shows now.")
        )
        return _render(request, "staff_login_verify.html", {"form": form})
    return _staff_complete(request, user)


def _qr_svg(uri: str) -> SafeString:
    # segno writes only path data for the modules; the URI itself never reaches the markup as text.
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, omitsize=False)
    return mark_safe(svg)  # noqa: S308


@never_cache
@require_http_methods(["GET", "POST"])
def staff_totp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app after the password step: QR code and text, then one code to confirm."""
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in with your password first, then set up your authenticator app."))
        return redirect("accounts:staff_login")
    try:
        device = services.staff_totp_device_start(user=user)
    except PermissionDenied:
        return redirect("accounts:staff_login_verify")
    uri = services.staff_totp_provisioning_uri(device=device)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        checks = _staff_checks(request, user.get_username())
        try:
            throttle_check(*checks)
        except Throttled as exc:
            form.add_error(None, _throttled_message(exc))
            status = 429
        else:
            if services.staff_totp_verify(user=user, code=form.cleaned_data["code"]):
                logger.warning("authenticator enrolled for staff user %s", user.pk)
                return _staff_complete(request, user)
            throttle_hit(*checks)
            form.add_error("code", _("The code is not correct. Enter the code your app shows now."))
    secret_groups = " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4))
    context = {"form": form, "qr_svg": _qr_svg(uri), "uri": uri, "secret": secret_groups}
    return _render(request, "staff_totp_setup.html", context, status=status)


@staff_login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """What the signed-in staff user may do: their assignments and, for intermediaries, their centre."""
    user = request_user(request)
    context = {
        "assignments": staff_assignment_list_for_user(user),
        "intermediary": intermediary_for(user),
    }
    return _render(request, "staff_home.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST); GET shows the button, so a link or a prefetch never signs anyone out."""
    if request.method == "POST":
        logout(request)
        return _render(request, "logged_out.html", {})
    return _render(request, "logout.html", {})


# --- citizens --------------------------------------------------------------------------------------


@sensitive_post_parameters("phone")
@never_cache
@require_http_methods(["GET", "POST"])
def citizen_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the citizen's mobile number; a 6-digit code goes to it by SMS."""
    if request.method == "GET":
        _remember_next(request)
        return _render(request, "citizen_login.html", {"form": PhoneForm()})
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _render(request, "citizen_login.html", {"form": form})
    phone = form.cleaned_data["phone"]
    try:
        services.login_code_send(phone=phone, language=get_language() or "", client_ip=client_ip(request))
    except Throttled as exc:
        form.add_error(None, _throttled_message(exc))
        return _render(request, "citizen_login.html", {"form": form}, status=429)
    request.session[SESSION_CITIZEN_PHONE] = phone
    return redirect("accounts:citizen_login_code")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def citizen_login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS (or ask for a new one). A first sign-in creates the account."""
    phone = request.session.get(SESSION_CITIZEN_PHONE)
    if not phone:
        return redirect("accounts:citizen_login")
    context: dict[str, Any] = {"masked_phone": phone_mask(phone)}
    if request.method == "GET":
        return _render(request, "citizen_login_code.html", {**context, "form": CodeForm()})
    if "resend" in request.POST:
        try:
            services.login_code_send(phone=phone, language=get_language() or "", client_ip=client_ip(request))
        except Throttled as exc:
            context.update(form=CodeForm(), page_errors=[_throttled_message(exc)])
            return _render(request, "citizen_login_code.html", context, status=429)
        messages.success(request, _("We sent a new code. Codes sent earlier no longer work."))
        return redirect("accounts:citizen_login_code")
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _render(request, "citizen_login_code.html", {**context, "form": form})
    try:
        account = services.login_code_verify(
            phone=phone,
            code=form.cleaned_data["code"],
            client_ip=client_ip(request),
            language=get_language() or "",
        )
    except Throttled as exc:
        form.add_error(None, _throttled_message(exc))
        return _render(request, "citizen_login_code.html", {**context, "form": form}, status=429)
    except services.CodeRejected as exc:
        form.add_error("code", _code_error(exc.reason))
        return _render(request, "citizen_login_code.html", {**context, "form": form})
    target = request.session.get(SESSION_NEXT)
    login(request, account.user, backend=_MODEL_BACKEND)
    request.session.pop(SESSION_CITIZEN_PHONE, None)
    if target:
        request.session[SESSION_NEXT] = target
    return _next_or(request, "accounts:citizen_home")


def _code_error(reason: str) -> str:
    if reason == "wrong":
        return _("The code is not correct. Check the 6 digits in the SMS and try again.")
    if reason == "used_up":
        return _("Too many wrong codes. Ask for a new code.")
    return _("This code has expired or a newer code was sent. Ask for a new code.")


@citizen_login_required
def citizen_home(request: HttpRequest) -> HttpResponse:
    """The citizen's own page: who they are signed in as and where to manage consents."""
    return _render(request, "citizen_home.html", {"account": citizen_account_for(request.user)})


@citizen_login_required
def citizen_consents(request: HttpRequest) -> HttpResponse:
    """The consents the citizen gave to intermediaries, active and past, each active one revocable."""
    account = citizen_account_for(request.user)
    assert account is not None
    return _render(request, "citizen_consents.html", {"consents": consent_list_for_citizen(citizen=account)})


@citizen_login_required
@require_POST
def citizen_consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    """Revoke one of the citizen's own consents (404 for anyone else's)."""
    account = citizen_account_for(request.user)
    consent = Consent.objects.filter(pk=consent_id, citizen=account).select_related("intermediary").first()
    if consent is None:
        raise Http404
    services.consent_revoke(consent=consent, by_user=request_user(request))
    messages.success(
        request,
        _("%(centre)s can no longer act for you.") % {"centre": consent.intermediary.centre_name},
    )
    return redirect("accounts:citizen_consents")


# --- the assisted channel -------------------------------------------------------------------------


def _intermediary_or_403(request: HttpRequest) -> Intermediary:
    intermediary = intermediary_for(request.user)
    if intermediary is None:
        raise PermissionDenied("Only intermediaries can assist citizens.")
    return intermediary


def _start_acting(request: HttpRequest, consent: Consent) -> HttpResponseRedirect:
    acting_for_start(request, consent=consent)
    request.session.pop(SESSION_ASSIST_PENDING, None)
    messages.success(
        request,
        format_html(_("You are now acting for the citizen with phone {}."), consent.citizen.masked_phone),
    )
    return redirect("accounts:assist")


@staff_login_required
@sensitive_post_parameters("phone")
@require_http_methods(["GET", "POST"])
def assist(request: HttpRequest) -> HttpResponse:
    """Start assisting a citizen by phone: at once when consent is active, else a code goes to them."""
    intermediary = _intermediary_or_403(request)
    language = get_language() or "en"
    form = AssistStartForm(request.POST or None, language=language)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_request(
                intermediary=intermediary,
                citizen_phone=form.cleaned_data["phone"],
                pack_id=form.cleaned_data["pack_id"],
            )
        except Throttled as exc:
            form.add_error(None, _throttled_message(exc))
            status = 429
        else:
            if consent.is_active:
                return _start_acting(request, consent)
            request.session[SESSION_ASSIST_PENDING] = consent.pk
            return redirect("accounts:assist_code")
    context = {
        "form": form,
        "current": acting_for_consent(request),
        "consents": consent_list_for_intermediary(intermediary=intermediary),
        "intermediary": intermediary,
    }
    return _render(request, "assist.html", context, status=status)


@staff_login_required
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def assist_code(request: HttpRequest) -> HttpResponse:
    """The consent code the citizen received by SMS and reads out; on success, act for them."""
    intermediary = _intermediary_or_403(request)
    consent = (
        Consent.objects.filter(pk=request.session.get(SESSION_ASSIST_PENDING, 0), intermediary=intermediary)
        .select_related("citizen")
        .first()
    )
    if consent is None or consent.revoked_at is not None:
        request.session.pop(SESSION_ASSIST_PENDING, None)
        return redirect("accounts:assist")
    context: dict[str, Any] = {"masked_phone": consent.citizen.masked_phone}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            throttle_check((CODE_FAILURES_PER_IP, ip))
            consent = services.consent_confirm(consent=consent, code=form.cleaned_data["code"])
        except Throttled as exc:
            form.add_error(None, _throttled_message(exc))
            return _render(request, "assist_code.html", {**context, "form": form}, status=429)
        except services.CodeRejected as exc:
            throttle_hit((CODE_FAILURES_PER_IP, ip))
            form.add_error("code", _code_error(exc.reason))
        except services.ConsentNotPending:
            request.session.pop(SESSION_ASSIST_PENDING, None)
            return redirect("accounts:assist")
        else:
            return _start_acting(request, consent)
    return _render(request, "assist_code.html", {**context, "form": form})


@staff_login_required
@sensitive_post_parameters("phone")
@require_http_methods(["GET", "POST"])
def assist_signed(request: HttpRequest) -> HttpResponse:
    """Record a consent form the citizen signed on paper, then act for them."""
    intermediary = _intermediary_or_403(request)
    form = AssistSignedForm(request.POST or None, request.FILES or None, language=get_language() or "en")
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_record_signed(
                intermediary=intermediary,
                citizen_phone=form.cleaned_data["phone"],
                pack_id=form.cleaned_data["pack_id"],
                upload=form.cleaned_data["document"],
            )
        except services.UploadRejected as exc:
            form.add_error("document", str(exc))
        else:
            return _start_acting(request, consent)
    return _render(request, "assist_signed.html", {"form": form})


@staff_login_required
@require_POST
def assist_stop(request: HttpRequest) -> HttpResponse:
    """Stop acting for the citizen."""
    acting_for_stop(request)
    messages.success(request, _("You are no longer acting for a citizen."))
    return redirect("accounts:assist")
