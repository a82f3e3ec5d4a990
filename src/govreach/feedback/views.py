"""Pages: the one-question rating of a completed service (citizens), filing a grievance (anyone), its
status by reference and secret code (anyone holding both), and the staff queue at their level and area.

No page puts personal data in its URL; the grievance's reference and code are given once after filing.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from govreach.accounts.access import (
    acting_for,
    citizen_login_required,
    is_staff_verified,
    request_user,
    staff_login_required,
)
from govreach.accounts.selectors import citizen_account_for, intermediary_for, staff_assignment_list_for_user
from govreach.audit.log import audit_record
from govreach.catalogue.selectors import service_pack_list
from govreach.feedback import selectors, services
from govreach.feedback.forms import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    GrievanceForm,
    HandleForm,
    RatingForm,
    StatusForm,
)
from govreach.feedback.models import Grievance
from govreach.packs.loader import text_in
from govreach.registry.models import Area
from govreach.web.texts import ui_language, ui_texts

SESSION_FILED = "feedback.filed"


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    page = {"ui": ui_texts(language), "page_lang": ui_language(language), "language": language}
    response = render(request, f"feedback/{template}", {**page, **context}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _service_titles(language: str) -> dict[str, str]:
    return {sp.pack_id: text_in(sp.titles, language) or sp.pack_id for sp in service_pack_list()}


# ---------------------------------------------------------------------------------------------------
# Rating


@never_cache
@require_http_methods(["GET"])
@citizen_login_required
def rate_list(request: HttpRequest) -> HttpResponse:
    """The citizen's completed services, each with its rating or a link to give one."""
    account = citizen_account_for(request.user)
    assert account is not None
    titles = _service_titles(get_language() or "en")
    items = [
        {"service": s, "title": titles.get(s.service, s.service)}
        for s in selectors.completed_services_for_citizen(account)
    ]
    return _render(request, "rate_list.html", {"items": items})


