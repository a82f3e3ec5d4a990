"""The Registration building block over GovReach's cases: no second store, only a mapping.

- A *service* is a pack with a case workflow in the catalogue (id: a UUID derived from the pack id).
- An *e-form* is one of the pack's forms, rendered as a JSON Schema; each answer is an object
  ``{"value": ...}`` because the building block's ``formData.data`` holds objects. Fees paid before
  submitting are given in ``payments`` as ``{purpose: {"paymentReference": ...}}``.
- An *application file* is a ``cases.Application`` (its ``fileId`` an opaque UUID).
- A *task* is a workflow step waiting for someone: the application's current state, for the steps the
  calling system's account may take there (its operator's roles and areas, or the applicant's own).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import filetype  # type: ignore[import-untyped]
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek, TruncYear
from django.utils import timezone

from govreach.cases import services as cases
from govreach.cases.models import DRAFT, Application, Decision, Payment
from govreach.cases.selectors import case_queue_for_staff
from govreach.catalogue.selectors import ServicePackUnavailable, pack_for, service_pack_list
from govreach.govstack import conf
from govreach.govstack.errors import ApiError, system_error
from govreach.govstack.models import (
    APPLY,
    OPERATE,
    ClientSystem,
    ExternalApplicant,
    OpaqueId,
    PendingDocument,
)
from govreach.packs.forms import Form, Question
from govreach.packs.loader import Pack, text_in
from govreach.packs.workflow import APPLICANT, Transition, Workflow

# Fixed namespace: a service's and an e-form's ids stay the same across restarts and installations.
_NAMESPACE = uuid.UUID("6f3c1d2e-8a47-5b9e-9c10-67a2f0e4b1d3")
LANGUAGE = "en"
MAX_PAGE = 100
PAYMENTS_KEY = "payments"
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


# -- opaque ids ----------------------------------------------------------------------------------------
def opaque_id(kind: str, object_id: int) -> str:
    """The UUID that stands for a GovReach row in GovStack paths, created the first time it is asked."""
    row, _created = OpaqueId.objects.get_or_create(kind=kind, object_id=object_id)
    return str(row.uuid)


def object_for(kind: str, raw: str) -> int | None:
    """The primary key behind an opaque id of ``kind``, or None (unknown, or not a UUID)."""
    try:
        value = uuid.UUID(str(raw))
    except ValueError:
        return None
    return OpaqueId.objects.filter(kind=kind, uuid=value).values_list("object_id", flat=True).first()


def _uuid_in(text: str) -> uuid.UUID | None:
    found = _UUID.findall(text)
    return uuid.UUID(found[-1]) if found else None


# -- services and e-forms ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    """A pack that takes applications, as the building block lists it."""

    pack: Pack
    workflow: Workflow

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"service:{self.pack.id}"))

    @property
    def name(self) -> str:
        return text_in(self.pack.service.title, LANGUAGE)

    def forms(self) -> list[Form]:
        return [f for f in self.pack.forms.values() if isinstance(f, Form)]

    def eform_id(self, form: Form) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"eform:{self.pack.id}:{form.id}:{self.pack.version}"))


def service_list(*, name: str | None = None) -> list[Service]:
    """The services that take applications now (active packs with a case workflow and a form)."""
    found: list[Service] = []
    for row in service_pack_list():
        try:
            pack = pack_for(row)
        except ServicePackUnavailable:
            continue
        if isinstance(pack.workflow, Workflow) and any(isinstance(f, Form) for f in pack.forms.values()):
            found.append(Service(pack, pack.workflow))
    if name:
        wanted = name.strip().lower()
        found = [s for s in found if wanted in s.name.lower() or wanted == s.pack.id]
    return found


def service_get(service_id: str) -> Service | None:
    return next((s for s in service_list() if s.id == str(service_id).lower()), None)


def service_of_pack(pack_id: str) -> Service | None:
    return next((s for s in service_list() if s.pack.id == pack_id), None)


def service_json(service: Service) -> dict[str, Any]:
    pack = service.pack
    body = [
        {"code": "packId", "value": pack.id},
        {"code": "country", "value": pack.service.country},
        {"code": "owner", "value": pack.service.owner},
        {"code": "languages", "value": ",".join(pack.languages)},
    ]
    if service.workflow.deadline_days:
        body.append({"code": "deadlineDays", "value": str(service.workflow.deadline_days)})
    summary = text_in(pack.service.summary, LANGUAGE) if pack.service.summary else ""
    return {
        "id": service.id,
        "name": service.name,
        "version": pack.version,
        "type": "Public",
        "isExecutable": True,
        "isClosed": False,
        "description": summary,
        "serviceBody": body,
    }


def eform_list_json(service: Service) -> list[dict[str, Any]]:
    return [_eform_head(service, form) for form in service.forms()]


def _eform_head(service: Service, form: Form) -> dict[str, Any]:
    return {
        "eFormId": service.eform_id(form),
        "name": text_in(form.title, LANGUAGE),
        "description": text_in(form.description, LANGUAGE) if form.description else "",
        "version": service.pack.version,
        "latest": True,
    }


def eform_get(eform_id: str) -> tuple[Service, Form] | None:
    for service in service_list():
        for form in service.forms():
            if service.eform_id(form) == str(eform_id).lower():
                return service, form
    return None


def _answer_schema(q: Question) -> dict[str, Any]:
    schema: dict[str, Any]
    if q.type in ("number", "integer"):
        schema = {"type": q.type}
        if q.min is not None:
            schema["minimum"] = q.min
        if q.max is not None:
            schema["maximum"] = q.max
    elif q.type == "boolean":
        schema = {"type": "boolean"}
    elif q.type == "date":
        schema = {"type": "string", "format": "date"}
    elif q.type == "choice":
        schema = {"type": "string", "enum": [c.value for c in q.choices]}
    elif q.type == "document":
        schema = {
            "type": "string",
            "description": "The url (or id) POST /documents returned for the file.",
            "x-accept": list(q.accepted_content_types),
        }
        if q.max_bytes is not None:
            schema["x-max-bytes"] = q.max_bytes
    else:
        schema = {"type": "string"}
        if q.min is not None:
            schema["minLength"] = int(q.min)
        if q.max is not None:
            schema["maxLength"] = int(q.max)
        if q.pattern:
            schema["pattern"] = q.pattern
        if q.type == "area":
            schema["x-area-level"] = q.level or ""
    return schema


def eform_schema(service: Service, form: Form) -> dict[str, Any]:
    """The pack's form as a JSON Schema of ``formData.data``: one ``{"value": ...}`` per question.

    A question with ``x-show-if`` is asked only when that rules expression holds on the other answers;
    ``required`` lists what is asked unconditionally. ``payments`` names the fees due before submitting.
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    for page in form.pages:
        for q in page.questions:
            prop: dict[str, Any] = {
                "type": "object",
                "title": text_in(q.label, LANGUAGE),
                "properties": {"value": _answer_schema(q)},
                "required": ["value"],
                "x-page": page.id,
                "x-question-type": q.type,
            }
            if q.hint:
                prop["description"] = text_in(q.hint, LANGUAGE)
            condition = " and ".join(c for c in (page.show_if, q.show_if) if c)
            if condition:
                prop["x-show-if"] = condition
            elif q.required:
                required.append(q.id)
            properties[q.id] = prop
    fees = {
        purpose: {
            "type": "object",
            "title": text_in(fee.title, LANGUAGE),
            "properties": {"paymentReference": {"type": "string", "minLength": 1}},
            "required": ["paymentReference"],
            "x-currency": fee.currency,
        }
        for purpose, fee in service.workflow.fees.items()
        if fee.payable == "application"
    }
    if fees:
        properties[PAYMENTS_KEY] = {
            "type": "object",
            "title": "Fees paid before submitting (the payment provider's reference of each)",
            "properties": fees,
            "required": sorted(fees),
        }
        required.append(PAYMENTS_KEY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": text_in(form.title, LANGUAGE),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def eform_json(service: Service, form: Form) -> dict[str, Any]:
    return {**_eform_head(service, form), "schema": eform_schema(service, form)}


# -- who the calling system acts as --------------------------------------------------------------------
def _applicant_users(client: ClientSystem) -> QuerySet[ExternalApplicant]:
    return ExternalApplicant.objects.filter(client=client)


def applications_visible(client: ClientSystem) -> QuerySet[Application]:
    """Applications the system may see: its own applicants' (to apply), its operator's queue (to operate).

    An operator sees exactly what the officer's account sees in GovReach: submitted cases of the packs
    it holds a role for, in its areas. A system with neither permission sees nothing.
    """
    visible = Q(pk__in=[])
    if client.may(APPLY):
        visible |= Q(applicant_id__in=_applicant_users(client).values("user_id"))
    if client.may(OPERATE) and client.operator is not None:
        for service in service_list():
            queue = case_queue_for_staff(client.operator, pack_id=service.pack.id)
            visible |= Q(pk__in=queue.values("pk"))
    return Application.objects.filter(visible)


def application_for_client(client: ClientSystem, file_id: str) -> Application | None:
    pk = object_for(OpaqueId.Kind.APPLICATION, file_id)
    if pk is None:
        return None
    return applications_visible(client).filter(pk=pk).first()


def _applicant_id(client: ClientSystem, application: Application) -> str:
    external = _applicant_users(client).filter(user_id=application.applicant_id).first()
    # Another system's applicant (an operator looking at the case) gets GovReach's opaque account id.
    return external.applicant_id if external else opaque_id(OpaqueId.Kind.ACCOUNT, application.applicant_id)


def _status(application: Application, pack: Pack) -> dict[str, str]:
    workflow = pack.workflow
    decision = application.decisions.first()
    if decision is not None and decision.outcome == Decision.Outcome.APPROVED:
        code = "APPROVED"
    elif decision is not None and decision.outcome == Decision.Outcome.REJECTED:
        code = "REJECTED"
    else:
        code = "PENDING"
    state = workflow.states.get(application.state) if isinstance(workflow, Workflow) else None
    title = text_in(state.title, LANGUAGE) if state is not None else "Draft"
    return {"code": code, "title": title}


def _is_ended(application: Application, pack: Pack) -> bool:
    workflow = pack.workflow
    state = workflow.states.get(application.state) if isinstance(workflow, Workflow) else None
    return state is not None and state.is_terminal


def _document_urls(application: Application, file_id: str) -> list[str]:
    return [f"urn:govreach:document:{file_id}:{d.kind}:{d.sha256[:16]}" for d in application.documents.all()]


def _form_data(service: Service, form: Form, application: Application) -> dict[str, Any]:
    data: dict[str, Any] = {qid: {"value": value} for qid, value in sorted(application.answers.items())}
    paid = {
        p.purpose: {"paymentReference": p.provider_reference, "amount": str(p.amount), "currency": p.currency}
        for p in application.payments.filter(status=Payment.Status.PAID)
    }
    if paid:
        data[PAYMENTS_KEY] = paid
    return {"eFormId": service.eform_id(form), "data": data}


def application_json(client: ClientSystem, application: Application) -> dict[str, Any]:
    """An application as the building block's ``applicationFileResponse``."""
    pack = cases.pack_of(application)
    service = Service(pack, pack.workflow)
    form = pack.forms[application.form_id]
    file_id = opaque_id(OpaqueId.Kind.APPLICATION, application.pk)
    registered = application.submitted_at or application.created_at
    applicant_id = _applicant_id(client, application)
    return {
        "fileId": file_id,
        "applicantId": applicant_id,
        "registered": registered.isoformat(),
        "serviceId": service.id,
        "serviceName": service.name,
        "status": _status(application, pack),
        "ended": _is_ended(application, pack),
        "applicationData": {
            "applicantId": applicant_id,
            "applicationName": application.reference or "",
            "created": application.created_at.isoformat(),
            "formData": _form_data(service, form, application),
            "documentUrls": _document_urls(application, file_id),
        },
    }


# -- tasks ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """The steps ``actor`` may take on ``application`` in its current state."""

    application: Application
    service: Service
    transitions: tuple[Transition, ...]

    @property
    def file_id(self) -> str:
        return opaque_id(OpaqueId.Kind.APPLICATION, self.application.pk)

    @property
    def id(self) -> str:
        return f"{self.file_id}.{self.application.state}"

    @property
    def role_id(self) -> str:
        roles = [r for t in self.transitions for r in t.by]
        return roles[0] if roles else ""

    @property
    def name(self) -> str:
        state = self.service.workflow.states[self.application.state]
        return text_in(state.title, LANGUAGE)


def _actors(client: ClientSystem, application: Application) -> list[User]:
    actors: list[User] = []
    if client.may(OPERATE) and client.operator is not None:
        actors.append(client.operator)
    if client.may(APPLY) and _applicant_users(client).filter(user_id=application.applicant_id).exists():
        actors.append(application.applicant)
    return actors


def task_for(client: ClientSystem, application: Application) -> Task | None:
    """The task the system has on this application now, or None (nothing it may do, or a closed case)."""
    if application.state == DRAFT:
        return None
    pack = cases.pack_of(application)
    workflow = pack.workflow
    if not isinstance(workflow, Workflow) or workflow.states[application.state].is_terminal:
        return None
    allowed: list[Transition] = []
    for transition in workflow.transitions_from(application.state):
        if transition.staff_roles or APPLICANT in transition.by:
            for actor in _actors(client, application):
                if cases.actor_may_take(application, transition, actor, pack):
                    allowed.append(transition)
                    break
    if not allowed:
        return None
    return Task(application, Service(pack, workflow), tuple(allowed))


def task_list(client: ClientSystem, *, file_id: str | None = None) -> list[Task]:
    applications = applications_visible(client).exclude(state=DRAFT).order_by("state_entered_at", "pk")
    if file_id:
        pk = object_for(OpaqueId.Kind.APPLICATION, file_id)
        applications = applications.filter(pk=pk) if pk is not None else applications.none()
    tasks = (task_for(client, a) for a in applications.select_related("applicant", "area"))
    return [t for t in tasks if t is not None]


def task_get(client: ClientSystem, task_id: str) -> Task | None:
    file_id, _, state = str(task_id).partition(".")
    application = application_for_client(client, file_id)
    if application is None or application.state != state:
        return None
    return task_for(client, application)


def _assignee(client: ClientSystem) -> str:
    return client.operator.get_username() if client.operator is not None else ""


def task_json(client: ClientSystem, task: Task) -> dict[str, Any]:
    form = task.service.pack.forms[task.application.form_id]
    return {
        "taskId": task.id,
        "mainTaskId": task.file_id,
        "name": task.name,
        "assigneeId": _assignee(client),
        "roleId": task.role_id,
        "created": task.application.state_entered_at.isoformat(),
        "description": "; ".join(f"{t.id}: {text_in(t.title, LANGUAGE)}" for t in task.transitions),
        "serviceId": task.service.id,
        "serviceName": task.service.name,
        "fileId": task.file_id,
        "eFormId": task.service.eform_id(form),
        "status": _status(task.application, task.service.pack),
    }


def task_detail_json(client: ClientSystem, task: Task) -> dict[str, Any]:
    """A task with what completing it needs: each possible step and the data it requires."""
    head = task_json(client, task)
    variables = {
        t.id: {"title": text_in(t.title, LANGUAGE), "requires": list(t.requires), "to": t.target}
        for t in task.transitions
    }
    answers = {qid: {"value": value} for qid, value in sorted(task.application.answers.items())}
    return {
        "taskId": head["taskId"],
        "taskName": head["name"],
        "assigneeId": head["assigneeId"],
        "roleId": head["roleId"],
        "created": head["created"],
        "description": head["description"],
        "fileId": head["fileId"],
        "serviceId": head["serviceId"],
        "serviceName": head["serviceName"],
        "eFormId": head["eFormId"],
        "formVariables": variables,
        "status": head["status"],
        "data": answers,
    }


def _plain(value: Any) -> Any:
    """``{"value": x}`` -> ``x``: the building block wraps every form value in an object."""
    if isinstance(value, Mapping) and set(value) == {"value"}:
        return value["value"]
    return value


def task_complete(client: ClientSystem, task: Task, data: Mapping[str, Any]) -> dict[str, Any]:
    """Take the step of ``task`` named by ``data["transition"]`` (or its only step), with the step's data.

    Everything else in ``data`` is what the step requires (``report``, ``reason``, ``hearing_at``...).
    The step is taken with the rights of the system's account: its operator, or the applicant.
    """
    values = {str(k): _plain(v) for k, v in data.items()}
    wanted = values.pop("transition", None)
    if wanted is None:
        if len(task.transitions) != 1:
            steps = ", ".join(t.id for t in task.transitions)
            raise system_error(
                400, "TRANSITION_REQUIRED", f"Name the step in data.transition: one of {steps}."
            )
        transition = task.transitions[0]
    else:
        found = [t for t in task.transitions if t.id == str(wanted)]
        if not found:
            steps = ", ".join(t.id for t in task.transitions)
            raise system_error(400, "UNKNOWN_TRANSITION", f"No step '{wanted}' in this task: one of {steps}.")
        transition = found[0]
    application = task.application
    pack = task.service.pack
    actor = next(
        a for a in _actors(client, application) if cases.actor_may_take(application, transition, a, pack)
    )
    try:
        application = cases.case_transition(
            application=application, transition_id=transition.id, by_user=actor, data=values
        )
    except cases.NotPermitted as exc:
        raise ApiError(403, str(exc)) from None
    except cases.CaseError as exc:
        raise system_error(400, "STEP_REFUSED", _case_error_text(exc)) from None
    return {
        "taskId": task.id,
        "fileId": task.file_id,
        "serviceId": task.service.id,
        "status": _status(application, pack),
        "variables": {
            "step": {
                "data": {
                    "id": {"value": transition.id},
                    "from": {"value": task.application.state},
                    "to": {"value": application.state},
                }
            }
        },
    }


def _case_error_text(exc: cases.CaseError) -> str:
    if isinstance(exc, cases.AnswersInvalid):
        return "; ".join(f"{field}: {message}" for field, message in sorted(exc.errors.items()))
    fix = getattr(exc, "fix", "")
    return f"{exc} ({fix})" if fix else str(exc)


# -- applying ------------------------------------------------------------------------------------------
def _applicant_user(client: ClientSystem, applicant_id: str) -> User:
    external = ExternalApplicant.objects.filter(client=client, applicant_id=applicant_id).first()
    if external is not None:
        return external.user
    # No personal data in the account: the client system knows who the applicant is, GovReach the answers.
    user = User.objects.create_user(username=f"govstack-{secrets.token_hex(10)}", password=None)
    ExternalApplicant.objects.create(client=client, applicant_id=applicant_id, user=user)
    return user


def _pending(client: ClientSystem, reference: str) -> PendingDocument:
    found = _uuid_in(str(reference))
    document = (
        PendingDocument.objects.filter(client=client, uuid=found, used_at__isnull=True).first()
        if found
        else None
    )
    if document is None:
        raise system_error(
            400, "UNKNOWN_DOCUMENT", "A document reference is not an unused upload of this system."
        )
    return document


def _documents_named(
    client: ClientSystem, form: Form, data: Mapping[str, Any], urls: Iterable[Any]
) -> list[tuple[str, PendingDocument]]:
    """(question id, upload) for each document: given as a document question's value, or in documentUrls
    when it was uploaded with the question id as its ``additionalMetadata``."""
    named: list[tuple[str, PendingDocument]] = []
    for q in form.documents():
        if q.id in data and _plain(data[q.id]) not in (None, ""):
            named.append((q.id, _pending(client, str(_plain(data[q.id])))))
    seen = {d.pk for _kind, d in named}
    kinds = {q.id for q in form.documents()}
    for url in urls:
        document = _pending(client, str(url))
        if document.pk in seen:
            continue
        if document.kind not in kinds:
            raise system_error(
                400,
                "DOCUMENT_KIND_UNKNOWN",
                f"Upload the document with additionalMetadata set to one of: {', '.join(sorted(kinds))}.",
            )
        named.append((document.kind, document))
        seen.add(document.pk)
    return named


def _answers(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    documents = {q.id for q in form.documents()}
    return {str(k): _plain(v) for k, v in data.items() if k not in documents and k != PAYMENTS_KEY}


def _payments(service: Service, data: Mapping[str, Any]) -> dict[str, str]:
    raw = data.get(PAYMENTS_KEY) or {}
    if not isinstance(raw, Mapping):
        raise system_error(400, "INVALID_PAYMENTS", "payments must map each fee to {paymentReference}.")
    references: dict[str, str] = {}
    for purpose, given in raw.items():
        fee = service.workflow.fees.get(str(purpose))
        if fee is None or fee.payable != "application":
            raise system_error(
                400, "UNKNOWN_FEE", f"No fee '{purpose}' is paid when applying for this service."
            )
        reference = given.get("paymentReference") if isinstance(given, Mapping) else None
        if not isinstance(reference, str) or not reference.strip():
            raise system_error(400, "INVALID_PAYMENTS", f"Give the paymentReference of the fee '{purpose}'.")
        references[str(purpose)] = reference.strip()
    return references


def _form_for(service: Service, form_data: Mapping[str, Any]) -> Form:
    eform_id = form_data.get("eFormId")
    forms = service.forms()
    if eform_id in (None, ""):
        return forms[0]
    for form in forms:
        if service.eform_id(form) == str(eform_id).lower():
            return form
    raise system_error(400, "UNKNOWN_EFORM", "formData.eFormId is not an e-form of this service.")


def _attach(application: Application, named: list[tuple[str, PendingDocument]], user: User) -> None:
    for kind, pending in named:
        with pending.file.open("rb") as handle:
            cases.document_attach(application=application, kind=kind, uploaded_file=handle, by_user=user)
        pending.used_at = timezone.now()
        pending.save(update_fields=["used_at"])


def application_create(client: ClientSystem, service: Service, body: Mapping[str, Any]) -> Application:
    """File and submit an application in one call: answers, documents, fees paid when applying.

    All or nothing: a refused answer, document or fee, or an incomplete or inadmissible application,
    leaves no draft behind, and the message says what to fix.
    """
    applicant_id = body.get("applicantId")
    if not isinstance(applicant_id, str) or not applicant_id.strip() or len(applicant_id) > 200:
        raise system_error(400, "INVALID_APPLICANT", "applicantId is required (1 to 200 characters).")
    form_data = body.get("formData") or {}
    urls = body.get("documentUrls") or []
    if not isinstance(form_data, Mapping) or not isinstance(urls, list):
        raise system_error(400, "INVALID_BODY", "formData must be an object and documentUrls a list.")
    data = form_data.get("data") or {}
    if not isinstance(data, Mapping):
        raise system_error(400, "INVALID_BODY", "formData.data must be an object.")
    form = _form_for(service, form_data)
    try:
        with transaction.atomic():
            user = _applicant_user(client, applicant_id.strip())
            named = _documents_named(client, form, data, urls)
            payments = _payments(service, data)
            draft = cases.application_draft_save(
                applicant=user, pack_id=service.pack.id, form_id=form.id, answers=_answers(form, data)
            )
            _attach(draft, named, user)
            for purpose, reference in payments.items():
                payment = cases.payment_request(application=draft, purpose=purpose)
                cases.payment_start(payment=payment)
                payment.refresh_from_db()
                cases.payment_confirm(payment=payment, provider_reference=reference, by_user=user)
            submission = cases.application_submit(
                application=draft, by_user=user, idempotency_key=f"govstack-{uuid.uuid4().hex}"
            )
    except cases.CaseError as exc:
        raise system_error(400, "APPLICATION_REFUSED", _case_error_text(exc)) from None
    return submission.application


def application_update(
    client: ClientSystem, application: Application, body: Mapping[str, Any]
) -> Application:
    """Add documents to an application (and, while it is a draft, answers): only its applicant's system.

    Submitted answers are the record the office decides on; they change only through the office.
    """
    if not (client.may(APPLY) and _applicant_users(client).filter(user_id=application.applicant_id).exists()):
        raise ApiError(
            403, "Only the applicant's system may update an application; operators act through tasks."
        )
    form_data = body.get("formData") or {}
    urls = body.get("documentUrls") or []
    if not isinstance(form_data, Mapping) or not isinstance(urls, list):
        raise system_error(400, "INVALID_BODY", "formData must be an object and documentUrls a list.")
    data = form_data.get("data") or {}
    if not isinstance(data, Mapping):
        raise system_error(400, "INVALID_BODY", "formData.data must be an object.")
    pack = cases.pack_of(application)
    form = pack.forms[application.form_id]
    user: User = application.applicant
    try:
        with transaction.atomic():
            named = _documents_named(client, form, data, urls)
            answers = _answers(form, data)
            changed = {k: v for k, v in answers.items() if application.answers.get(k) != v}
            if changed and not application.is_draft:
                raise system_error(
                    400,
                    "ANSWERS_LOCKED",
                    "The answers of a submitted application cannot change: " + ", ".join(sorted(changed)),
                )
            if changed:
                cases.application_draft_save(
                    applicant=user, pack_id=application.pack_id, form_id=application.form_id, answers=changed
                )
            _attach(application, named, user)
    except cases.CaseError as exc:
        raise system_error(400, "UPDATE_REFUSED", _case_error_text(exc)) from None
    application.refresh_from_db()
    return application


def application_list(
    client: ClientSystem,
    *,
    service_id: str | None,
    applicant_id: str | None,
    first: int,
    maximum: int,
    sort_by: str | None,
    descending: bool,
) -> list[Application]:
    applications = applications_visible(client).exclude(state=DRAFT)
    if service_id:
        service = service_get(service_id)
        applications = applications.filter(pack_id=service.pack.id) if service else applications.none()
    if applicant_id:
        user_ids = _applicant_users(client).filter(applicant_id=applicant_id).values("user_id")
        applications = applications.filter(applicant_id__in=user_ids)
    field = {"created": "created_at", "dueDate": "due_at", "id": "pk"}.get(sort_by or "created", "created_at")
    applications = applications.order_by(f"-{field}" if descending else field, "pk")
    return list(applications[first : first + maximum])


def application_list_json(client: ClientSystem, application: Application) -> dict[str, Any]:
    pack = cases.pack_of(application)
    service = Service(pack, pack.workflow)
    form = pack.forms[application.form_id]
    file_id = opaque_id(OpaqueId.Kind.APPLICATION, application.pk)
    task = task_for(client, application)
    item: dict[str, Any] = {
        "fileId": file_id,
        "status": _status(application, pack),
        "applicantId": _applicant_id(client, application),
        "created": application.created_at.isoformat(),
        "registered": (application.submitted_at or application.created_at).isoformat(),
        "description": application.reference or "",
        "serviceName": service.name,
        "serviceId": service.id,
        "eformId": service.eform_id(form),
        "documentUrls": _document_urls(application, file_id),
    }
    if task is not None:
        role = service.workflow.roles.get(task.role_id)
        item.update(
            {
                "mainTaskId": task.file_id,
                "taskTitle": task.name,
                "roleId": task.role_id,
                "roleName": text_in(role.title, LANGUAGE) if role else task.role_id,
                "assigneeId": _assignee(client),
            }
        )
    return item


# -- statistics ----------------------------------------------------------------------------------------
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "year": TruncYear}


def statistics(
    *,
    start: dt.date | None,
    end: dt.date | None,
    registration: str | None,
    operator: str | None,
    role: str | None,
    timeframe: str | None,
) -> list[dict[str, Any]]:
    """Applications processed (submitted), approved, sent back and rejected, per service and period.

    Counts only, never a person. GovReach's workflows have no "send back" step, so ``sentBack`` is 0.
    ``operator`` (a username) and ``role`` (a pack role id) narrow the decisions to who took them.
    """
    services = service_list(name=registration) if registration else service_list()
    rows: list[dict[str, Any]] = []
    for service in services:
        submitted = Application.objects.filter(pack_id=service.pack.id, submitted_at__isnull=False)
        decisions = Decision.objects.filter(application__pack_id=service.pack.id)
        if start:
            submitted = submitted.filter(submitted_at__date__gte=start)
            decisions = decisions.filter(decided_at__date__gte=start)
        if end:
            submitted = submitted.filter(submitted_at__date__lte=end)
            decisions = decisions.filter(decided_at__date__lte=end)
        if operator:
            decisions = decisions.filter(decided_by__username=operator)
        if role:
            decisions = decisions.filter(
                decided_by__staff_assignments__role=role,
                decided_by__staff_assignments__pack_id=service.pack.id,
            ).distinct()
        buckets: dict[Any, dict[str, int]] = {}
        if timeframe:
            trunc = _TRUNC[timeframe]
            for row in submitted.annotate(at=trunc("submitted_at")).values("at").annotate(n=Count("pk")):
                buckets.setdefault(_day(row["at"]), {})["processed"] = row["n"]
            for decided in (
                decisions.annotate(at=trunc("decided_at")).values("at", "outcome").annotate(n=Count("pk"))
            ):
                buckets.setdefault(_day(decided["at"]), {})[decided["outcome"]] = decided["n"]
        else:
            buckets[None] = {"processed": submitted.count()}
            for outcome in decisions.values("outcome").annotate(n=Count("pk")):
                buckets[None][outcome["outcome"]] = outcome["n"]
        for at, counts in sorted(buckets.items(), key=lambda item: item[0] or dt.date.min):
            rows.append(
                {
                    "processed": counts.get("processed", 0),
                    "approved": counts.get(Decision.Outcome.APPROVED, 0),
                    "sentBack": 0,
                    "rejected": counts.get(Decision.Outcome.REJECTED, 0),
                    "references": _references(service, at, start, end, operator, role, timeframe),
                }
            )
    return rows


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _references(
    service: Service,
    at: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    operator: str | None,
    role: str | None,
    timeframe: str | None,
) -> dict[str, Any]:
    period_start = at or start
    refs: dict[str, Any] = {
        "registrationName": service.name,
        "timeframeDay": timeframe == "day",
        "timeframeWeek": timeframe == "week",
        "timeframeMonth": timeframe == "month",
        "timeframeYear": timeframe == "year",
    }
    if period_start:
        refs["startDate"] = period_start.isoformat()
    if end:
        refs["endDate"] = end.isoformat()
    if operator:
        refs["operator"] = operator
    if role:
        refs["role"] = role
    return refs


# -- documents -----------------------------------------------------------------------------------------
UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png")


@transaction.atomic
def document_upload(client: ClientSystem, *, content: bytes, kind: str) -> PendingDocument:
    """Keep an uploaded document until an application names it; checked by its content, not its name.

    ``kind`` is the form's document question (``deed_copy``...) when the client says it; the form's own
    limits (formats, size) are checked again when the document is attached to the application.
    """
    if not content:
        raise system_error(400, "EMPTY_FILE", "The file is empty.")
    if len(content) > conf.max_upload_bytes():
        raise system_error(400, "FILE_TOO_LARGE", f"The file is larger than {conf.max_upload_bytes()} bytes.")
    guessed = filetype.guess(content[:2048])
    content_type = str(guessed.mime) if guessed is not None else ""
    if content_type not in UPLOAD_TYPES:
        raise system_error(400, "FILE_TYPE", "Upload a PDF, JPEG or PNG file (checked by its content).")
    if kind and not re.fullmatch(r"[a-z][a-z0-9_]{0,99}", kind):
        raise system_error(
            400, "INVALID_METADATA", "additionalMetadata names a document question, e.g. deed_copy."
        )
    document = PendingDocument(
        client=client,
        kind=kind,
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    document.file.save("upload", ContentFile(content), save=False)
    document.save()
    return document
