"""Applying for a service: the pack's form page by page, the check page, the fees, submission.

The same pages serve a citizen applying for themselves and an intermediary acting for a citizen with
their consent (``accounts.access.acting_for``): then the citizen is the applicant and the intermediary
the one who filed. Every page saves the draft, so an applicant can leave and resume from their account.
Submitting carries an idempotency key made when the check page was drawn: a double click or the back
button never files twice. Works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from govreach.accounts.access import acting_for_consent, is_staff_verified, request_user
from govreach.accounts.models import CitizenAccount
from govreach.accounts.selectors import citizen_account_for, intermediary_for
from govreach.cases.models import Application, Payment
from govreach.cases.services import (
    AnswersInvalid,
    CaseError,
    DocumentRefused,
    NotAdmissible,
    NotPermitted,
    answers_check,
    application_draft_save,
    application_submit,
    document_attach,
    fee_amount,
    missing_answers,
    payment_confirm,
    payment_request,
    payment_start,
)
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack
from govreach.packs.forms import Form, Page
from govreach.packs.loader import Pack
from govreach.packs.workflow import Workflow
from govreach.web import selectors
from govreach.web.formats import money_text
from govreach.web.language import text_and_language
from govreach.web.pages import page_context, respond
from govreach.web.questions import (
    answer_text,
    field_view,
    page_has_answers,
    page_is_complete,
    pages_shown,
    questions_shown,
    read_page,
)

FORM_ID = "application"
SESSION_SUBMITTED = "web.submitted"
APPLICATION_FEES = "application"


@dataclass(frozen=True)
class Filer:
    """Who fills in the form (``user``) and whose application it is (``owner``).

    ``citizen`` is set when an intermediary acts for that citizen under their consent.
    """

    user: User
    owner: User
    citizen: CitizenAccount | None

    @property
    def is_assisted(self) -> bool:
        return self.citizen is not None


View = Callable[..., HttpResponse]


def _pack_or_404(pack_id: str) -> Pack:
    try:
        return active_pack(pack_id)
    except (ServicePackNotFound, ServicePackUnavailable):
        raise Http404("No such service") from None


def form_of(pack: Pack) -> Form:
    """The pack's application form (``forms/application.yaml``, else its only form); 404 when none."""
    form = pack.forms.get(FORM_ID) or next(iter(pack.forms.values()), None)
    if not isinstance(form, Form) or not isinstance(pack.workflow, Workflow):
        raise Http404("This service takes no applications")
    return form


