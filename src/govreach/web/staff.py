"""The land officer's pages: the queue of cases in their area, a case with everything needed to decide,
the workflow steps their role allows now (each a small form with what it requires), documents through a
permission-checked download, and, in DEBUG only, the demo SMS outbox.

A case outside the officer's area scope answers 404 exactly like a reference that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from govreach.accounts.access import request_user, staff_login_required
from govreach.cases.models import Application, Hearing
from govreach.cases.selectors import application_timeline, case_allowed_transitions
from govreach.cases.services import (
    CaseError,
    NotPermitted,
    TransitionRefused,
    admissibility,
    case_facts,
    case_transition,
    pack_of,
)
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack
from govreach.notify.privacy import recipient_mask
from govreach.packs.forms import Form
from govreach.packs.loader import Pack, text_in
from govreach.packs.workflow import Transition, Workflow
from govreach.web import selectors
from govreach.web.apply import fees_due
from govreach.web.pages import page_context, respond, site_languages
from govreach.web.questions import answer_text, pages_shown, questions_shown
from govreach.web.texts import DECISION_OUTCOMES

# Lazy: the words are read in the page's language when a page is drawn, not when this module is imported.
TEXT_FIELDS: dict[str, tuple[Promise, Promise]] = {
    "report": (
        gettext_lazy("Your report"),
        gettext_lazy("What you checked and found: documents, the register, the land."),
    ),
    "notes": (
        gettext_lazy("Notes"),
        gettext_lazy("What happened: who was heard, what they said, what was verified."),
    ),
    "reason": (
        gettext_lazy("Reasons for the decision"),
        gettext_lazy("In plain words the applicant will read: the facts and the law."),
    ),
}
# The fill-in wording of "Enter ..." for each text field (the label starts a sentence, this does not).
TEXT_FIELD_ERRORS: dict[str, Promise] = {
    "report": gettext_lazy("Enter your report"),
    "notes": gettext_lazy("Enter notes"),
    "reason": gettext_lazy("Enter reasons for the decision"),
}
MODES = [
    (Hearing.Mode.IN_PERSON.value, gettext_lazy("In person")),
    (Hearing.Mode.ONLINE.value, gettext_lazy("Online")),
]
OUTCOME_WORDS = {
    True: gettext_lazy("Met"),
    False: gettext_lazy("Not met"),
    None: gettext_lazy("Not known yet"),
}


def _workflow(pack: Pack) -> Workflow:
    if not isinstance(pack.workflow, Workflow):
        raise Http404("This service has no case workflow")
    return pack.workflow


# --- the queue --------------------------------------------------------------------------------------


@require_http_methods(["GET"])
@staff_login_required
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The officer's cases, overdue first, filtered by state and area within their scope, with counts."""
    user = request_user(request)
    context = page_context(request, site_languages())
    pack_ids = [p for p in selectors.staff_pack_ids(user) if _has_workflow(p)]
    context["pack_ids"] = pack_ids
    if not pack_ids:
        return respond(request, "web/staff/queue.html", context)
    pack_id = request.GET.get("service", "")
    pack_id = pack_id if pack_id in pack_ids else pack_ids[0]
    pack = active_pack(pack_id)
    workflow = _workflow(pack)
    language = context["language"]
    state = request.GET.get("state", "")
    state = state if state in workflow.states else ""
    area = selectors.area_in_scope(user, pack_id=pack_id, code=request.GET.get("area", ""))
    queue = selectors.queue_for_staff(user, pack_id=pack_id, state=state or None, area=area)
    now = timezone.now()
    rows = [
        {
            "application": a,
            "url": reverse("web:staff_case", kwargs={"reference": a.reference}),
            "state": text_in(workflow.states[a.state].title, language)
            if a.state in workflow.states
            else a.state,
            "is_overdue": a.is_overdue(now) and not _terminal(workflow, a.state),
            "due_on": timezone.localdate(a.due_at) if a.due_at else None,
            "submitted_on": timezone.localdate(a.submitted_at) if a.submitted_at else None,
        }
        for a in queue.cases
    ]
    context.update(
        {
            "pack": pack,
            "pack_id": pack_id,
            "service_title": pack.title(language),
            "rows": rows,
            "total": queue.total,
            "overdue": queue.overdue,
            "states": [
                {
                    "id": s.id,
                    "title": text_in(s.title, language),
                    "count": queue.by_state.get(s.id, 0),
                    "is_selected": s.id == state,
                }
                for s in workflow.states.values()
            ],
            "areas": [
                {"code": a.code, "name": a.name, "level": a.level, "depth": a.depth, "is_selected": area == a}
                for a in selectors.scope_areas(user, pack_id=pack_id)
            ],
            "assignments": selectors.staff_assignments_in(user, pack_id),
            "state_filter": state,
            "area_filter": area,
        }
    )
    return respond(request, "web/staff/queue.html", context)


