"""Writes on applications and cases. Each service is one transaction and leaves a CaseEvent; the
applicant's SMS goes to the notify outbox in the same transaction, so a rolled-back change sends nothing.

The workflow, the form, the fees and the decisions all come from the service pack; nothing here knows
about land records except through the pack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import CitizenAccount
from govreach.accounts.phones import InvalidPhone, phone_normalise
from govreach.accounts.selectors import consent_active, intermediary_for, staff_can_act
from govreach.audit.log import audit_record
from govreach.cases.models import (
    DRAFT,
    Application,
    CaseEvent,
    Decision,
    Document,
    Hearing,
    Payment,
    RecordCopy,
    ReferenceCounter,
)
from govreach.cases.payments import PaymentStart, payment_provider
from govreach.catalogue.models import ServicePack
from govreach.catalogue.selectors import active_pack, pack_for
from govreach.notify.services import outbox_enqueue
from govreach.packs.forms import Form, Question
from govreach.packs.loader import Pack, text_in
from govreach.packs.workflow import APPLICANT, SYSTEM, Transition, Workflow
from govreach.registry.models import Area
from govreach.rules.evaluate import Evaluator, evaluate_unit
from govreach.rules.inputs import coerce_value
from govreach.rules.model import FieldSpec
from govreach.rules.trace import DecisionResult
from govreach.uploads import inspect_upload

logger = logging.getLogger(__name__)

User = AbstractBaseUser
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - no 0/O, 1/I: read aloud and typed on a phone
SECRET_LENGTH = 8
CALLING_CODES = {"BD": "880", "PT": "351", "BR": "55", "KR": "82"}


class CaseError(Exception):
    """A refused write: ``field`` names what is wrong (when one field is), ``fix`` says what to do."""

    def __init__(self, message: str, *, field: str = "", fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fix = fix


class AnswersInvalid(CaseError):
    """Some answers do not fit their questions; ``errors`` maps question id -> message with the fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class DocumentRefused(CaseError):
    """An uploaded file is not accepted: wrong format by its content, too large, or not asked for."""


class NotAdmissible(CaseError):
    """The pack's admissibility decision is not yes; ``result`` holds the trace with the reasons."""

    def __init__(self, message: str, result: DecisionResult) -> None:
        super().__init__(message)
        self.result = result


class NotPermitted(CaseError):
    """The user may not take this step on this case (role, area, or not their application)."""


class TransitionRefused(CaseError):
    """The step is not possible now: wrong state, a guard that does not hold, or missing data."""

    def __init__(self, message: str, *, field: str = "", fix: str = "", result: DecisionResult | None = None):
        super().__init__(message, field=field, fix=fix)
        self.result = result


@dataclass(frozen=True)
class Submission:
    """What submitting returns. ``status_secret`` is shown once; a repeated submit gives None."""

    application: Application
    status_secret: str | None
    is_repeat: bool


# ---------------------------------------------------------------------------------------------------
# The pack behind an application


def pack_of(application: Application) -> Pack:
    """The pack version the application was filed under, else the version now in force."""
    row = ServicePack.objects.filter(pack_id=application.pack_id, version=application.pack_version).first()
    return pack_for(row) if row is not None else active_pack(application.pack_id)


def _workflow(pack: Pack) -> Workflow:
    if not isinstance(pack.workflow, Workflow):
        raise CaseError(f"the service '{pack.id}' has no case workflow", fix="add workflow.yaml to the pack")
    return pack.workflow


def _form(pack: Pack, form_id: str) -> Form:
    form = pack.forms.get(form_id)
    if not isinstance(form, Form):
        known = ", ".join(pack.forms) or "none"
        raise CaseError(
            f"the service '{pack.id}' has no form '{form_id}'", field="form_id", fix=f"forms: {known}"
        )
    return form


def _today() -> dt.date:
    return timezone.localdate()


def case_facts(application: Application, pack: Pack | None = None) -> dict[str, Any]:
    """The rules facts of an application now: its answers, attached documents, paid fees, case facts."""
    pack = pack or pack_of(application)
    form = _form(pack, application.form_id)
    attached = frozenset(application.documents.values_list("kind", flat=True))
    facts: dict[str, Any] = dict(form.facts_from(application.answers, attached))
    unit_fields = pack.ruleset.inputs.unit_fields
    if "application.submitted_on" in unit_fields:
        submitted = application.submitted_at
        facts["application.submitted_on"] = timezone.localdate(submitted) if submitted else _today()
    if isinstance(pack.workflow, Workflow):
        paid = list(application.payments.filter(status=Payment.Status.PAID))
        for purpose, fee in pack.workflow.fees.items():
            mine = [p for p in paid if p.purpose == purpose]
            facts[fee.paid_fact] = float(sum((p.amount for p in mine), Decimal(0)))
            if fee.paid_on_fact and mine:
                first = min(p.paid_at or p.created_at for p in mine)
                facts[fee.paid_on_fact] = timezone.localdate(first)
        facts.update(pack.workflow.facts)
    facts.update(application.facts)
    return {k: v for k, v in facts.items() if k in unit_fields}


