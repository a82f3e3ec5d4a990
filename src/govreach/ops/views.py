"""Operations views: a health check for load balancers, and the staff page of messages that failed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from govreach.accounts.access import request_user, staff_login_required
from govreach.accounts.selectors import staff_assignment_list_for_user
from govreach.notify.selectors import outbox_failed_for_staff
from govreach.notify.services import NotResendable, outbox_resend
from govreach.web.pages import page_context, respond

FAILED_PAGE_SIZE = 200


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """``ok`` in plain text: the process is up and answers. Open to anyone; it tells nothing about data.

    Deliberately touches no database, so the load test can use it as the cost of Django itself.
    """
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@require_safe
@staff_login_required
def outbox_failed(request: HttpRequest) -> HttpResponse:
    """Staff: the messages that could not be sent in their packs and areas, with the reason, to resend.

    Staff with no role today are refused (403); citizens and anonymous visitors go to the staff login.
    """
    user = request_user(request)
    if not (user.is_superuser or staff_assignment_list_for_user(user)):
        raise PermissionDenied("You have no role on a service today.")
    context = page_context(request, ["en"])
    context["rows"] = [
        {"message": m, "recipient": m.recipient_masked}
        for m in outbox_failed_for_staff(user)[:FAILED_PAGE_SIZE]
    ]
    return respond(request, "ops/outbox_failed.html", context)


@require_POST
@staff_login_required
def outbox_failed_resend(request: HttpRequest, message_id: int) -> HttpResponse:
    """Staff: put one failed message of their packs and areas back in the queue; 404 for any other."""
    user = request_user(request)
    message = outbox_failed_for_staff(user).filter(pk=message_id).first()
    if message is None:
        raise Http404("No such failed message among yours")
    try:
        outbox_resend(message=message, by_user=user)
    except NotResendable:  # another member of staff resent it a moment ago
        messages.info(request, gettext("This message was already queued again."))
    else:
        messages.success(request, gettext("The message is queued again and will be sent shortly."))
    return redirect("ops:outbox_failed")