def _has_workflow(pack_id: str) -> bool:
    try:
        return isinstance(active_pack(pack_id).workflow, Workflow)
    except (ServicePackNotFound, ServicePackUnavailable):
        return False


def _terminal(workflow: Workflow, state: str) -> bool:
    return state in workflow.states and workflow.states[state].is_terminal


# --- one case ---------------------------------------------------------------------------------------


def _case_or_404(request: HttpRequest, reference: str) -> Application:
    application = selectors.case_for_staff(reference=reference[:32], user=request_user(request))
    if application is None:
        raise Http404("No such case")
    return application


def _criteria(trace: dict[str, Any], decision: str) -> list[dict[str, Any]]:
    """The criteria of ``decision`` in a stored or fresh trace, with their outcome in words."""
    return [
        {
            "title": c.get("title") or c.get("id"),
            "explanation": c.get("explanation", ""),
            "outcome": OUTCOME_WORDS.get(c.get("outcome")),
            "is_met": c.get("outcome") is True,
            "is_unknown": c.get("outcome") is None,
            "rule": c.get("rule"),
            "reference": c.get("reference"),
            "depth": int(c.get("depth", 0)),
            "indent": int(c.get("depth", 0)) * 1.25,
        }
        for c in trace.get("criteria", [])
        if c.get("decision") == decision
    ]


def _answers(application: Application, pack: Pack, language: str) -> list[dict[str, Any]]:
    form = pack.forms.get(application.form_id)
    if not isinstance(form, Form):
        return []
    today = timezone.localdate()
    attached = frozenset(application.documents.values_list("kind", flat=True))
    sections = []
    for page in pages_shown(form, application.answers, today, attached):
        rows = []
        for q in questions_shown(form, page, application.answers, today, attached):
            if q.type == "document":
                continue
            value, value_lang = answer_text(q, application.answers.get(q.id), language=language)
            rows.append({"label": text_in(q.label, language), "value": value, "lang": value_lang})
        if rows:
            sections.append({"title": text_in(page.title, language), "rows": rows})
    return sections


def _action(
    application: Application,
    transition: Transition,
    pack: Pack,
    workflow: Workflow,
    facts: dict[str, Any],
    language: str,
    posted: QueryDict | None,
    errors: dict[str, str],
) -> dict[str, Any]:
    holds, result = workflow.guard_holds(transition, pack.ruleset, facts, on=timezone.localdate())
    blocked = ""
    if not holds:
        decision = transition.guard or ""
        reasons = [
            c.explanation
            for c in result.criteria
            if c.decision == decision and c.kind == "criterion" and c.outcome is not True
        ]
        blocked = " ".join(reasons) or _("Its condition (%(decision)s) does not hold yet.") % {
            "decision": decision
        }
    fields: list[dict[str, Any]] = []
    prefix = transition.id

    def value(name: str) -> str:
        return posted.get(name, "") if posted is not None else ""

    for need in transition.requires:
        name = f"{prefix}-{need}"
        if need in TEXT_FIELDS:
            label, hint = (str(text) for text in TEXT_FIELDS[need])
            if need == "reason":  # approve and reject sit side by side: each label must say which
                label = _("Reasons to %(step)s") % {"step": text_in(transition.title, language).lower()}
            fields.append(
                {"kind": "textarea", "name": name, "label": label, "hint": hint, "value": value(name)}
            )
        elif need == "hearing_at":
            fields.append(
                {
                    "kind": "datetime",
                    "name": name,
                    "label": _("Date and time of the hearing"),
                    "hint": _(
                        "Leave time to serve the notices. Date as YYYY-MM-DD, time as HH:MM (24-hour)."
                    ),
                    "date": value(f"{name}-date"),
                    "time": value(f"{name}-time") or "10:00",
                    "min": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
                }
            )
        elif need == "hearing_mode":
            chosen = value(name) or Hearing.Mode.IN_PERSON.value
            fields.append(
                {
                    "kind": "radios",
                    "name": name,
                    "label": _("How the hearing is held"),
                    "options": [
                        {"value": v, "label": label, "id": f"{name}-{i}", "checked": v == chosen}
                        for i, (v, label) in enumerate(MODES)
                    ],
                }
            )
        elif need == "hearing_place":
            fields.append(
                {
                    "kind": "text",
                    "name": name,
                    "label": _("Place, or the link for an online hearing"),
                    "hint": _("The office's address, or the video link the applicant will open."),
                    "value": value(name),
                }
            )
        else:
            fields.append(
                {
                    "kind": "text",
                    "name": name,
                    "label": need.replace("_", " ").capitalize(),
                    "hint": "",
                    "value": value(name),
                }
            )
    for f in fields:
        f["error"] = errors.get(f["name"], "")
        f["anchor"] = (
            f"{f['name']}-date"
            if f["kind"] == "datetime"
            else (f"{f['name']}-0" if f["kind"] == "radios" else f["name"])
        )
    return {
        "id": transition.id,
        "title": text_in(transition.title, language),
        "url": reverse(
            "web:staff_case_act", kwargs={"reference": application.reference, "transition_id": transition.id}
        ),
        "fields": fields,
        "blocked": blocked,
        "is_decision": transition.outcome is not None,
        "is_rejection": transition.outcome == "rejected",
    }