def _event(
    application: Application,
    action: str,
    *,
    actor: Any = None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: Mapping[str, Any] | None = None,
) -> CaseEvent:
    acting_for = application.applicant if actor is not None and actor.pk != application.applicant_id else None
    return CaseEvent.objects.create(
        application=application,
        actor=actor,
        acting_for=acting_for,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=dict(data or {}),
    )


# ---------------------------------------------------------------------------------------------------
# Notifications


def _public_url(path: str) -> str:
    return str(getattr(settings, "GOVREACH_PUBLIC_URL", "")).rstrip("/") + path


def applicant_phone(application: Application, pack: Pack | None = None) -> str | None:
    """The applicant's phone in E.164: their citizen account's, else the phone answered on the form."""
    account = CitizenAccount.objects.filter(user_id=application.applicant_id).first()
    if account is not None and account.phone:
        return account.phone
    pack = pack or pack_of(application)
    form = _form(pack, application.form_id)
    for q in form.questions:
        raw = application.answers.get(q.id)
        if q.type != "phone" or not raw:
            continue
        text = re.sub(r"[\s().-]", "", str(raw))
        code = CALLING_CODES.get(pack.service.country)
        if code and text.startswith(code):
            text = "+" + text
        elif code and text.startswith("0"):
            text = f"+{code}{text[1:]}"
        try:
            return phone_normalise(text)
        except InvalidPhone:
            return None
    return None


def applicant_language(application: Application) -> str:
    """The language to write to the applicant in: the one they chose (kept on their citizen account,
    and changed with the language switch), else the one the application was made in."""
    account = CitizenAccount.objects.filter(user_id=application.applicant_id).first()
    return (account.preferred_language if account is not None else "") or application.language


