"""The public pages: status by reference and secret (no personal data), and record verification."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.cases.conftest import ANSWERS, pay
from tests.cases.test_services import advance_to_hearing_held

from govreach.cases import services
from govreach.cases.models import RecordCopy
from govreach.cases.selectors import application_status_public

pytestmark = pytest.mark.django_db

PERSONAL = [
    ANSWERS["applicant_name"],
    ANSWERS["applicant_nid"],
    ANSWERS["applicant_phone"],
    "1712345678",
    ANSWERS["applicant_address"],
    ANSWERS["deed_number"],
    ANSWERS["plot_numbers"],
]


def test_the_status_page_shows_stage_and_dates_and_nothing_personal(submitted: services.Submission) -> None:
    application = submitted.application
    response = Client().post(
        "/track/",
        {"reference": application.reference, "secret": submitted.status_secret},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Application received" in body and application.reference in body
    assert application.due_at is not None
    due = application.due_at.date()
    assert f"{due:%B} {due.day}, {due.year}" in body  # the deadline as an English sentence writes it
    for value in PERSONAL:
        assert value not in body


def test_a_wrong_secret_and_a_wrong_reference_get_the_same_answer(submitted: services.Submission) -> None:
    application = submitted.application
    client = Client()
    wrong_secret = client.post("/track/", {"reference": application.reference, "secret": "AAAAAAAA"})
    wrong_reference = client.post(
        "/track/", {"reference": "BD-2026-999999", "secret": submitted.status_secret}
    )
    assert wrong_secret.status_code == wrong_reference.status_code == 200
    for response in (wrong_secret, wrong_reference):
        body = response.content.decode()
        assert "We found no application with this reference and secret code." in body
        assert "Application received" not in body and "Decision due by" not in body
    assert application_status_public(str(application.reference), "AAAAAAAA") is None
    assert application_status_public("BD-2026-999999", str(submitted.status_secret)) is None


def test_the_status_page_speaks_bangla(submitted: services.Submission) -> None:
    application = submitted.application
    response = Client().get(
        "/track/", {"reference": application.reference, "secret": submitted.status_secret, "lang": "bn"}
    )
    assert "আবেদন জমা হয়েছে" in response.content.decode()


def test_the_verify_page_confirms_an_issued_record(
    submitted: services.Submission, officers: dict[str, User]
) -> None:
    application = advance_to_hearing_held(submitted.application, officers)
    services.case_transition(
        application=application, transition_id="approve", by_user=officers["ac_land"], data={"reason": "ok"}
    )
    pay(application, "record_fee")
    record = RecordCopy.objects.get(application=application)
    response = Client().get(f"/verify/{record.verification_token}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "This record is authentic" in body
        and record.record_number in body
        and str(application.reference) in body
    )
    for value in PERSONAL:
        assert value not in body


def test_a_forged_code_is_not_verified() -> None:
    response = Client().get("/verify/not-a-real-token/")
    assert response.status_code == 404
    assert "may be forged" in response.content.decode()
