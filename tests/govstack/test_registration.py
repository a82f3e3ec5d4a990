"""The Registration building block as a client uses it, over HTTP with full JSON bodies: apply for
e-Mutation (documents uploaded, fees paid) and complete the first operator task, with the refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.cases.conftest import ANSWERS, DOCUMENTS, PACK_ID, pdf_bytes, png_bytes
from tests.govstack.conftest import Caller

from govreach.cases.models import Application, CaseEvent

R = "/govstack/registration"
pytestmark = pytest.mark.django_db


def _land_service(http: Client) -> dict[str, Any]:
    services = http.get(f"{R}/services").json()
    return next(s for s in services if {"code": "packId", "value": PACK_ID} in s["serviceBody"])


def _upload(http: Client, caller: Caller, kind: str, content: bytes) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = http.post(
        f"{R}/documents?additionalMetadata={kind}",
        {"file": SimpleUploadedFile("scan.bin", content, content_type="application/octet-stream")},
        **caller.http(),
    )
    assert response.status_code == 200, response.content
    return str(response.json()["url"])


def _application_body(http: Client, caller: Caller, service: dict[str, Any]) -> dict[str, Any]:
    eform = http.get(f"{R}/services/{service['id']}/eForms").json()[0]
    urls = [
        _upload(http, caller, kind, png_bytes() if kind == "photo" else pdf_bytes()) for kind in DOCUMENTS
    ]
    data: dict[str, Any] = {qid: {"value": value} for qid, value in ANSWERS.items()}
    data["payments"] = {
        "court_fee": {"paymentReference": "DEMO-COURT-1"},
        "notice_fee": {"paymentReference": "DEMO-NOTICE-1"},
    }
    return {
        "applicantId": "portal-user-42",
        "created": "2026-11-28T10:00:00Z",
        "formData": {"eFormId": eform["eFormId"], "data": data},
        "documentUrls": urls,
    }


def apply(http: Client, portal: Caller) -> dict[str, Any]:
    service = _land_service(http)
    response = http.post(
        f"{R}/services/{service['id']}/applications",
        _application_body(http, portal, service),
        content_type="application/json",
        **portal.http(),
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_eform_is_the_pack_form_as_json_schema(http: Client, land_service: Any) -> None:
    service = _land_service(http)
    eforms = http.get(f"{R}/services/{service['id']}/eForms").json()
    assert [e["name"] for e in eforms] == ["Mutation application"]
    schema = http.get(f"{R}/eForms/{eforms[0]['eFormId']}").json()["schema"]
    assert schema["properties"]["deed_copy"]["x-question-type"] == "document"
    assert schema["properties"]["land_area_decimal"]["properties"]["value"]["type"] == "number"
    assert "applicant_name" in schema["required"]
    assert set(schema["properties"]["payments"]["required"]) == {"court_fee", "notice_fee"}
    assert "heir_certificate" not in schema["required"]  # asked only for an inheritance
    assert http.get(f"{R}/eForms/00000000-0000-0000-0000-000000000000").status_code == 404
    assert http.get(f"{R}/services/00000000-0000-0000-0000-000000000000").status_code == 404
    assert http.get(f"{R}/services/00000000-0000-0000-0000-000000000000/eForms").json() == []
    assert http.get(f"{R}/services?name=no such service").json() == []


def test_apply_and_complete_first_operator_task_over_http(
    http: Client, portal: Caller, office: Caller
) -> None:
    created = apply(http, portal)
    assert created["status"]["code"] == "PENDING"
    assert created["applicationData"]["applicantId"] == "portal-user-42"
    assert len(created["applicationData"]["documentUrls"]) == len(DOCUMENTS)
    application = Application.objects.get()
    assert application.state == "submitted" and application.reference
    assert application.payments.filter(status="paid").count() == 2
    file_id = created["fileId"]
    assert str(application.pk) not in file_id.split("-")  # an opaque id, not the row number

    # The land office sees the task waiting for its Assistant Commissioner (Land).
    tasks = http.get(f"{R}/tasks", **office.http()).json()
    assert [(t["fileId"], t["roleId"]) for t in tasks] == [(file_id, "ac_land")]
    detail = http.get(f"{R}/tasks/{tasks[0]['taskId']}", **office.http()).json()
    assert set(detail["formVariables"]) == {"register"}
    assert detail["data"]["applicant_name"] == {"value": "Rahima Begum"}

    done = http.post(
        f"{R}/tasks/{tasks[0]['taskId']}/complete",
        {"data": {"transition": {"value": "register"}}},
        content_type="application/json",
        **office.http(),
    )
    assert done.status_code == 200, done.content
    assert done.json()["variables"]["step"]["data"]["to"] == {"value": "registered"}
    application.refresh_from_db()
    assert application.state == "registered" and application.case_number
    assert CaseEvent.objects.filter(application=application, action="register").exists()
    # The task is done: it no longer exists; what the officer may do next is only to reject (the report
    # is the union land office's step).
    assert http.get(f"{R}/tasks/{tasks[0]['taskId']}", **office.http()).status_code == 404
    following = http.get(f"{R}/tasks", **office.http()).json()
    assert [t["taskId"] for t in following] == [f"{file_id}.registered"]
    assert following[0]["description"].startswith("reject:")
    # Both systems' calls are in the audit log, the step with the officer whose rights it used.
    from govreach.audit.models import AuditEntry

    done_entry = AuditEntry.objects.get(action="govstack.task.complete")
    assert (done_entry.client, done_entry.actor_username, done_entry.detail) == (
        office.client.identifier,
        "ac-land-savar",
        {"step": "register"},
    )
    assert done_entry.subject_type == "cases.application" and done_entry.subject_id == str(application.pk)
    assert AuditEntry.objects.filter(
        action="govstack.application.create", client=portal.client.identifier
    ).exists()
    # The applicant's portal sees the new state.
    seen = http.get(f"{R}/applications/{file_id}", **portal.http()).json()
    assert seen["status"]["title"].startswith("Case number given")


def test_incomplete_application_is_refused_and_leaves_no_draft(
    http: Client, portal: Caller, land_service: Any
) -> None:
    service = _land_service(http)
    body = _application_body(http, portal, service)
    del body["formData"]["data"]["payments"]
    response = http.post(
        f"{R}/services/{service['id']}/applications", body, content_type="application/json", **portal.http()
    )
    assert response.status_code == 400
    assert "fee" in response.json()["message"].lower() or "paid" in response.json()["message"].lower()
    assert not Application.objects.exists()


def test_documents_are_checked_by_content(http: Client, portal: Caller) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = http.post(
        f"{R}/documents",
        {"file": SimpleUploadedFile("deed.pdf", b"MZ not a pdf at all", content_type="application/pdf")},
        **portal.http(),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "FILE_TYPE"


def test_application_list_filters_and_empty_list(http: Client, portal: Caller, office: Caller) -> None:
    created = apply(http, portal)
    mine = http.get(f"{R}/applications?applicantId=portal-user-42", **portal.http()).json()
    assert [a["fileId"] for a in mine] == [created["fileId"]]
    assert http.get(f"{R}/applications?applicantId=someone-else", **portal.http()).json() == []
    other = "00000000-0000-0000-0000-000000000000"
    assert http.get(f"{R}/applications?serviceId={other}", **portal.http()).json() == []
    # The office sees it in its queue, with the task waiting.
    queue = http.get(f"{R}/applications", **office.http()).json()
    assert [(a["fileId"], a["roleId"]) for a in queue] == [(created["fileId"], "ac_land")]
    assert http.get(f"{R}/applications/{other}", **portal.http()).status_code == 404


def test_refusals_missing_key_unknown_client_no_permission(
    http: Client, portal: Caller, office: Caller, stranger: Caller
) -> None:
    assert http.get(f"{R}/applications").status_code == 401
    assert (
        http.get(
            f"{R}/applications",
            HTTP_AUTHORIZATION="Bearer gsk_wrong",
            **{"HTTP_INFORMATION_MEDIATOR_CLIENT": portal.client.identifier},
        ).status_code
        == 401
    )
    missing_header = http.get(f"{R}/applications", HTTP_AUTHORIZATION=f"Bearer {portal.key}")
    assert missing_header.status_code == 400
    unknown = http.get(
        f"{R}/applications",
        HTTP_AUTHORIZATION=f"Bearer {portal.key}",
        HTTP_INFORMATION_MEDIATOR_CLIENT="eGovStack/GOV/1/unknown",
    )
    assert unknown.status_code == 403
    assert http.get(f"{R}/applications", **stranger.http()).status_code == 403
    # The office may not apply, and the portal may not see the statistics.
    service = _land_service(http)
    refused = http.post(
        f"{R}/services/{service['id']}/applications",
        {"applicantId": "x"},
        content_type="application/json",
        **office.http(),
    )
    assert refused.status_code == 403
    assert http.get(f"{R}/data/statistics", **portal.http()).status_code == 403


def test_operator_of_another_area_sees_no_task_and_cannot_complete(
    http: Client, portal: Caller, other_ac_land: Any
) -> None:
    from tests.govstack.conftest import make_caller

    from govreach.govstack.models import OPERATE

    created = apply(http, portal)
    elsewhere = make_caller("eGovStack/GOV/90000009/dhamrai", [OPERATE], {}, operator=other_ac_land)
    assert http.get(f"{R}/tasks", **elsewhere.http()).json() == []
    task_id = f"{created['fileId']}.submitted"
    assert http.get(f"{R}/tasks/{task_id}", **elsewhere.http()).status_code == 404
    refused = http.post(
        f"{R}/tasks/{task_id}/complete", {"data": {}}, content_type="application/json", **elsewhere.http()
    )
    assert refused.status_code == 404
    assert Application.objects.get().state == "submitted"


def test_statistics_count_applications_and_decisions(http: Client, portal: Caller, office: Caller) -> None:
    apply(http, portal)
    rows = http.get(f"{R}/data/statistics", **office.http()).json()
    assert [(r["processed"], r["approved"], r["rejected"]) for r in rows] == [(1, 0, 0)]
    by_day = http.get(f"{R}/data/statistics/1.0?timeframe=day", **office.http()).json()
    assert by_day[0]["references"]["timeframeDay"] is True and by_day[0]["processed"] == 1
    assert http.get(f"{R}/data/statistics?registrationName=nothing", **office.http()).status_code == 404
    assert http.get(f"{R}/data/statistics?startDate=yesterday", **office.http()).status_code == 400