def _notify(
    application: Application,
    message_id: str | None,
    pack: Pack,
    *,
    key: str,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Queue the applicant's SMS in the current transaction; ``key`` makes it once per event."""
    if not message_id:
        return
    phone = applicant_phone(application, pack)
    if phone is None:
        logger.warning("cases: no phone for %s, '%s' not sent", application, message_id)
        return
    language = applicant_language(application)
    workflow = pack.workflow if isinstance(pack.workflow, Workflow) else None
    state = workflow.states.get(application.state) if workflow else None
    track = _public_url(reverse("cases:track"))
    context: dict[str, Any] = {
        "reference": application.reference or "",
        "track_url": track,
        "link": track,
        "state": text_in(state.public_title, language) if state else application.state,
        "date": timezone.localdate(application.due_at).isoformat() if application.due_at else "",
    }
    context.update(extra or {})
    outbox_enqueue(
        channel="sms",
        to=phone,
        message_id=message_id,
        language=language,
        context=context,
        dedupe_key=f"cases:{application.pk}:{key}",
        pack_id=application.pack_id,
        area=application.area,  # so the land office of the area sees it if it fails
    )


# ---------------------------------------------------------------------------------------------------
# Drafts and answers


def _check_answer(q: Question, raw: Any) -> tuple[Any, str | None]:
    """(stored value, error) for one answer; the error names the fix."""
    if raw is None or raw == "":
        return None, None
    if q.type == "document":
        return None, "attach the file with the document upload, not as an answer"
    if q.type == "choice":
        values = [c.value for c in q.choices]
        if str(raw) not in values:
            return None, f"'{raw}' is not one of the choices; choose one of: {', '.join(values)}"
        return str(raw), None
    if q.type == "area":
        area = Area.objects.filter(code=str(raw)).first()
        if area is None or (q.level and area.level != q.level):
            return None, f"no {q.level or 'area'} with code '{raw}'; choose one from the list"
        return area.code, None
    type_ = {"number": "number", "integer": "integer", "date": "date", "boolean": "boolean"}.get(
        q.type, "text"
    )
    try:
        value = coerce_value(FieldSpec(q.id, type_), raw)
    except ValueError as exc:
        return None, f"{exc}"
    if q.type in ("number", "integer"):
        assert isinstance(value, int | float)
        if q.min is not None and value < q.min:
            return None, f"must be at least {q.min:g}"
        if q.max is not None and value > q.max:
            return None, f"must be at most {q.max:g}"
    if isinstance(value, str):
        value = value.strip()
        if q.min is not None and len(value) < q.min:
            return None, f"write at least {q.min:g} characters"
        if q.max is not None and len(value) > q.max:
            return None, f"write at most {q.max:g} characters"
        if q.pattern and not re.fullmatch(q.pattern, value.replace(" ", "")):
            return None, "this does not look right; check the number and the format shown in the hint"
    if isinstance(value, dt.date):
        return value.isoformat(), None
    return value, None


def answers_check(form: Form, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Cleaned answers and errors by question id (unknown ids are errors too); required is not checked."""
    known = {q.id: q for q in form.questions}
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for qid, raw in answers.items():
        q = known.get(qid)
        if q is None:
            errors[qid] = f"no question '{qid}' in this form"
            continue
        value, error = _check_answer(q, raw)
        if error:
            errors[qid] = error
        else:
            cleaned[qid] = value
    return cleaned, errors


@transaction.atomic
def application_draft_save(
    *,
    applicant: Any,
    pack_id: str,
    form_id: str,
    answers: Mapping[str, Any],
    acting_for: CitizenAccount | None = None,
    language: str | None = None,
) -> Application:
    """Save answers to the open draft of ``applicant`` (or of the citizen an intermediary acts for).

    Answers are merged into the draft, so an applicant can resume page by page. Acting for a citizen
    needs that citizen's active consent to the intermediary; AnswersInvalid names every wrong answer.
    """
    pack = active_pack(pack_id)
    form = _form(pack, form_id)
    consent = None
    owner = applicant
    if acting_for is not None:
        intermediary = intermediary_for(applicant)
        consent = (
            consent_active(intermediary=intermediary, citizen=acting_for, pack_id=pack_id)
            if intermediary
            else None
        )
        if consent is None:
            raise NotPermitted(
                "you may apply for this citizen only with their consent",
                fix="ask the citizen for consent (a code sent to their phone, or a signed consent form)",
            )
        owner = acting_for.user
    cleaned, errors = answers_check(form, answers)
    if errors:
        raise AnswersInvalid(errors)
    draft = (
        Application.objects.select_for_update(of=("self",))
        .filter(applicant=owner, submitted_by=applicant, pack_id=pack_id, form_id=form_id, state=DRAFT)
        .first()
    )
    is_new = draft is None
    if draft is None:
        if language is None:
            account = acting_for or CitizenAccount.objects.filter(user_id=owner.pk).first()
            language = account.preferred_language if account is not None else None
        draft = Application(
            applicant=owner,
            submitted_by=applicant,
            acting_for=owner if acting_for is not None else None,
            consent=consent,
            pack_id=pack_id,
            pack_version=pack.version,
            form_id=form_id,
            language=language if language in pack.languages else pack.languages[0],
        )
    elif language in pack.languages:
        draft.language = language
    draft.answers = {**draft.answers, **cleaned}
    for q in form.questions:
        if q.type == "area" and draft.answers.get(q.id):
            draft.area = Area.objects.get(code=draft.answers[q.id])
    draft.save()
    _event(
        draft, "draft_created" if is_new else "draft_saved", actor=applicant, data={"fields": sorted(cleaned)}
    )
    return draft


def _may_act_as_applicant(application: Application, user: Any) -> bool:
    return user is not None and user.pk in (application.applicant_id, application.submitted_by_id)


# ---------------------------------------------------------------------------------------------------
# Documents


@transaction.atomic
def document_attach(
    *, application: Application, kind: str, uploaded_file: File[bytes], by_user: Any
) -> Document:
    """Attach a file for the form's document question ``kind``, checked by its content (PDF, JPEG, PNG).

    The browser's file name and content type are ignored. A draft keeps one file per kind (a new one
    replaces the old); after submission files are added, so the officer sees what came when.
    """
    if not _may_act_as_applicant(application, by_user):
        raise NotPermitted("only the applicant, or who filed for them, may attach documents")
    pack = pack_of(application)
    form = _form(pack, application.form_id)
    documents = {q.id: q for q in form.documents()}
    question = documents.get(kind)
    if question is None:
        raise DocumentRefused(
            f"this form asks for no document '{kind}'",
            field=kind,
            fix=f"attach one of: {', '.join(documents)}",
        )
    label = text_in(question.label, application.language)
    terminal = isinstance(pack.workflow, Workflow) and (
        (state := pack.workflow.states.get(application.state)) is not None and state.is_terminal
    )
    if terminal:
        raise DocumentRefused("the case is closed; no more documents can be attached", field=kind)
    size = uploaded_file.size or 0
    limit = question.max_bytes
    if limit is not None and size > limit:
        raise DocumentRefused(
            f"the file for '{label}' is {size / 1_000_000:.1f} MB; the limit is {question.max_mb:g} MB",
            field=kind,
            fix="scan or photograph it at a lower resolution, or save the PDF in a smaller size",
        )
    if size == 0:
        raise DocumentRefused(f"the file for '{label}' is empty", field=kind, fix="choose the file again")
    uploaded_file.seek(0)
    content = uploaded_file.read()
    inspection = inspect_upload(content)
    detected = inspection.mime
    allowed = question.accepted_content_types
    names = ", ".join(f.upper() for f in question.accept)
    if inspection.is_archive:
        raise DocumentRefused(
            f"the file for '{label}' is an archive (such as ZIP); archives are not accepted",
            field=kind,
            fix=f"upload each document on its own as a {names} file",
        )
    if detected not in allowed:
        raise DocumentRefused(
            f"the file for '{label}' is not a {names} file (whatever its name says)",
            field=kind,
            fix=f"upload a {names} file: a scan saved as PDF, or a photo (JPEG or PNG)",
        )
    if inspection.problem:
        raise DocumentRefused(
            f"the file for '{label}' was refused: {inspection.problem}",
            field=kind,
            fix="scan or photograph the document again and upload the new file",
        )
    digest = hashlib.sha256(content)
    if application.is_draft:
        for old in application.documents.filter(kind=kind):
            old.file.delete(save=False)
            old.delete()
    document = Document(
        application=application,
        kind=kind,
        content_type=str(detected),
        size_bytes=len(content),
        sha256=digest.hexdigest(),
        uploaded_by=by_user,
    )
    document.file.save("upload", ContentFile(content), save=False)
    document.save()
    _event(
        application,
        "document_attached",
        actor=by_user,
        data={"kind": kind, "content_type": detected, "size_bytes": len(content), "sha256": document.sha256},
    )
    return document


# ---------------------------------------------------------------------------------------------------
# Payments


def fee_amount(application: Application, purpose: str, pack: Pack | None = None) -> Decimal:
    """The amount in force for ``purpose`` today, from the pack's parameters/definitions (e.g. Tk 20)."""
    pack = pack or pack_of(application)
    workflow = _workflow(pack)
    fee = workflow.fees.get(purpose)
    if fee is None:
        raise CaseError(f"no fee '{purpose}'", field="purpose", fix=f"fees: {', '.join(workflow.fees)}")
    facts = case_facts(application, pack)
    result = evaluate_unit(pack.ruleset, facts, on=_today())
    if fee.amount in result.definitions:
        value = result.definitions[fee.amount]
    elif fee.amount in result.outputs:
        value = result.outputs[fee.amount]
    else:
        unit: dict[str, object] = dict.fromkeys(pack.ruleset.inputs.unit_fields)
        value = Evaluator(pack.ruleset, unit, [], _today()).param(fee.amount)
    if not isinstance(value, int | float):
        raise CaseError(
            f"the amount of '{purpose}' is not known yet", fix="answer the form's questions first"
        )
    return Decimal(str(value)).quantize(Decimal("0.01"))


@transaction.atomic
def payment_request(*, application: Application, purpose: str) -> Payment:
    """Open a payment of the fee ``purpose`` at the amount in force; idempotent while one is live.

    A fee is payable only when the workflow says: before submission ('application') or in its state
    (the Tk 1,100 after approval). A paid or pending payment of the same purpose is returned as it is.
    """
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    pack = pack_of(application)
    workflow = _workflow(pack)
    fee = workflow.fees.get(purpose)
    if fee is None:
        raise CaseError(f"no fee '{purpose}'", field="purpose", fix=f"fees: {', '.join(workflow.fees)}")
    live = application.payments.filter(
        purpose=purpose, status__in=(Payment.Status.PENDING, Payment.Status.PAID)
    )
    existing = live.first()
    if existing is not None:
        return existing
    payable_now = application.is_draft if fee.payable == "application" else application.state == fee.payable
    if not payable_now:
        raise CaseError(
            f"the {text_in(fee.title, 'en').lower()} is not payable at this stage",
            field="purpose",
            fix="it is paid when applying"
            if fee.payable == "application"
            else f"it is paid in '{fee.payable}'",
        )
    payment = Payment.objects.create(
        application=application,
        purpose=purpose,
        amount=fee_amount(application, purpose, pack),
        currency=fee.currency,
        provider=payment_provider().name,
    )
    _event(application, "payment_requested", data={"purpose": purpose, "amount": str(payment.amount)})
    return payment


@transaction.atomic
def payment_start(*, payment: Payment) -> PaymentStart:
    """Open the payment at the provider and keep its reference; returns where to send the payer."""
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    if payment.status != Payment.Status.PENDING:
        raise CaseError("this payment is not waiting to be paid", field="payment")
    start = payment_provider().start(payment)
    payment.provider_reference = start.provider_reference
    payment.save(update_fields=["provider_reference"])
    return start


@transaction.atomic
def payment_confirm(*, payment: Payment, provider_reference: str, by_user: Any = None) -> Payment:
    """Record the provider's confirmation; once the fee after approval is paid, the record is issued.

    Idempotent: confirming a paid payment again changes nothing. A refused confirmation marks it failed.
    """
    payment = Payment.objects.select_for_update(of=("self",)).select_related("application").get(pk=payment.pk)
    if payment.status == Payment.Status.PAID:
        return payment
    application = payment.application
    if not payment_provider().confirm(payment, provider_reference):
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])
        _event(application, "payment_failed", actor=by_user, data={"purpose": payment.purpose})
        return payment
    payment.status = Payment.Status.PAID
    payment.provider_reference = provider_reference
    payment.paid_at = timezone.now()
    payment.save(update_fields=["status", "provider_reference", "paid_at"])
    _event(
        application,
        "payment_confirmed",
        actor=by_user,
        data={"purpose": payment.purpose, "amount": str(payment.amount), "reference": provider_reference},
    )
    pack = pack_of(application)
    if not application.is_draft:
        _notify(
            application,
            "payment_received",
            pack,
            key=f"payment:{payment.pk}",
            extra={"amount": f"{payment.amount:f}".rstrip("0").rstrip("."), "receipt": provider_reference},
        )
        _run_system_transitions(application, pack)
    return payment