def _case_context(
    request: HttpRequest,
    application: Application,
    *,
    errors: dict[str, str] | None = None,
    acted: str = "",
    refusal: str = "",
) -> dict[str, Any]:
    user = request_user(request)
    pack = pack_of(application)
    workflow = _workflow(pack)
    context = page_context(request, pack.languages, preferred="en")
    language = context["language"]
    facts = case_facts(application, pack)
    errors = errors or {}
    posted = request.POST if request.method == "POST" else None
    actions = [
        _action(
            application,
            t,
            pack,
            workflow,
            facts,
            language,
            posted if t.id == acted else None,
            errors if t.id == acted else {},
        )
        for t in case_allowed_transitions(application, user)
        if t.staff_roles
    ]
    now_trace = admissibility(application, pack)
    decisions = []
    for decision in application.decisions.select_related("decided_by").order_by("-decided_at"):
        guard = next(
            (t.guard for t in workflow.transitions.values() if t.outcome == decision.outcome and t.guard),
            None,
        )
        name = guard if guard in pack.ruleset.decisions else pack.ruleset.main
        decisions.append(
            {
                "decision": decision,
                "outcome": DECISION_OUTCOMES.get(decision.outcome, decision.get_outcome_display()),
                "title": text_in(pack.ruleset.decisions[name].title, language) or name,
                "criteria": _criteria(decision.rule_trace, name),
            }
        )
    documents = [
        {
            "document": d,
            "label": text_in(form.question(d.kind).label, language)
            if isinstance(form := pack.forms.get(application.form_id), Form)
            and d.kind in {q.id for q in form.questions}
            else d.kind,
            "url": reverse(
                "web:staff_document", kwargs={"reference": application.reference, "document_id": d.pk}
            ),
            "size_kb": max(1, round(d.size_bytes / 1000)),
        }
        for d in application.documents.all()
    ]
    timeline = [
        {
            "event": e,
            "title": text_in(workflow.transitions[e.action].title, language)
            if e.action in workflow.transitions
            else e.action.replace("_", " ").capitalize(),
            "actor": e.actor.get_username() if e.actor else "GovReach",
            "for": bool(e.acting_for_id),
            "from": text_in(workflow.states[e.from_state].title, language)
            if e.from_state in workflow.states
            else e.from_state,
            "to": text_in(workflow.states[e.to_state].title, language)
            if e.to_state in workflow.states
            else e.to_state,
        }
        for e in application_timeline(application)
    ]
    fees = fees_due(pack, application, "application") + fees_due(pack, application, "approved")
    error_list = [(f["anchor"], f["error"]) for a in actions for f in a["fields"] if f["error"]]
    context.update(
        {
            "application": application,
            "pack": pack,
            "service_title": pack.title(language),
            "state_title": text_in(workflow.states[application.state].title, language)
            if application.state in workflow.states
            else application.state,
            "is_overdue": application.is_overdue() and not _terminal(workflow, application.state),
            "due_on": timezone.localdate(application.due_at) if application.due_at else None,
            "state_due_on": timezone.localdate(application.state_due_at)
            if application.state_due_at
            else None,
            "answers": _answers(application, pack, language),
            "documents": documents,
            "payments": list(application.payments.all()),
            "fees": fees,
            "hearings": list(application.hearings.all()),
            "decisions": decisions,
            "admissible_title": text_in(pack.ruleset.decisions[pack.ruleset.main].title, language),
            "admissible_outcome": OUTCOME_WORDS.get(now_trace.outcome),
            "admissible_criteria": _criteria(now_trace.to_dict(), pack.ruleset.main),
            "timeline": timeline,
            "actions": [a for a in actions if not a["blocked"]],
            "blocked_actions": [a for a in actions if a["blocked"]],
            "error_list": error_list,
            "refusal": refusal,
            "queue_url": reverse("web:staff_queue") + f"?service={application.pack_id}",
        }
    )
    return context


@require_http_methods(["GET"])
@staff_login_required
def staff_case(request: HttpRequest, reference: str) -> HttpResponse:
    """A case: answers, documents, fees, hearings, the rule trace, the timeline and the steps allowed now."""
    application = _case_or_404(request, reference)
    return respond(request, "web/staff/case.html", _case_context(request, application))