def filer_required(view: View) -> View:
    """Resolve who applies for whom, or send the visitor to sign in (or to start assisting a citizen)."""

    @wraps(view)
    def wrapped(request: HttpRequest, pack_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        consent = acting_for_consent(request)
        if consent is not None:
            if consent.pack_id != pack_id:
                messages.error(
                    request,
                    _(
                        "The citizen you are acting for consented to another service. "
                        "Ask for their consent to this one first."
                    ),
                )
                return redirect("accounts:assist")
            user = request_user(request)
            filer = Filer(user=user, owner=consent.citizen.user, citizen=consent.citizen)
        elif citizen_account_for(request.user) is not None:
            user = request_user(request)
            filer = Filer(user=user, owner=user, citizen=None)
        elif is_staff_verified(request) and intermediary_for(request.user) is not None:
            messages.info(
                request, _("To apply for a citizen, start assisting them first, with their consent.")
            )
            return redirect("accounts:assist")
        else:
            return redirect_to_login(request.get_full_path(), reverse("accounts:citizen_login"))
        pack = _pack_or_404(pack_id)
        return view(request, pack, filer, *args, **kwargs)

    return wrapped


def _today() -> dt.date:
    return timezone.localdate()


def _draft(pack: Pack, filer: Filer) -> Application | None:
    return selectors.draft_for(owner=filer.owner, filer=filer.user, pack_id=pack.id, form_id=form_of(pack).id)


def _attached(application: Application | None) -> frozenset[str]:
    if application is None:
        return frozenset()
    return frozenset(application.documents.values_list("kind", flat=True))


def _url(name: str, pack: Pack, lang_query: str = "", **kwargs: str) -> str:
    return reverse(f"web:{name}", kwargs={"pack_id": pack.id, **kwargs}) + lang_query


def _context(request: HttpRequest, pack: Pack, filer: Filer, draft: Application | None) -> dict[str, Any]:
    context = page_context(request, pack.languages, preferred=draft.language if draft else "")
    title, title_lang = text_and_language(pack.service.title, context["language"])
    form = form_of(pack)
    form_title, form_lang = text_and_language(form.title, context["language"])
    context.update(
        {
            "pack": pack,
            "service_title": title,
            "service_title_lang": title_lang,
            "form_title": form_title,
            "form_title_lang": form_lang,
            "filer": filer,
            "draft": draft,
            "start_url": _url("apply_start", pack),
        }
    )
    return context


def _next_page_url(
    pack: Pack, form: Form, after: Page | None, draft: Application | None, lang_query: str
) -> str:
    answers = draft.answers if draft else {}
    shown = pages_shown(form, answers, _today(), _attached(draft))
    ids = [p.id for p in form.pages]
    start = ids.index(after.id) + 1 if after is not None else 0
    for page in shown:
        if ids.index(page.id) >= start:
            return _url("apply_page", pack, lang_query, page_id=page.id)
    return _url("apply_check", pack, lang_query)


def _previous_page_url(pack: Pack, form: Form, page: Page, draft: Application | None, lang_query: str) -> str:
    answers = draft.answers if draft else {}
    shown = pages_shown(form, answers, _today(), _attached(draft))
    before = [p for p in shown if form.pages.index(p) < form.pages.index(page)]
    if before:
        return _url("apply_page", pack, lang_query, page_id=before[-1].id)
    return _url("apply_start", pack, lang_query)


# --- the start page and the pages of the form ------------------------------------------------------


@require_http_methods(["GET"])
@filer_required
def apply_start(request: HttpRequest, pack: Pack, filer: Filer) -> HttpResponse:
    """Before you start: what to have at hand, and the sections of the form with how far each is done."""
    form = form_of(pack)
    draft = _draft(pack, filer)
    context = _context(request, pack, filer, draft)
    language = context["language"]
    answers = draft.answers if draft else {}
    attached = _attached(draft)
    today = _today()
    sections = []
    first_open = None
    for page in pages_shown(form, answers, today, attached):
        title, lang = text_and_language(page.title, language)
        is_done = draft is not None and page_is_complete(form, page, answers, today, attached)
        status = (
            _("Completed")
            if is_done
            else (_("In progress") if page_has_answers(page, answers, attached) else _("Not started"))
        )
        url = _url("apply_page", pack, context["lang_query"], page_id=page.id)
        if not is_done and first_open is None:
            first_open = url
        sections.append({"title": title, "lang": lang, "status": status, "url": url, "is_done": is_done})
    description, description_lang = text_and_language(form.description or None, language)
    context.update(
        {
            "sections": sections,
            "description": description,
            "description_lang": description_lang,
            "continue_url": first_open or _url("apply_check", pack, context["lang_query"]),
            "check_url": _url("apply_check", pack, context["lang_query"]),
        }
    )
    return respond(request, "web/apply/start.html", context)


def _already_submitted(request: HttpRequest, pack: Pack, filer: Filer) -> HttpResponseRedirect | None:
    """A form posted from an application that was submitted since (the back button): go to it instead."""
    raw = request.POST.get("draft", "")
    if not raw.isdigit():
        return None
    application = selectors.application_for_filer(application_id=int(raw), filer=filer.user)
    if application is None or application.is_draft or not application.reference:
        return None
    messages.info(
        request,
        _("This application was already submitted, with the reference %(reference)s.")
        % {"reference": application.reference},
    )
    return redirect(_url("apply_done", pack, reference=application.reference))


@require_http_methods(["GET", "POST"])
@filer_required
def apply_page(request: HttpRequest, pack: Pack, filer: Filer, page_id: str) -> HttpResponse:
    """One page of the form: its questions drawn from the pack; on POST, checked and saved to the draft."""
    form = form_of(pack)
    page = next((p for p in form.pages if p.id == page_id), None)
    if page is None:
        raise Http404("No such page")
    draft = _draft(pack, filer)
    context = _context(request, pack, filer, draft)
    language, lang_query = context["language"], context["lang_query"]
    today = _today()
    attached = _attached(draft)
    answers = dict(draft.answers) if draft else {}
    if not form.is_shown(page, answers, today, attached):
        return redirect(_next_page_url(pack, form, page, draft, lang_query))
    shown = questions_shown(form, page, answers, today, attached)
    errors: dict[str, str] = {}
    notice = ""
    posted = None
    if request.method == "POST":
        stale = _already_submitted(request, pack, filer)
        if stale is not None:
            return stale
        result = read_page(
            shown, request.POST, request.FILES, language=language, attached=attached, today=today
        )
        errors = result.errors
        given = {k: v for k, v in result.answers.items() if v is not None and k not in errors}
        _cleaned, refused = answers_check(form, given)
        for qid, message in refused.items():
            label = text_and_language(form.question(qid).label, language)[0]
            errors[qid] = f"{label}: {message}"
        to_save = {k: v for k, v in result.answers.items() if k not in errors}
        try:
            draft = application_draft_save(
                applicant=filer.user,
                pack_id=pack.id,
                form_id=form.id,
                answers=to_save,
                acting_for=filer.citizen,
                language=language,
            )
        except NotPermitted as exc:
            messages.error(request, f"{exc.message}. {exc.fix}")
            return redirect("accounts:assist")
        except AnswersInvalid as exc:
            errors.update(exc.errors)
        for kind, upload in result.files.items():
            if draft is None or kind in errors:
                continue
            try:
                document_attach(application=draft, kind=kind, uploaded_file=upload, by_user=filer.user)
            except DocumentRefused as exc:
                text = exc.message[:1].upper() + exc.message[1:]
                errors[kind] = f"{text}. {exc.fix[:1].upper()}{exc.fix[1:]}" if exc.fix else text
        if draft is not None:
            answers, attached = dict(draft.answers), _attached(draft)
            context["draft"] = draft
        now_shown = questions_shown(form, page, answers, today, attached)
        appeared = [q for q in now_shown if q not in shown]
        if not errors and appeared:
            notice = _("Your answers mean we need to ask you more on this page.")
        elif not errors:
            if request.GET.get("return") == "check":
                return redirect(_url("apply_check", pack, lang_query))
            return redirect(_next_page_url(pack, form, page, draft, lang_query))
        shown = now_shown
        posted = request.POST if errors else None
    documents = {d.kind: d for d in draft.documents.all()} if draft else {}
    fields = [
        field_view(
            q,
            language=language,
            country=pack.service.country,
            value=answers.get(q.id),
            error=errors.get(q.id, ""),
            attached=documents.get(q.id),
            posted=posted,
        )
        for q in shown
    ]
    title, title_lang = text_and_language(page.title, language)
    intro, intro_lang = text_and_language(page.intro or None, language)
    context.update(
        {
            "page": page,
            "page_title": title,
            "page_title_lang": title_lang,
            "intro": intro,
            "intro_lang": intro_lang,
            "fields": fields,
            "error_list": [(f.html_id, f.error) for f in fields if f.error],
            "notice": notice,
            "has_files": any(f.widget == "file" for f in fields),
            "back_url": _previous_page_url(pack, form, page, draft, lang_query),
            "action": request.get_full_path(),
        }
    )
    return respond(request, "web/apply/page.html", context, status=400 if errors else 200)


# --- check your answers, fees, submit --------------------------------------------------------------


def fees_due(pack: Pack, application: Application, payable: str) -> list[dict[str, Any]]:
    """The fees payable at ``payable`` ('application' or a state), their amounts and whether paid."""
    workflow = pack.workflow
    assert isinstance(workflow, Workflow)
    paid = selectors.paid_purposes(application)
    fees = []
    for purpose, fee in workflow.fees.items():
        if fee.payable != payable:
            continue
        try:
            amount: Decimal | None = fee_amount(application, purpose, pack)
        except CaseError:
            amount = None
        title, lang = text_and_language(fee.title, application.language)
        fees.append(
            {
                "purpose": purpose,
                "title": title,
                "lang": lang,
                "amount": amount,
                "currency": fee.currency,
                "is_paid": purpose in paid,
            }
        )
    return fees


@require_http_methods(["GET"])
@filer_required
def apply_check(request: HttpRequest, pack: Pack, filer: Filer) -> HttpResponse:
    """Check your answers: every answer with a link to change it, the documents, the fees, then submit."""
    form = form_of(pack)
    draft = _draft(pack, filer)
    if draft is None:
        return redirect(_url("apply_start", pack))
    context = _context(request, pack, filer, draft)
    language, lang_query = context["language"], context["lang_query"]
    today = _today()
    attached = _attached(draft)
    documents = {d.kind: d for d in draft.documents.all()}
    sections = []
    for page in pages_shown(form, draft.answers, today, attached):
        rows = []
        for q in questions_shown(form, page, draft.answers, today, attached):
            view = field_view(q, language=language, country=pack.service.country, value=None)
            if q.type == "document":
                doc = documents.get(q.id)
                value, value_lang = (
                    (_document_text(doc.content_type, doc.size_bytes), context["page_lang"])
                    if doc
                    else ("", context["page_lang"])
                )
            else:
                value, value_lang = answer_text(q, draft.answers.get(q.id), language=language)
            change = _url("apply_page", pack, page_id=page.id) + "?return=check"
            if lang_query:
                change += "&" + lang_query[1:]
            rows.append(
                {
                    "label": view.label,
                    "label_lang": view.label_lang,
                    "value": value,
                    "value_lang": value_lang,
                    "change_url": f"{change}#{view.html_id}",
                    "is_document": q.type == "document",
                }
            )
        title, title_lang = text_and_language(page.title, language)
        sections.append({"title": title, "lang": title_lang, "rows": rows, "id": page.id})
    missing = missing_answers(draft, pack)
    error_list = []
    for qid, message in missing.items():
        page = next(p for p in form.pages if any(q.id == qid for q in p.questions))
        q = form.question(qid)
        view = field_view(q, language=language, country=pack.service.country, value=None)
        url = _url("apply_page", pack, page_id=page.id) + f"?return=check#{view.html_id}"
        error_list.append((url, message[:1].upper() + message[1:]))
    fees = fees_due(pack, draft, APPLICATION_FEES)
    unpaid = [f for f in fees if not f["is_paid"]]
    context.update(
        {
            "sections": sections,
            "missing": error_list,
            "fees": fees,
            "fees_unpaid": unpaid,
            "fees_url": _url("apply_fees", pack, lang_query),
            "submit_url": _url("apply_submit", pack, lang_query),
            # One key per drawing of this page: a double click sends the same key twice.
            "idempotency_key": secrets.token_urlsafe(24),
            "can_submit": not error_list and not unpaid,
        }
    )
    return respond(request, "web/apply/check.html", context)


def _document_text(content_type: str, size_bytes: int) -> str:
    kind = {"application/pdf": "PDF", "image/jpeg": _("JPEG image"), "image/png": _("PNG image")}.get(
        content_type, content_type
    )
    size = (
        f"{size_bytes / 1_000_000:.1f} MB"
        if size_bytes >= 100_000
        else f"{max(1, round(size_bytes / 1000))} kB"
    )
    return _("Attached: %(kind)s, %(size)s") % {"kind": kind, "size": size}


def _demo_gateway(
    request: HttpRequest, context: dict[str, Any], payment: Payment, instructions: str, confirm_url: str
) -> HttpResponse:
    context.update(
        {
            "payment": payment,
            "instructions": instructions,
            "confirm_url": confirm_url,
        }
    )
    return respond(request, "web/apply/pay.html", context)


def start_payment(
    request: HttpRequest, application: Application, purpose: str, context: dict[str, Any], confirm_url: str
) -> HttpResponse | None:
    """Open the fee ``purpose`` at the provider: its page (a real gateway) or the demo gateway's page.

    None when the fee cannot be paid now (a message says why).
    """
    try:
        payment = payment_request(application=application, purpose=purpose)
        if payment.status == Payment.Status.PAID:
            messages.info(request, _("This fee is already paid."))
            return None
        start = payment_start(payment=payment)
    except CaseError as exc:
        messages.error(request, f"{exc.message[:1].upper()}{exc.message[1:]}. {exc.fix}".strip())
        return None
    if start.redirect_url:
        return HttpResponseRedirect(start.redirect_url)
    payment.refresh_from_db()
    return _demo_gateway(request, context, payment, start.instructions, confirm_url)


def confirm_payment(request: HttpRequest, application: Application, by_user: User) -> Payment:
    """The provider's confirmation of a payment it was asked for (the demo gateway's button)."""
    raw = request.POST.get("payment", "")
    payment = selectors.payment_for(application=application, payment_id=int(raw)) if raw.isdigit() else None
    if payment is None or not payment.provider_reference:
        raise Http404("No such payment")
    payment = payment_confirm(payment=payment, provider_reference=payment.provider_reference, by_user=by_user)
    if payment.status == Payment.Status.PAID:
        amount = money_text(payment.amount, payment.currency, translation.get_language() or "en")
        messages.success(
            request,
            _("Payment received: %(amount)s. Receipt number %(receipt)s.")
            % {"amount": amount, "receipt": payment.provider_reference},
        )
    else:
        messages.error(request, _("The payment did not go through. Nothing was charged; try again."))
    return payment


@require_http_methods(["GET", "POST"])
@filer_required
def apply_fees(request: HttpRequest, pack: Pack, filer: Filer) -> HttpResponse:
    """The fees due before submitting (e-Mutation: Tk 20 court fee, Tk 50 notice fee), one by one."""
    draft = _draft(pack, filer)
    if draft is None:
        return redirect(_url("apply_start", pack))
    context = _context(request, pack, filer, draft)
    fees = fees_due(pack, draft, APPLICATION_FEES)
    if request.method == "POST":
        purpose = request.POST.get("purpose", "")
        if purpose not in {f["purpose"] for f in fees}:
            raise Http404("No such fee")
        response = start_payment(request, draft, purpose, context, _url("apply_pay_confirm", pack))
        if response is not None:
            return response
        return redirect(_url("apply_fees", pack, context["lang_query"]))
    unpaid = [f for f in fees if not f["is_paid"]]
    total = sum((f["amount"] or Decimal(0) for f in unpaid), Decimal(0))
    context.update(
        {
            "fees": fees,
            "next_fee": unpaid[0] if unpaid else None,
            "total_unpaid": total,
            "currency": fees[0]["currency"] if fees else "",
            "check_url": _url("apply_check", pack, context["lang_query"]),
        }
    )
    return respond(request, "web/apply/fees.html", context)


@require_POST
@filer_required
def apply_pay_confirm(request: HttpRequest, pack: Pack, filer: Filer) -> HttpResponse:
    draft = _draft(pack, filer)
    if draft is None:
        return redirect(_url("apply_start", pack))
    confirm_payment(request, draft, filer.user)
    return redirect(_url("apply_fees", pack))


@require_POST
@filer_required
def apply_submit(request: HttpRequest, pack: Pack, filer: Filer) -> HttpResponse:
    """Submit the draft named in the form, with the form's idempotency key: once, whatever happens."""
    raw = request.POST.get("draft", "")
    application = (
        selectors.application_for_filer(application_id=int(raw), filer=filer.user) if raw.isdigit() else None
    )
    if application is None or application.applicant_id != filer.owner.pk or application.pack_id != pack.id:
        raise Http404("No such application")
    key = request.POST.get("idempotency_key", "")
    try:
        submission = application_submit(application=application, by_user=filer.user, idempotency_key=key)
    except AnswersInvalid as exc:
        for message in exc.errors.values():
            messages.error(request, message[:1].upper() + message[1:])
        return redirect(_url("apply_check", pack))
    except NotAdmissible as exc:
        messages.error(
            request, _("The application cannot be submitted yet: %(reason)s") % {"reason": exc.message}
        )
        return redirect(_url("apply_check", pack))
    except CaseError as exc:
        messages.error(request, f"{exc.message[:1].upper()}{exc.message[1:]}. {exc.fix}".strip())
        return redirect(_url("apply_check", pack))
    submitted = submission.application
    if submission.status_secret:
        request.session[SESSION_SUBMITTED] = {"id": submitted.pk, "secret": submission.status_secret}
    assert submitted.reference
    return redirect(_url("apply_done", pack, reference=submitted.reference))


@require_http_methods(["GET"])
@filer_required
def apply_done(request: HttpRequest, pack: Pack, filer: Filer, reference: str) -> HttpResponse:
    """The reference and, this once, the secret code that opens the public tracking page."""
    application = selectors.application_for_citizen(reference=reference, user=filer.user)
    if application is None or application.pack_id != pack.id:
        raise Http404("No such application")
    context = _context(request, pack, filer, None)
    stored = request.session.get(SESSION_SUBMITTED) or {}
    secret = ""
    if stored.get("id") == application.pk:
        secret = str(stored.get("secret", ""))
        del request.session[SESSION_SUBMITTED]
    context.update(
        {
            "application": application,
            "secret": secret,
            "track_url": reverse("cases:track"),
            "due_on": timezone.localdate(application.due_at) if application.due_at else None,
            "account_url": reverse("web:account_applications"),
        }
    )
    return respond(request, "web/apply/done.html", context)