# ---------------------------------------------------------------------------------------------------
# Submission


def _secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def _next_reference(country: str, year: int) -> str:
    """The next free reference for ``country`` and ``year``, taken under a lock on its counter row.

    Call inside a transaction: the row stays locked until the submission commits, so concurrent
    submissions queue here for a moment instead of colliding on the unique reference.
    """
    prefix = f"{country}-{year}-"
    if not ReferenceCounter.objects.filter(prefix=prefix).exists():
        # The first submission of the year (or the first since counters exist) starts from the highest
        # reference already given; a concurrent creator's row wins and ours is ignored.
        last = (
            Application.objects.filter(reference__startswith=prefix)
            .order_by("-reference")
            .values_list("reference", flat=True)
            .first()
        )
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(prefix=prefix, last_number=int(last.rsplit("-", 1)[1]) if last else 0)],
            ignore_conflicts=True,
        )
    counter = ReferenceCounter.objects.select_for_update(of=("self",)).get(prefix=prefix)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{prefix}{counter.last_number:06d}"


def missing_answers(application: Application, pack: Pack | None = None) -> dict[str, str]:
    """Required questions and documents asked (given the answers so far) but not yet answered."""
    pack = pack or pack_of(application)
    form = _form(pack, application.form_id)
    attached = frozenset(application.documents.values_list("kind", flat=True))
    missing: dict[str, str] = {}
    for q in form.visible_questions(application.answers, _today(), attached):
        if not q.required:
            continue
        label = text_in(q.label, application.language)
        if q.type == "document" and q.id not in attached:
            missing[q.id] = f"attach '{label}'"
        elif q.type != "document" and application.answers.get(q.id) in (None, ""):
            missing[q.id] = f"answer '{label}'"
    return missing