def _step_data(transition: Transition, post: QueryDict) -> tuple[dict[str, Any], dict[str, str]]:
    """The data a step requires, read from its form; errors by field name, each saying what to do."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for need in transition.requires:
        name = f"{transition.id}-{need}"
        if need == "hearing_at":
            day, time = post.get(f"{name}-date", "").strip(), post.get(f"{name}-time", "").strip()
            if not day:
                errors[name] = _("Enter the date of the hearing, for example 2026-03-14")
                continue
            parsed = None
            for pattern in ("%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M"):
                try:
                    parsed = dt.datetime.strptime(f"{day} {time or '10:00'}", pattern)
                    break
                except ValueError:
                    continue
            if parsed is None:
                errors[name] = _(
                    "Enter the hearing date as YYYY-MM-DD and the time as HH:MM, for example 2026-03-14 10:30"
                )
                continue
            data[need] = timezone.make_aware(parsed)
        elif need == "hearing_mode":
            mode = post.get(name, "")
            if mode not in Hearing.Mode.values:
                errors[name] = _("Select how the hearing is held: in person or online")
                continue
            data[need] = mode
        else:
            text = post.get(name, "").strip()
            if not text:
                wording = TEXT_FIELD_ERRORS.get(need)
                errors[name] = (
                    str(wording) if wording else _("Enter %(field)s") % {"field": need.replace("_", " ")}
                )
                continue
            data[need] = text[:5000]
    return data, errors


@require_POST
@staff_login_required
def staff_case_act(request: HttpRequest, reference: str, transition_id: str) -> HttpResponse:
    """Take one workflow step on the case, with the data its form gives; refusals say why."""
    application = _case_or_404(request, reference)
    user: User = request_user(request)
    pack = pack_of(application)
    workflow = _workflow(pack)
    transition = workflow.transitions.get(transition_id)
    if transition is None or transition not in case_allowed_transitions(application, user):
        context = _case_context(
            request, application, refusal=_("You may not take this step on this case now.")
        )
        return respond(request, "web/staff/case.html", context, status=403)
    data, errors = _step_data(transition, request.POST)
    if errors:
        context = _case_context(request, application, errors=errors, acted=transition.id)
        return respond(request, "web/staff/case.html", context, status=400)
    try:
        case_transition(application=application, transition_id=transition.id, by_user=user, data=data)
    except NotPermitted as exc:
        context = _case_context(request, application, refusal=f"{exc.message}.")
        return respond(request, "web/staff/case.html", context, status=403)
    except TransitionRefused as exc:
        field = f"{transition.id}-{exc.field}" if exc.field in transition.requires else ""
        message = f"{exc.message[:1].upper()}{exc.message[1:]}." + (
            f" {exc.fix[:1].upper()}{exc.fix[1:]}." if exc.fix else ""
        )
        if field:
            context = _case_context(request, application, errors={field: message}, acted=transition.id)
        else:
            context = _case_context(request, application, refusal=message)
        return respond(request, "web/staff/case.html", context, status=409)
    except CaseError as exc:
        context = _case_context(request, application, refusal=f"{exc.message}. {exc.fix}".strip())
        return respond(request, "web/staff/case.html", context, status=409)
    title = text_in(transition.title, translation.get_language() or "en")
    done = _("Done: %(step)s.") % {"step": title}
    if transition.notify:
        done += " " + _("The applicant is told by SMS.")
    messages.success(request, done)
    return redirect("web:staff_case", reference=application.reference)


_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@require_http_methods(["GET"])
@staff_login_required
def staff_document(request: HttpRequest, reference: str, document_id: int) -> HttpResponse:
    """A case document, to officers whose scope covers the case; sent as a download, never inline."""
    application = _case_or_404(request, reference)
    document = selectors.document_for_staff(application=application, document_id=document_id)
    if document is None:
        raise Http404("No such document")
    extension = _EXTENSIONS.get(document.content_type, "bin")
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=f"{application.reference}-{document.kind}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    # A streamed file; the login decorators are typed for plain responses.
    return cast(HttpResponse, response)


# --- the demo outbox --------------------------------------------------------------------------------


@require_http_methods(["GET"])
@staff_login_required
def staff_outbox(request: HttpRequest) -> HttpResponse:
    """DEBUG only: the latest messages of the outbox, so a tester can read the demo citizen's codes.

    Recipients are masked, except the demo citizen's own phone in DEBUG.
    """
    if not settings.DEBUG:
        raise Http404("The outbox page exists only in the demo")
    from govreach.web.demo import DEMO_CITIZEN_PHONE

    context = page_context(request, ["en"])
    context["outbox"] = [
        {
            "message": m,
            "recipient": m.recipient if m.recipient == DEMO_CITIZEN_PHONE else recipient_mask(m.recipient),
        }
        for m in selectors.outbox_recent()
    ]
    return respond(request, "web/staff/outbox.html", context)
