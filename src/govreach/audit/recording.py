"""What the audit middleware records, declared per URL name.

Every URL name of the site is declared in exactly one place (``tests/audit/test_recording.py`` fails on
an undeclared one, so a new page cannot slip by):

- ``PERSON_PAGES``: pages and API operations that show a person's data. A GET (or other read) that
  succeeds, by a signed-in staff user, intermediary, partner or auditor, appends ``<name>.view`` with
  the person found by the page's finder (``None`` for lists showing many people: one entry per view,
  not one per person shown).
- ``NO_PERSON_DATA``: pages that show no one's personal data, with the reason.

Any state-changing request (POST, PUT, PATCH, DELETE) by such a user is recorded whatever its page,
with the url kwargs that are ids (never names, phone numbers or tokens) and the response status; when
the view already recorded an explicit entry (``audit_record(request=...)``), the middleware adds none.
The admin is declared by model: ``ADMIN_PERSON_MODELS`` are the models whose admin pages show people.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest

from govreach.registry.models import Person

Found = tuple[Person | None, models.Model | None]
Finder = Callable[[HttpRequest, Mapping[str, Any]], Found]


@dataclass(frozen=True)
class PersonPage:
    """A page showing personal data: ``find`` names the one person and the subject (None for lists)."""

    find: Finder | None = None


def _id(kwargs: Mapping[str, Any], name: str) -> int:
    value = kwargs.get(name)
    return value if isinstance(value, int) else 0


def _person(person_id: int | None) -> Person | None:
    return Person.objects.filter(pk=person_id).first() if person_id is not None else None


def _application(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.accounts.models import CitizenAccount
    from govreach.cases.models import Application

    application = Application.objects.filter(reference=str(kwargs.get("reference", ""))[:32]).first()
    if application is None:
        return None, None
    account = CitizenAccount.objects.filter(user_id=application.applicant_id).only("person_id").first()
    return _person(account.person_id if account is not None else None), application


def _entitlement_review(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.entitlements.models import EntitlementReview

    review = EntitlementReview.objects.filter(pk=_id(kwargs, "pk")).first()
    if review is None:
        return None, None
    person, _ = _application(request, {"reference": review.application.reference or ""})
    return person, review


def _entitlement_holder(entitlement: Any) -> Person | None:
    from govreach.entitlements.models import EntitlementPerson

    holder = EntitlementPerson.objects.filter(entitlement=entitlement, person__isnull=False).order_by(
        "-is_contract_holder", "pk"
    )
    first = holder.select_related("person").first()
    return first.person if first is not None else None


def _entitlement(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.entitlements.models import Entitlement

    entitlement = Entitlement.objects.filter(pk=_id(kwargs, "pk")).first()
    return (_entitlement_holder(entitlement), entitlement) if entitlement is not None else (None, None)


def _counter(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.entitlements.models import Entitlement

    code = (request.POST.get("supply_point") or request.GET.get("supply_point") or "").strip().upper()
    if not code:
        return None, None
    entitlement = Entitlement.objects.filter(pack_id=kwargs.get("pack_id", ""), unit_key=code).first()
    return (_entitlement_holder(entitlement), entitlement) if entitlement is not None else (None, None)


def _visit(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.outreach.models import Visit

    visit = Visit.objects.select_related("registration").filter(pk=_id(kwargs, "visit_id")).first()
    return (_person(visit.registration.person_id), visit) if visit is not None else (None, None)


def _registration(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.programmes.models import Registration

    registration = Registration.objects.filter(pk=_id(kwargs, "registration_id")).first()
    return (_person(registration.student_id), registration) if registration is not None else (None, None)


def _record_link(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    from govreach.registry.models import RecordLink

    link = RecordLink.objects.select_related("left_record").filter(pk=_id(kwargs, "link_id")).first()
    if link is None:
        return None, None
    person_id = link.person_id if link.person_id is not None else link.left_record.person_id
    return _person(person_id), link


def _acting_for(request: HttpRequest, kwargs: Mapping[str, Any]) -> Found:
    """Pages of the assisted channel: the citizen the intermediary acts for (taken by audit_record)."""
    return None, None


PERSON_PAGES: dict[str, PersonPage] = {
    # Cases: the staff case page and everything it opens.
    "web:staff_queue": PersonPage(),
    "web:staff_case": PersonPage(_application),
    "web:staff_case_act": PersonPage(_application),
    "web:staff_document": PersonPage(_application),
    "web:staff_outbox": PersonPage(),
    # Citizen record pages: recorded when an intermediary or staff user sees them.
    "web:account_applications": PersonPage(_acting_for),
    "web:account_application": PersonPage(_application),
    "web:account_record": PersonPage(_application),
    "web:account_pay": PersonPage(_application),
    "web:account_pay_confirm": PersonPage(_application),
    "web:apply_start": PersonPage(_acting_for),
    "web:apply_page": PersonPage(_acting_for),
    "web:apply_check": PersonPage(_acting_for),
    "web:apply_fees": PersonPage(_acting_for),
    "web:apply_pay_confirm": PersonPage(_acting_for),
    "web:apply_submit": PersonPage(_acting_for),
    "web:apply_done": PersonPage(_application),
    "accounts:citizen_home": PersonPage(_acting_for),
    "accounts:citizen_consents": PersonPage(_acting_for),
    "accounts:assist": PersonPage(_acting_for),
    "accounts:assist_code": PersonPage(_acting_for),
    "accounts:assist_signed": PersonPage(_acting_for),
    # Entitlements: reviews, the counter, the citizen's own pages.
    "entitlements:reviews": PersonPage(),
    "entitlements:review": PersonPage(_entitlement_review),
    "entitlements:counter": PersonPage(_counter),
    "entitlements:mine": PersonPage(_acting_for),
    "entitlements:refuse": PersonPage(_entitlement),
    "entitlements:contest": PersonPage(_acting_for),
    "entitlements:partner_answers": PersonPage(),
    "api:answers_get": PersonPage(),
    "api:customer_list_post": PersonPage(),
    # Outreach: visits and referrals.
    "outreach:visit_list": PersonPage(),
    "outreach:visit_detail": PersonPage(_visit),
    "outreach:referral_list": PersonPage(),
    "outreach:referral_new": PersonPage(),
    # Programmes: registrations, cohorts, classes.
    "programmes:registration": PersonPage(_registration),
    "programmes:register_list": PersonPage(),
    "programmes:cohort": PersonPage(),
    "programmes:outcomes": PersonPage(),
    "programmes:class": PersonPage(),
    "programmes:class_teacher": PersonPage(),
    "programmes:scores": PersonPage(),
    "programmes:session_attendance": PersonPage(),
    "programmes:allocate": PersonPage(),
    "programmes:allocation_free": PersonPage(),
    "programmes:sessions_plan": PersonPage(),
    # Registry: the clerical review API.
    "api:review_queue": PersonPage(),
    "api:link_accept": PersonPage(_record_link),
    "api:link_reject": PersonPage(_record_link),
}

#: The GovStack APIs record each read or change of a person's data themselves, with the calling system
#: (govreach/govstack/auditing.py), so the request-level recording leaves them alone.
_GOVSTACK = "GovStack API: records its own entry per person read or changed, with the client system"

NO_PERSON_DATA: dict[str, str] = {
    "govstack:application": _GOVSTACK,
    "govstack:applications": _GOVSTACK,
    "govstack:create_entries": _GOVSTACK,
    "govstack:data_usage": _GOVSTACK,
    "govstack:data_usage_legacy": _GOVSTACK,
    "govstack:database": _GOVSTACK,
    "govstack:database_modify": _GOVSTACK,
    "govstack:database_openapi": _GOVSTACK,
    "govstack:databases": _GOVSTACK,
    "govstack:documents": _GOVSTACK,
    "govstack:eform": _GOVSTACK,
    "govstack:registration_openapi": _GOVSTACK,
    "govstack:registries_openapi": _GOVSTACK,
    "govstack:registry_create": _GOVSTACK,
    "govstack:registry_delete": _GOVSTACK,
    "govstack:registry_exists": _GOVSTACK,
    "govstack:registry_list": _GOVSTACK,
    "govstack:registry_read": _GOVSTACK,
    "govstack:registry_read_value": _GOVSTACK,
    "govstack:registry_update": _GOVSTACK,
    "govstack:registry_update_entries": _GOVSTACK,
    "govstack:registry_update_or_create": _GOVSTACK,
    "govstack:service": _GOVSTACK,
    "govstack:service_applications": _GOVSTACK,
    "govstack:service_eforms": _GOVSTACK,
    "govstack:services": _GOVSTACK,
    "govstack:statistics": _GOVSTACK,
    "govstack:statistics_legacy": _GOVSTACK,
    "govstack:statistics_openapi": _GOVSTACK,
    "govstack:task": _GOVSTACK,
    "govstack:task_complete": _GOVSTACK,
    "govstack:tasks": _GOVSTACK,
    "web:set_language": "a language choice",
    "feedback:grievance_new": "the complaint form",
    "feedback:grievance_filed": "the complainant's own receipt: reference and code, once",
    "feedback:grievance_status": "the complainant's own grievance, opened with its reference and secret",
    "feedback:rate_list": "the citizen's own services to rate",
    "feedback:rate": "the citizen's own rating question",
    "feedback:staff_queue": "grievances of the officer's level and area: the feedback app audits each read",
    "feedback:staff_grievance": "one grievance: the feedback app audits each reading and step itself",
    "policy:index": "the packs' rule versions and pilots",
    "policy:diff": "a dry run's disclosure-controlled summary; the unit list is only written to a file",
    "policy:version": "a rule version and its history; each move is audited by the catalogue",
    "policy:pilot_new": "POST-only: recorded as a state change",
    "policy:pilot": "a pilot's aggregate indicators",
    "ops:healthz": "a health check: plain 'ok'",
    "ops:outbox_failed": "failed messages with masked recipients; a resend is recorded as a state change",
    "ops:outbox_failed_resend": "POST-only: recorded as a state change",
    "transparency:index": "published figures: aggregates under disclosure control",
    "transparency:dashboard": "published figures: aggregates under disclosure control",
    "transparency:dashboard_area": "published figures: aggregates under disclosure control",
    "transparency:opendata": "the open data download page",
    "transparency:opendata_file": "an open data file: aggregates under disclosure control",
    "transparency:budget": "budget lines of a service; a new line is recorded as a state change",
    "web:catalogue": "the public service catalogue",
    "web:service": "a service's public page",
    "cases:track": "a status look-up by reference and secret: shows the state only, public",
    "cases:verify": "a record copy's public check: says valid or not",
    "accounts:staff_login": "sign-in form",
    "accounts:staff_login_verify": "second-factor form",
    "accounts:staff_totp_setup": "the user's own authenticator enrolment",
    "accounts:staff_home": "links to the user's own work",
    "accounts:logout": "sign-out",
    "accounts:citizen_login": "sign-in form",
    "accounts:citizen_login_code": "sign-in code form",
    "accounts:citizen_consent_revoke": "a form; the revocation POST is recorded as a state change",
    "accounts:assist_stop": "a form; stopping is recorded as a state change",
    "entitlements:preference": "POST only; recorded as a state change",
    "entitlements:take_up": "public aggregate figures",
    "entitlements:partner": "the partner's own tokens and upload form",
    "entitlements:partner_token_revoke": "POST only; recorded as a state change",
    "outreach:figures": "aggregate figures",
    "programmes:home": "list of programmes",
    "programmes:register": "the public registration form (the registering user's own input)",
    "programmes:allocation_public": "public allocation list by anonymous code",
    "programmes:allocation_public_csv": "public allocation list by anonymous code",
    "ussd:callback": "the gateway's callback; the caller's own session",
    "ussd:sms_inbound": "the gateway's callback",
    "set_language": "language switch",
    "api:openapi-json": "API description",
    "api:openapi-view": "API documentation",
    "api:api-root": "API index",
    "api:service_list": "public catalogue",
    "api:service_detail": "public catalogue",
    "api:service_eligibility": "anonymous eligibility check of the caller's own answers",
    "audit:entries": "the audit log's own page, recorded explicitly as audit.view and audit.export",
    "audit:export": "recorded explicitly as audit.export",
}

#: Admin models whose list and change pages show a person's data (``app_label.model``).
ADMIN_PERSON_MODELS: frozenset[str] = frozenset(
    {
        "registry.person",
        "registry.household",
        "registry.membership",
        "registry.sourcerecord",
        "registry.recordlink",
        "registry.quarantinedrow",
        "accounts.citizenaccount",
        "accounts.consent",
        "accounts.intermediary",
        "notify.outboxmessage",
        "cases.application",
        "cases.caseevent",
        "cases.payment",
        "cases.decision",
        "programmes.registration",
        "programmes.allocation",
        "auth.user",
    }
)

#: Admin models whose pages show no one's personal data.
ADMIN_NO_PERSON_MODELS: frozenset[str] = frozenset(
    {
        "auth.group",
        "catalogue.servicepack",
        "registry.area",
        "registry.registrysource",
        "registry.importrun",
        "accounts.staffassignment",
        "accounts.stafftotpdevice",
        "programmes.cohort",
        "programmes.classgroup",
        "programmes.session",
        "audit.auditentry",
    }
)

#: URL kwargs that may be recorded as strings (codes, never personal data); any ``*_id``/``pk`` int may too.
SAFE_STRING_KWARGS = frozenset({"pack_id", "reference", "transition_id", "page_id", "app_label"})


def admin_person_model(url_name: str) -> str | None:
    """``registry.person`` for ``registry_person_change`` (and the other model pages) when it shows people."""
    for label in ADMIN_PERSON_MODELS:
        prefix = label.replace(".", "_") + "_"
        if url_name.startswith(prefix):
            return label
    return None


def admin_person(model_label: str, kwargs: Mapping[str, Any]) -> Person | None:
    """The person an admin change page shows, when it is a Person's own page."""
    object_id = str(kwargs.get("object_id", ""))
    if model_label == "registry.person" and object_id.isdigit():
        return _person(int(object_id))
    return None