def admissibility(application: Application, pack: Pack | None = None) -> DecisionResult:
    """The pack's main decision (e-Mutation: ``admissible``) on the application's facts today."""
    pack = pack or pack_of(application)
    return evaluate_unit(
        pack.ruleset, case_facts(application, pack), on=_today(), language=application.language
    )


def _refusal_reasons(result: DecisionResult, decision: str | None = None) -> str:
    """The reasons of the criteria of ``decision`` (default: the pack's main one) that did not hold."""
    decision = decision or result.main
    reasons = [
        c.explanation
        for c in result.criteria
        if c.decision == decision and c.kind == "criterion" and c.outcome is not True
    ]
    return " ".join(reasons)


def _state_due(workflow: Workflow, state: str, now: dt.datetime) -> dt.datetime | None:
    days = workflow.states[state].deadline_days
    return now + dt.timedelta(days=days) if days else None


@transaction.atomic
def application_submit(*, application: Application, by_user: Any, idempotency_key: str) -> Submission:
    """Submit a draft: check it is complete and admissible, give it its reference, start the clocks.

    Idempotent: the same ``idempotency_key`` (one per form shown) returns the application it first
    submitted, and a submitted application is never submitted twice (a double click, the back button).
    """
    if not idempotency_key or len(idempotency_key) > 100:
        raise CaseError(
            "a submission needs an idempotency key of 1 to 100 characters", field="idempotency_key"
        )
    earlier = Application.objects.filter(idempotency_key=idempotency_key).first()
    if earlier is not None:
        return Submission(earlier, None, True)
    given = application
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if not _may_act_as_applicant(application, by_user):
        raise NotPermitted("only the applicant, or who filed for them, may submit this application")
    if not application.is_draft:
        return Submission(application, None, True)
    pack = pack_of(application)
    workflow = _workflow(pack)
    missing = missing_answers(application, pack)
    if missing:
        raise AnswersInvalid(missing)
    now = timezone.now()
    application.submitted_at = now
    result = admissibility(application, pack)
    form_facts = {q.fact for q in _form(pack, application.form_id).questions if q.fact}
    fee_facts = {f.paid_fact for f in workflow.fees.values() if f.payable == "application"}
    applicant_can_give = [m for m in result.missing if m in form_facts | fee_facts]
    if result.outcome is False or applicant_can_give:
        raise NotAdmissible(_refusal_reasons(result) or "the application is not complete", result)
    application.reference = _next_reference(pack.service.country, now.year)
    secret = _secret()
    application.status_secret_hash = make_password(secret)
    application.idempotency_key = idempotency_key
    application.state = workflow.initial
    application.state_entered_at = now
    application.state_due_at = _state_due(workflow, workflow.initial, now)
    application.due_at = now + dt.timedelta(days=workflow.deadline_days) if workflow.deadline_days else None
    application.facts = {**_jsonable(workflow.facts), **application.facts}
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # Another request took this reference or this key a moment ago.
        earlier = Application.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return Submission(earlier, None, True)
        raise
    _event(
        application,
        "submit",
        actor=by_user,
        from_state=DRAFT,
        to_state=workflow.initial,
        data={"admissible": result.to_dict()},
    )
    _notify(application, "application_received", pack, key="submitted")
    given.refresh_from_db()  # the caller's draft instance shows the submission too
    return Submission(application, secret, False)


