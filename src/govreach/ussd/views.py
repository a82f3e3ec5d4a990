"""Gateway callbacks: the USSD menus (``POST /ussd/``) and inbound SMS (``POST /sms/inbound/``).

Gateways cannot send a CSRF token, so the views are exempt and the gateway proves itself with a shared
secret instead (``X-Gateway-Secret`` header or ``secret`` query parameter, compared in constant time).
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from govreach.ussd import conf
from govreach.ussd.services import sms_inbound_handle, ussd_request_handle

logger = logging.getLogger(__name__)


def gateway_is_authentic(request: HttpRequest, env_name: str) -> bool:
    """Whether the request carries the gateway's shared secret; with none configured, only under DEBUG."""
    expected = conf.gateway_secret(env_name)
    if not expected:
        if settings.DEBUG:
            return True
        logger.error("%s is not set: gateway callbacks are refused", env_name)
        return False
    given = request.headers.get(conf.SECRET_HEADER) or request.GET.get(conf.SECRET_QUERY_PARAMETER, "")
    return hmac.compare_digest(given.encode(), expected.encode())


def _plain(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def ussd_callback(request: HttpRequest) -> HttpResponse:
    """Africa's Talking style: form fields sessionId, serviceCode, phoneNumber, text -> ``CON``/``END``."""
    if not gateway_is_authentic(request, conf.USSD_SECRET_ENV):
        return _plain("forbidden", 403)
    session_id = request.POST.get("sessionId", "").strip()
    phone = request.POST.get("phoneNumber", "").strip()
    if not session_id or not phone or len(session_id) > 100:
        return _plain("sessionId and phoneNumber are required", 400)
    reply = ussd_request_handle(
        session_id=session_id,
        service_code=request.POST.get("serviceCode", ""),
        phone=phone,
        text_path=request.POST.get("text", ""),
    )
    return _plain(reply)


@csrf_exempt
@require_POST
def sms_inbound_callback(request: HttpRequest) -> HttpResponse:
    """The SMS gateway's inbound message: form fields ``from``, ``text`` and optionally ``id``."""
    if not gateway_is_authentic(request, conf.SMS_INBOUND_SECRET_ENV):
        return _plain("forbidden", 403)
    sender = request.POST.get("from", "").strip()
    if not sender:
        return _plain("from is required", 400)
    outcome = sms_inbound_handle(
        sender=sender, body=request.POST.get("text", ""), gateway_id=request.POST.get("id", "").strip()
    )
    return _plain(outcome)