@never_cache
@require_http_methods(["GET", "POST"])
@citizen_login_required
def rate(request: HttpRequest, kind: str, key: int) -> HttpResponse:
    """One question (how satisfied, 5 points) and an optional comment about one completed service."""
    account = citizen_account_for(request.user)
    assert account is not None
    service = selectors.completed_service_for_citizen(account, kind=kind, key=str(key))
    if service is None:
        raise Http404("No completed service of yours here.")
    title = _service_titles(get_language() or "en").get(service.service, service.service)
    question = _("How satisfied are you with %(service)s?") % {"service": title}
    context: dict[str, Any] = {"service": service, "title": title}
    if service.rating is not None:
        if request.method == "POST":  # a second click: the first answer stands
            return HttpResponseRedirect(reverse("feedback:rate", kwargs={"kind": kind, "key": key}))
        return _render(request, "rate_done.html", context)
    form = RatingForm(request.POST or None, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_submit(
                account=account,
                kind=kind,
                key=str(key),
                rating=int(form.cleaned_data["rating"]),
                comment=form.cleaned_data["comment"],
            )
        except services.NotPermitted:
            raise Http404("No completed service of yours here.") from None
        messages.success(request, _("Thank you. Your answer helps us improve the service."))
        return HttpResponseRedirect(reverse("feedback:rate", kwargs={"kind": kind, "key": key}))
    context["form"] = form
    return _render(request, "rate.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------------------
# Filing a grievance


def _is_recording_staff(request: HttpRequest) -> bool:
    """Staff or an intermediary recording a complaint received at a counter or by phone."""
    if not is_staff_verified(request) or acting_for(request) is not None:
        return False
    user = request.user
    return bool(staff_assignment_list_for_user(user) or intermediary_for(user) or user.is_staff)


@never_cache
@require_http_methods(["GET", "POST"])
def grievance_new(request: HttpRequest) -> HttpResponse:
    """File a grievance: signed in or not, for oneself, for a citizen (intermediary), or as staff."""
    language = get_language() or "en"
    citizen = acting_for(request)
    recording = _is_recording_staff(request)
    own_account = citizen_account_for(request.user) if citizen is None and not recording else None
    services_choices = sorted(_service_titles(language).items(), key=lambda kv: kv[1])
    initial: dict[str, Any] = {"idempotency_key": uuid.uuid4().hex}
    complainant_account = citizen or own_account
    person = complainant_account.person if complainant_account is not None else None
    if person is not None and person.area is not None:
        initial["area"] = person.area.code
    form = GrievanceForm(
        request.POST or None, initial=initial, services=services_choices, staff_sources=recording
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = Area.objects.filter(code=data["area"]).first()
        if area is None:
            form.add_error("area", _("Choose where it happened"))
        else:
            signed_in = request.user if request.user.is_authenticated else None
            if citizen is not None:
                source, complainant, filed_by = Grievance.Source.INTERMEDIARY, citizen.user, signed_in
            elif recording:
                source, complainant, filed_by = data["source"], None, signed_in
            else:
                complainant = signed_in if own_account is not None else None
                source, filed_by = Grievance.Source.WEB, None
            try:
                filed = services.grievance_file(
                    category=data["category"],
                    area=area,
                    text=data["text"],
                    source=source,
                    service=data["service"] or "",
                    complainant=complainant,
                    filed_by=filed_by,
                    contact_channel=data["contact_channel"] or "",
                    contact=data["contact"] or "",
                    language=language,
                    idempotency_key=data["idempotency_key"],
                    request=request,
                )
            except services.FeedbackError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, _error_text(exc))
            else:
                if filed.secret is not None:
                    request.session[SESSION_FILED] = {
                        "reference": filed.grievance.reference,
                        "secret": filed.secret,
                    }
                return HttpResponseRedirect(reverse("feedback:grievance_filed"))
    context = {"form": form, "citizen": citizen, "recording": recording}
    return _render(request, "grievance_new.html", context, status=400 if form.errors else 200)


def _error_text(exc: services.FeedbackError) -> str:
    known = {
        "contact": _("Enter a phone number in international form or an email address"),
        "category": _("Choose what your complaint is about"),
        "text": _("Say what happened"),
    }
    return known.get(exc.field, _("The complaint could not be filed. Check your answers."))


@never_cache
@require_http_methods(["GET"])
def grievance_filed(request: HttpRequest) -> HttpResponse:
    """The reference and code of the grievance just filed, shown once; later visits go to the status page."""
    filed = request.session.pop(SESSION_FILED, None)
    if not filed:
        return HttpResponseRedirect(reverse("feedback:grievance_status"))
    grievance = Grievance.objects.filter(reference=filed["reference"]).first()
    return _render(request, "grievance_filed.html", {"filed": filed, "grievance": grievance})


# ---------------------------------------------------------------------------------------------------
# Status


def _status_context(grievance: Grievance) -> dict[str, Any]:
    events = [
        {
            "at": e["at"],
            "action": ACTION_LABELS.get(e["action"], e["action"]),
            "tier": TIER_LABELS.get(e["tier"], e["tier"]),
            "note": e["note"] if e["action"] in ("replied", "resolved", "rejected") else "",
        }
        for e in selectors.grievance_public_events(grievance)
    ]
    return {
        "grievance": grievance,
        "status_label": STATUS_LABELS.get(grievance.status, grievance.status),
        "tier_label": TIER_LABELS.get(grievance.tier, grievance.tier),
        "category_label": CATEGORY_LABELS.get(grievance.category, grievance.category),
        "is_overdue": grievance.is_overdue(),
        "events": events,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def grievance_status(request: HttpRequest) -> HttpResponse:
    """The status by reference and code (sent by POST so the code never sits in a URL or a log)."""
    form = StatusForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "not_found": False}
    if request.method == "POST" and form.is_valid():
        grievance = selectors.grievance_for_status(
            form.cleaned_data["reference"], form.cleaned_data["secret"]
        )
        if grievance is None:
            context["not_found"] = True
        else:
            context.update(_status_context(grievance))
    return _render(request, "grievance_status.html", context)


# ---------------------------------------------------------------------------------------------------
# Staff


def _require_handler(request: HttpRequest) -> None:
    if not selectors.grievance_assignments(request.user):
        raise PermissionDenied("You handle no grievances.")


@never_cache
@require_http_methods(["GET"])
@staff_login_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The open grievances at the officer's level in their area, overdue first."""
    _require_handler(request)
    now = timezone.now()
    rows = [
        {
            "grievance": g,
            "category": CATEGORY_LABELS.get(g.category, g.category),
            "status": STATUS_LABELS.get(g.status, g.status),
            "tier": TIER_LABELS.get(g.tier, g.tier),
            "is_overdue": g.is_overdue(now),
        }
        for g in selectors.grievance_queue_for_staff(request.user)
    ]
    return _render(request, "staff_queue.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
@staff_login_required
def staff_grievance(request: HttpRequest, reference: str) -> HttpResponse:
    """One grievance with its text and history; reply, resolve or reject it. Others' grievances: 403."""
    _require_handler(request)
    grievance = Grievance.objects.select_related("area", "handling_area").filter(reference=reference).first()
    if grievance is None:
        raise Http404("No such grievance.")
    if not selectors.grievance_may_handle(request.user, grievance):
        raise PermissionDenied("This grievance is handled at another level or in another area.")
    if request.method == "GET":
        # The complaint's words are personal data: each reading by staff goes in the audit log.
        audit_record(
            action="grievance.view",
            request=request,
            subject=grievance,
            detail={"reference": grievance.reference, "tier": grievance.tier},
        )
    form = HandleForm(request.POST or None)
    page_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        action, note = form.cleaned_data["action"], form.cleaned_data["note"]
        user = request_user(request)
        try:
            if action == "reply":
                services.grievance_reply(grievance=grievance, by_user=user, note=note, request=request)
            elif action == "resolve":
                services.grievance_resolve(grievance=grievance, by_user=user, note=note, request=request)
            else:
                services.grievance_reject(grievance=grievance, by_user=user, reason=note, request=request)
        except services.NotPermitted:
            raise PermissionDenied("This grievance is handled at another level or in another area.") from None
        except services.FeedbackError:
            page_errors.append(_("This grievance is closed: nothing more can be done on it."))
        else:
            messages.success(request, _("Done. The complainant is told."))
            return HttpResponseRedirect(reverse("feedback:staff_grievance", kwargs={"reference": reference}))
    context = {
        **_status_context(grievance),
        "form": form,
        "page_errors": page_errors,
        "staff_events": list(grievance.events.select_related("actor").order_by("at", "pk")),
    }
    return _render(
        request, "staff_grievance.html", context, status=400 if form.errors or page_errors else 200
    )