def status_secret_matches(application: Application, secret: str) -> bool:
    """Whether ``secret`` is the application's tracking secret (compared by its hash)."""
    normalised = secret.strip().upper().replace(" ", "").replace("-", "")
    return bool(application.status_secret_hash) and check_password(normalised, application.status_secret_hash)


# ---------------------------------------------------------------------------------------------------
# Workflow


def actor_may_take(application: Application, transition: Transition, user: Any, pack: Pack) -> bool:
    """Whether ``user`` may take ``transition`` on this case: by role and area, or as the applicant."""
    if user is None:
        return SYSTEM in transition.by
    if APPLICANT in transition.by and _may_act_as_applicant(application, user):
        return True
    roles = transition.staff_roles
    if not roles or application.area is None:
        return False
    return staff_can_act(user, pack_id=application.pack_id, roles=roles, area=application.area)


def _clean_data(transition: Transition, data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field in transition.requires:
        value = data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise TransitionRefused(
                f"'{field}' is required for this step", field=field, fix=f"give the {field}"
            )
        if field == "hearing_at":
            if isinstance(value, str):
                try:
                    value = dt.datetime.fromisoformat(value)
                except ValueError:
                    raise TransitionRefused(
                        "the hearing date is not a date and time",
                        field=field,
                        fix="write it as 2026-03-14 10:30",
                    ) from None
            if not isinstance(value, dt.datetime):
                raise TransitionRefused("the hearing date is not a date and time", field=field)
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            if value <= timezone.now():
                raise TransitionRefused(
                    "the hearing must be in the future",
                    field=field,
                    fix="choose a later date, leaving time to serve the notices",
                )
        if field == "hearing_mode" and value not in Hearing.Mode.values:
            raise TransitionRefused(
                f"unknown hearing mode '{value}'",
                field=field,
                fix=f"use one of {', '.join(Hearing.Mode.values)}",
            )
        cleaned[field] = value
    for field in ("notes", "reason", "report"):
        if field in data and field not in cleaned and data[field]:
            cleaned[field] = str(data[field])
    return cleaned


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for k, v in data.items()}


@transaction.atomic
def case_transition(
    *, application: Application, transition_id: str, by_user: Any, data: Mapping[str, Any] | None = None
) -> Application:
    """Take a workflow step: check who acts (role and area), the state, the guard and the data given.

    A decision records its reasons and the rule trace; a hearing step records the hearing; the
    applicant's SMS is queued in this same transaction. ``by_user=None`` is the system itself.
    """
    given = application
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("area").get(pk=application.pk)
    )
    pack = pack_of(application)
    workflow = _workflow(pack)
    transition = workflow.transitions.get(transition_id)
    if transition is None:
        raise TransitionRefused(f"no step '{transition_id}'", fix=f"steps: {', '.join(workflow.transitions)}")
    if not actor_may_take(application, transition, by_user, pack):
        raise NotPermitted(
            f"you may not take the step '{transition_id}' on this case",
            fix="it is taken by: " + ", ".join(transition.by),
        )
    if application.state not in transition.sources:
        raise TransitionRefused(
            f"the step '{transition_id}' is not possible while the case is '{application.state}'",
            fix="possible now: "
            + (", ".join(t.id for t in workflow.transitions_from(application.state)) or "none"),
        )
    cleaned = _clean_data(transition, data or {})
    holds, result = workflow.guard_holds(transition, pack.ruleset, case_facts(application, pack), on=_today())
    if not holds:
        decision = transition.guard or ""
        message = _refusal_reasons(result, decision) if decision in result.decisions else ""
        message = message or f"its condition ({decision}) does not hold"
        raise TransitionRefused(
            f"the step '{transition_id}' is not allowed now: {message}",
            field="guard",
            result=result,
        )
    _apply(application, transition, cleaned, by_user, pack, workflow, result)
    if given is not application:
        given.refresh_from_db()  # the caller's instance shows the new state too
    return application


