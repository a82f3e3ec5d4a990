"""The citizen's applications: their own and those an intermediary filed for them, each with its stage,
hearing, decision, the fee after approval (e-Mutation: Tk 1,100) and the issued record to download.

Another person's reference gives the same 404 as a reference that does not exist.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govreach.accounts.access import citizen_login_required, request_user
from govreach.accounts.selectors import citizen_account_for
from govreach.cases.models import Application, Hearing, RecordCopy
from govreach.cases.selectors import application_list_for_citizen
from govreach.cases.services import pack_of
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable
from govreach.packs.loader import Pack, text_in
from govreach.packs.workflow import Workflow
from govreach.web import selectors
from govreach.web.apply import confirm_payment, fees_due, start_payment
from govreach.web.language import text_and_language
from govreach.web.pages import page_context, respond, site_languages
from govreach.web.texts import DECISION_OUTCOMES, PAYMENT_STATUSES


def _stage(pack: Pack, state: str, language: str) -> str:
    workflow = pack.workflow
    if not isinstance(workflow, Workflow) or state not in workflow.states:
        return _("Draft, not submitted yet") if state == "draft" else state
    return text_in(workflow.states[state].public_title, language)


def _row(application: Application, language: str) -> dict[str, Any]:
    try:
        pack = pack_of(application)
    except (ServicePackNotFound, ServicePackUnavailable):
        return {"application": application, "title": application.pack_id, "stage": application.state}
    url = (
        reverse("web:account_application", kwargs={"reference": application.reference})
        if application.reference
        else reverse("web:apply_start", kwargs={"pack_id": application.pack_id})
    )
    return {
        "application": application,
        "title": pack.title(language),
        "stage": _stage(pack, application.state, language),
        "url": url,
        "is_overdue": application.is_overdue() and not _is_final(pack, application.state),
        "is_assisted": application.submitted_by_id != application.applicant_id,
    }


def payment_rows(pack: Pack, application: Application, language: str) -> list[dict[str, Any]]:
    """Every payment of the application with the fee's title in ``language``."""
    workflow = pack.workflow
    fees = workflow.fees if isinstance(workflow, Workflow) else {}
    return [
        {
            "payment": p,
            "title": text_in(fees[p.purpose].title, language) if p.purpose in fees else p.purpose,
            "status": PAYMENT_STATUSES.get(p.status, p.get_status_display()),
        }
        for p in application.payments.all()
    ]


def _is_final(pack: Pack, state: str) -> bool:
    workflow = pack.workflow
    return isinstance(workflow, Workflow) and state in workflow.states and workflow.states[state].is_terminal


@require_http_methods(["GET"])
@citizen_login_required
def account_applications(request: HttpRequest) -> HttpResponse:
    """The citizen's applications, newest first, and drafts they can resume."""
    account = citizen_account_for(request.user)
    assert account is not None
    context = page_context(request, site_languages(), preferred=account.preferred_language)
    language = context["language"]
    submitted = [a for a in application_list_for_citizen(account) if not a.is_draft]
    drafts = list(selectors.drafts_for_citizen(account.user))
    context.update(
        {
            "account": account,
            "applications": [_row(a, language) for a in submitted],
            "drafts": [_row(a, language) for a in drafts],
        }
    )
    return respond(request, "web/account/applications.html", context)


def _application_or_404(request: HttpRequest, reference: str) -> Application:
    application = selectors.application_for_citizen(reference=reference[:32], user=request_user(request))
    if application is None:
        raise Http404("No such application")
    return application


@require_http_methods(["GET"])
@citizen_login_required
def account_application(request: HttpRequest, reference: str) -> HttpResponse:
    """One application: stage, dates, hearing, decision with reasons, fees to pay, the record."""
    application = _application_or_404(request, reference)
    pack = pack_of(application)
    context = page_context(request, pack.languages, preferred=application.language)
    language = context["language"]
    fees = fees_due(pack, application, application.state)
    hearing = application.hearings.order_by("-scheduled_at").first()
    decision = application.decisions.order_by("-decided_at").first()
    record = RecordCopy.objects.filter(application=application).first()
    events = [
        {"at": e.at, "stage": _stage(pack, e.to_state, language)}
        for e in application.events.exclude(to_state="").exclude(to_state="draft").order_by("at", "pk")
        if e.to_state != e.from_state or e.action == "submit"
    ]
    title, title_lang = text_and_language(pack.service.title, language)
    context.update(
        {
            "application": application,
            "service_title": title,
            "service_title_lang": title_lang,
            "stage": _stage(pack, application.state, language),
            "is_final": _is_final(pack, application.state),
            "is_overdue": application.is_overdue() and not _is_final(pack, application.state),
            "due_on": timezone.localdate(application.due_at) if application.due_at else None,
            "hearing": hearing,
            "hearing_is_online": hearing is not None and hearing.mode == Hearing.Mode.ONLINE,
            "decision": decision,
            "decision_outcome": DECISION_OUTCOMES.get(decision.outcome, decision.get_outcome_display())
            if decision
            else "",
            "record": record,
            "fees": fees,
            "events": events,
            "payments": payment_rows(pack, application, language),
        }
    )
    return respond(request, "web/account/application.html", context)


@require_POST
@citizen_login_required
def account_pay(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay a fee due at the application's stage (e-Mutation: Tk 1,100 once approved)."""
    application = _application_or_404(request, reference)
    pack = pack_of(application)
    purpose = request.POST.get("purpose", "")
    if purpose not in {f["purpose"] for f in fees_due(pack, application, application.state)}:
        raise Http404("No such fee")
    context = page_context(request, pack.languages, preferred=application.language)
    confirm = reverse("web:account_pay_confirm", kwargs={"reference": reference})
    response = start_payment(request, application, purpose, context, confirm)
    return response or redirect("web:account_application", reference=reference)


@require_POST
@citizen_login_required
def account_pay_confirm(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application_or_404(request, reference)
    confirm_payment(request, application, request_user(request))
    return redirect("web:account_application", reference=reference)


@require_http_methods(["GET"])
@citizen_login_required
def account_record(request: HttpRequest, reference: str) -> HttpResponse:
    """The issued record as a PDF, to the applicant only (never a public media address)."""
    application = _application_or_404(request, reference)
    record = RecordCopy.objects.filter(application=application).first()
    if record is None:
        raise Http404("No record issued yet")
    filename = re.sub(r"[^A-Za-z0-9-]+", "-", record.record_number).strip("-") + ".pdf"
    response = FileResponse(
        record.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=filename
    )
    response["Cache-Control"] = "private, no-store"
    # A streamed file; the login decorators are typed for plain responses.
    return cast(HttpResponse, response)
