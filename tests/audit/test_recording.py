"""The audit middleware: staff views of a person's data and staff state changes are recorded, with ids and
never personal data; citizens' own pages, refusals and anonymous visits are not; every URL is declared."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from tests.web.conftest import PHONE, citizen_sign_in, staff_client
from tests.web.test_staff import file_application

from govreach.accounts.models import CitizenAccount, Intermediary
from govreach.audit.chain import verify_chain
from govreach.audit.log import canonical_fields, person_data_usage
from govreach.audit.models import AuditEntry
from govreach.audit.recording import (
    ADMIN_NO_PERSON_MODELS,
    ADMIN_PERSON_MODELS,
    NO_PERSON_DATA,
    PERSON_PAGES,
)
from govreach.cases.models import Application
from govreach.registry.models import Person


def _url_names(patterns: list[URLPattern | URLResolver], namespaces: tuple[str, ...] = ()) -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # declared by model below
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            names |= _url_names(pattern.url_patterns, inner)
        elif pattern.name:
            names.add(":".join((*namespaces, pattern.name)))
    return names


def test_every_page_is_declared_as_showing_a_persons_data_or_not() -> None:
    names = _url_names(get_resolver().url_patterns)
    undeclared = sorted(names - PERSON_PAGES.keys() - NO_PERSON_DATA.keys())
    assert not undeclared, (
        "Declare each new URL name in govreach/audit/recording.py: PERSON_PAGES if it shows a person's "
        f"data (views by staff are then recorded), else NO_PERSON_DATA with the reason: {undeclared}"
    )
    assert not PERSON_PAGES.keys() & NO_PERSON_DATA.keys()
    stale = sorted((PERSON_PAGES.keys() | NO_PERSON_DATA.keys()) - names)
    assert not stale, f"declared URL names that no longer exist: {stale}"


def test_every_admin_model_is_declared() -> None:
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    undeclared = sorted(registered - ADMIN_PERSON_MODELS - ADMIN_NO_PERSON_MODELS)
    assert not undeclared, f"declare these admin models in govreach/audit/recording.py: {undeclared}"


@pytest.fixture
def case(officers: dict[str, User]) -> Application:
    application = file_application()
    person = Person.objects.create(given_name="Rahima", family_name="Begum", national_id="1987654321")
    CitizenAccount.objects.filter(phone=PHONE).update(person=person)
    return application


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


@pytest.mark.usefixtures("emutation")
def test_a_staff_view_of_a_case_is_recorded_with_the_person_and_no_personal_data(
    case: Application, officers: dict[str, User]
) -> None:
    ac = staff_client(officers["ac_land"])
    with CaptureQueriesContext(connection) as queries:
        assert ac.get(f"/staff/cases/{case.reference}/").status_code == 200
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditentry"')]
    assert len(inserts) == 1  # one INSERT per page view
    [entry] = _entries("web.staff_case.view")
    person = Person.objects.get(given_name="Rahima")
    assert entry.person_id == person.pk
    assert (entry.subject_type, entry.subject_id) == ("cases.application", str(case.pk))
    assert (entry.actor_username, entry.actor_role, entry.channel) == (
        "ac-land-savar",
        "staff:ac_land",
        "web",
    )
    assert entry.detail == {"reference": case.reference, "status": 200}
    text = json.dumps(canonical_fields(entry))
    assert "Rahima" not in text and "1987654321" not in text and "1712345678" not in text
    assert list(person_data_usage(person)) == [entry]


@pytest.mark.usefixtures("emutation")
def test_a_staff_state_change_is_recorded_even_when_refused(
    case: Application, officers: dict[str, User]
) -> None:
    ulao = staff_client(officers["ulao"])
    assert ulao.post(f"/staff/cases/{case.reference}/steps/register/").status_code == 403
    ac = staff_client(officers["ac_land"])
    assert ac.post(f"/staff/cases/{case.reference}/steps/register/").status_code == 302
    refused, done = _entries("web.staff_case_act")
    assert refused.actor_username == "ulao-ashulia" and refused.detail["status"] == 403
    assert done.actor_username == "ac-land-savar"
    assert done.detail == {
        "reference": case.reference,
        "transition_id": "register",
        "status": 302,
        "method": "POST",
    }
    assert done.person_id == Person.objects.get(given_name="Rahima").pk
    assert verify_chain().is_ok


@pytest.mark.usefixtures("emutation")
def test_refused_and_anonymous_views_are_not_recorded_as_views(
    case: Application, officers: dict[str, User]
) -> None:
    other = staff_client(officers["ulao_other"])
    assert other.get(f"/staff/cases/{case.reference}/").status_code in (403, 404)
    assert Client().get(f"/staff/cases/{case.reference}/").status_code == 302
    assert not _entries("web.staff_case.view")


@pytest.mark.usefixtures("emutation")
def test_a_citizens_own_pages_are_not_recorded(case: Application) -> None:
    client = Client()
    citizen_sign_in(client, PHONE)
    assert client.get(f"/account/applications/{case.reference}/").status_code == 200
    assert not AuditEntry.objects.filter(action__startswith="web.account").exists()


@pytest.mark.usefixtures("emutation")
def test_staff_sign_in_and_sign_out_are_recorded(officers: dict[str, User]) -> None:
    client = staff_client(officers["adc"])
    [signed_in] = _entries("accounts.staff_login_verify")
    assert signed_in.actor_username == "adc-dhaka" and signed_in.detail["status"] == 302
    client.post("/logout/")
    [signed_out] = _entries("accounts.logout")
    assert signed_out.actor_username == "adc-dhaka"


@pytest.mark.django_db
def test_an_admin_view_of_a_person_is_recorded() -> None:
    from tests.web.conftest import make_staff_user

    user = make_staff_user("admin-1")
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    person = Person.objects.create(given_name="Karim")
    client = staff_client(user)
    assert client.get(f"/admin/registry/person/{person.pk}/change/").status_code == 200
    [entry] = _entries("admin.registry_person_change.view")
    assert entry.person_id == person.pk and entry.detail["model"] == "registry.person"


@pytest.mark.django_db
def test_a_partner_api_call_is_recorded_with_the_partner_and_its_token() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from govreach.entitlements.partners import partner_create, partner_token_create

    partner = partner_create(supplier_id="SUP-1", name="Supplier One")
    token, raw = partner_token_create(partner=partner, name="billing")
    bad_list = SimpleUploadedFile("customers.csv", b"cpe\nPT0001\n", content_type="text/csv")
    response = Client().post(
        "/api/v1/partners/customer-lists",
        {"file": bad_list},
        headers={"Authorization": f"Bearer {raw}", "Information-Mediator-Client": "GOV/PT/SUP-1/billing"},
    )
    assert response.status_code == 422
    [entry] = _entries("api.customer_list_post")
    assert (entry.actor_id, entry.actor_role, entry.channel) == (None, "partner-token", "api")
    assert entry.client == "GOV/PT/SUP-1/billing"
    assert entry.detail == {"status": 422, "method": "POST", "partner_id": partner.pk, "token_id": token.pk}
    assert Client().post("/api/v1/partners/customer-lists", {"file": bad_list}).status_code == 401
    assert len(_entries("api.customer_list_post")) == 1  # an anonymous call is not a partner's action


@pytest.mark.usefixtures("emutation")
def test_an_intermediary_acting_for_a_citizen_is_recorded_on_the_assisted_channel(
    intermediary: Intermediary,
) -> None:
    from tests.web.test_apply import _consent

    citizen_sign_in(Client(), PHONE)
    person = Person.objects.create(given_name="Rahima")
    citizen = CitizenAccount.objects.get(phone=PHONE)
    CitizenAccount.objects.filter(pk=citizen.pk).update(person=person)
    operator = staff_client(intermediary.user)
    consent = _consent(operator, intermediary)
    assert operator.get("/services/bd-land-mutation/apply/").status_code in (200, 302)
    started = AuditEntry.objects.filter(action__startswith="web.apply_start").order_by("seq").last()
    assert started is not None
    assert (started.acting_for_citizen_id, started.person_id, started.channel) == (
        citizen.pk,
        person.pk,
        "assisted",
    )
    assert started.actor_username == intermediary.user.username and "intermediary" in started.actor_role
    consent_step = AuditEntry.objects.get(action="accounts.assist_code")
    assert consent_step.detail == {"status": 302, "method": "POST"}
    assert (consent_step.acting_for_citizen_id, consent_step.person_id) == (citizen.pk, person.pk)
    assert consent.is_active
    assert person_data_usage(person).first() == started


@pytest.mark.django_db
def test_the_admin_shows_the_log_read_only() -> None:
    from tests.web.conftest import make_staff_user

    from govreach.audit.log import audit_record

    entry = audit_record(action="case.view", detail={"case_id": 1})
    user = make_staff_user("admin-2")
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    client = staff_client(user)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.seq}/delete/", {"post": "yes"}).status_code == 403
    assert (
        client.post(f"/admin/audit/auditentry/{entry.seq}/change/", {"action": "case.act"}).status_code == 403
    )
    assert AuditEntry.objects.get(seq=entry.seq).action == "case.view"
    assert verify_chain().is_ok