def _apply(
    application: Application,
    transition: Transition,
    cleaned: dict[str, Any],
    by_user: Any,
    pack: Pack,
    workflow: Workflow,
    result: DecisionResult,
) -> None:
    now = timezone.now()
    source = application.state
    extra: dict[str, Any] = {}
    if transition.effect == "case_number" and not application.case_number:
        area = application.area.code if application.area else pack.service.country
        count = Application.objects.exclude(case_number="").filter(pack_id=application.pack_id).count() + 1
        application.case_number = f"{area}/{now.year}/{count:05d}"
    if transition.effect == "hearing_scheduled":
        hearing = Hearing.objects.create(
            application=application,
            scheduled_at=cleaned["hearing_at"],
            mode=cleaned["hearing_mode"],
            place=str(cleaned.get("hearing_place", "")),
            notice_sent_at=now if transition.notify else None,
        )
        local = timezone.localtime(hearing.scheduled_at)
        online = hearing.mode == Hearing.Mode.ONLINE
        extra = {
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "place": hearing.place,
            "link": hearing.place if online else _public_url(reverse("cases:track")),
        }
    if transition.effect == "hearing_held":
        hearing_row = application.hearings.filter(held_at__isnull=True).order_by("-scheduled_at").first()
        if hearing_row is None:
            raise TransitionRefused("no hearing was scheduled", fix="schedule the hearing first")
        hearing_row.held_at = now
        hearing_row.notes = str(cleaned.get("notes", ""))
        hearing_row.save(update_fields=["held_at", "notes"])
    if transition.outcome is not None:
        Decision.objects.create(
            application=application,
            outcome=transition.outcome,
            reasons=cleaned["reason"],
            rule_trace=result.to_dict(),
            pack_version=pack.version,
            decided_by=by_user,
        )
        application.decided_at = now
        extra["reasons"] = cleaned["reason"]
        if transition.outcome == "approved":
            record_fees = [p for p, f in workflow.fees.items() if f.payable == transition.target]
            if record_fees:
                extra["amount"] = _amount_text(
                    sum((fee_amount(application, p, pack) for p in record_fees), Decimal(0))
                )
    application.facts = {**application.facts, **_jsonable(transition.sets)}
    application.state = transition.target
    if transition.target != source or transition.effect == "hearing_scheduled":
        application.state_entered_at = now
        application.state_due_at = _state_due(workflow, transition.target, now)
        overall_overdue = (
            application.due_at is not None and application.due_at <= now and application.decided_at is None
        )
        if not overall_overdue:
            application.is_escalated = False
            application.escalated_to_role = ""
    application.save()
    event = _event(
        application,
        transition.id,
        actor=by_user,
        from_state=source,
        to_state=transition.target,
        note=str(cleaned.get("reason") or cleaned.get("report") or cleaned.get("notes") or ""),
        data=_jsonable(cleaned),
    )
    if transition.effect == "record":
        record = _issue_record(application, pack)
        extra["link"] = _public_url(reverse("cases:verify", kwargs={"token": record.verification_token}))
    _notify(application, transition.notify, pack, key=f"event:{event.pk}", extra=extra)


def _amount_text(amount: Decimal) -> str:
    return f"{amount:,.2f}".removesuffix(".00")


def _run_system_transitions(application: Application, pack: Pack) -> None:
    """Take the system steps whose guard now holds (e.g. issue the record once the fee is paid)."""
    workflow = _workflow(pack)
    for transition in workflow.transitions_from(application.state):
        if SYSTEM not in transition.by or transition.requires:
            continue
        holds, result = workflow.guard_holds(
            transition, pack.ruleset, case_facts(application, pack), on=_today()
        )
        if holds:
            _apply(application, transition, {}, None, pack, workflow, result)
            return


@transaction.atomic
def hearing_schedule(
    *, application: Application, by_user: Any, scheduled_at: dt.datetime, mode: str, place: str
) -> Hearing:
    """Set (or move) the hearing and serve the notice to the applicant by SMS; online hearings allowed."""
    pack = pack_of(application)
    workflow = _workflow(pack)
    transition = next((t for t in workflow.transitions.values() if t.effect == "hearing_scheduled"), None)
    if transition is None:
        raise TransitionRefused("this service has no hearing step")
    case_transition(
        application=application,
        transition_id=transition.id,
        by_user=by_user,
        data={"hearing_at": scheduled_at, "hearing_mode": mode, "hearing_place": place},
    )
    hearing = application.hearings.order_by("-created_at", "-pk").first()
    assert hearing is not None
    return hearing


# ---------------------------------------------------------------------------------------------------
# The record


def _record_pdf(
    application: Application, record_number: str, token: str, pack: Pack, issued_at: dt.datetime
) -> bytes:
    """The new record as a one-page PDF with a QR code that opens the public verification page."""
    import io

    import segno
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.lib.utils import ImageReader  # type: ignore[import-untyped]
    from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

    url = _public_url(reverse("cases:verify", kwargs={"token": token}))
    qr_png = io.BytesIO()
    segno.make(url, error="m").save(qr_png, kind="png", scale=6, border=2)
    qr_png.seek(0)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{text_in(pack.service.title, 'en')} {application.reference}")
    pdf.setSubject(url)
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 15)
    pdf.drawString(20 * mm, y, "Record of rights (khatian) after mutation")
    pdf.setFont("Helvetica", 10)
    y -= 8 * mm
    pdf.drawString(20 * mm, y, text_in(pack.service.title, "en") + f" ({pack.id} {pack.version})")
    answers = application.answers
    lines = [
        ("Record number", record_number),
        ("Application reference", application.reference or ""),
        ("Case number", application.case_number),
        ("Issued on", timezone.localdate(issued_at).isoformat()),
        ("Area", f"{application.area.name} ({application.area.code})" if application.area else ""),
        ("Mouza", str(answers.get("mouza", ""))),
        ("J.L. number", str(answers.get("jl_number", ""))),
        ("Previous khatian", str(answers.get("khatian_number", ""))),
        ("Plots (dag)", str(answers.get("plot_numbers", ""))),
        ("Area of land (decimals)", str(answers.get("land_area_decimal", ""))),
        ("Recorded owner", str(answers.get("applicant_name", ""))),
    ]
    y -= 12 * mm
    for label, value in lines:
        if not value:
            continue
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(20 * mm, y, label)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(75 * mm, y, value[:80])
        y -= 7 * mm
    pdf.drawImage(ImageReader(qr_png), width - 65 * mm, height - 75 * mm, 45 * mm, 45 * mm)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(20 * mm, 20 * mm, f"Check that this record is authentic: {url}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _issue_record(application: Application, pack: Pack) -> RecordCopy:
    existing = RecordCopy.objects.filter(application=application).first()
    if existing is not None:
        return existing
    now = timezone.now()
    token = secrets.token_urlsafe(24)
    record_number = f"{application.case_number or application.reference}-R"
    record = RecordCopy(
        application=application, record_number=record_number, verification_token=token, issued_at=now
    )
    record.pdf.save(
        "record.pdf", ContentFile(_record_pdf(application, record_number, token, pack, now)), save=False
    )
    record.save()
    _event(application, "record_issued", data={"record_number": record_number})
    return record


@transaction.atomic
def record_issue(*, application: Application) -> RecordCopy:
    """Issue the new record once the pack's guard holds (approved and fees paid); idempotent.

    Taken by the system: it is the workflow's step with ``effect: record`` from the current state.
    """
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    existing = RecordCopy.objects.filter(application=application).first()
    if existing is not None:
        return existing
    pack = pack_of(application)
    workflow = _workflow(pack)
    transition = next((t for t in workflow.transitions_from(application.state) if t.effect == "record"), None)
    if transition is None:
        raise TransitionRefused(
            "the record cannot be issued at this stage", fix="the application must be approved"
        )
    case_transition(application=application, transition_id=transition.id, by_user=None)
    return RecordCopy.objects.get(application=application)


# ---------------------------------------------------------------------------------------------------
# Deadlines


@transaction.atomic
def cases_escalate_overdue(*, now: dt.datetime | None = None) -> list[Application]:
    """Escalate every open case past its state deadline or the overall deadline (28 days for e-Mutation).

    The case goes to the state's ``escalate_to`` role, or the workflow's for the overall deadline, and
    the applicant is told. Idempotent: a case already escalated to that role is left alone.
    """
    now = now or timezone.now()
    escalated: list[Application] = []
    candidates = (
        Application.objects.select_for_update(of=("self",))
        .exclude(state=DRAFT)
        .filter(_overdue_q(now))
        .order_by("pk")
    )
    packs: dict[tuple[str, str], Pack] = {}
    for application in candidates:
        key = (application.pack_id, application.pack_version)
        if key not in packs:
            packs[key] = pack_of(application)
        pack = packs[key]
        workflow = _workflow(pack)
        state = workflow.states.get(application.state)
        if state is None or state.is_terminal:
            continue
        overall = (
            application.due_at is not None and application.decided_at is None and application.due_at <= now
        )
        overall = overall and state.is_on_clock
        role = workflow.escalate_to if overall else state.escalate_to
        if not role or (application.is_escalated and application.escalated_to_role == role):
            continue
        if not overall and (application.state_due_at is None or application.state_due_at > now):
            continue
        previous = application.escalated_to_role
        application.is_escalated = True
        application.escalated_at = now
        application.escalated_to_role = role
        application.save(update_fields=["is_escalated", "escalated_at", "escalated_to_role", "updated_at"])
        reason = "overall deadline" if overall else f"deadline of '{application.state}'"
        _event(
            application,
            "escalated",
            from_state=application.state,
            to_state=application.state,
            note=f"past the {reason}",
            data={"role": role, "previous_role": previous},
        )
        audit_record(action="case.escalate", subject=application, detail={"role": role})
        if overall:
            _notify(application, "case_overdue", pack, key="overdue")
        escalated.append(application)
    return escalated


def _overdue_q(now: dt.datetime) -> Q:
    """Cases past their overall deadline before a decision, or past their current state's deadline."""
    return Q(due_at__lte=now, decided_at__isnull=True) | Q(state_due_at__lte=now)
