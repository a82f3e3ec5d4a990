"""The land officer's pages through HTTP: the queue in their area, the case with its rule trace and the steps
their role allows, documents behind a permission check, refusals for other unions, and the demo outbox."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from typing import Any

import pyotp
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone
from tests.web.conftest import BD_PACK_ID, PHONE, image_bytes, pdf_bytes, staff_client

from govreach.accounts.models import CitizenAccount, StaffAssignment, StaffTOTPDevice
from govreach.accounts.services import citizen_account_get_or_create
from govreach.cases import services
from govreach.cases.models import Application
from govreach.catalogue.management.commands.demo import DemoContext
from govreach.notify.models import OutboxMessage
from govreach.registry.models import Area
from govreach.web.demo import DEMO_CITIZEN_PHONE, DEMO_PASSWORD, step_demo_accounts

pytestmark = pytest.mark.usefixtures("emutation")

ANSWERS: dict[str, Any] = {
    "applicant_name": "Rahima Begum",
    "applicant_nid": "1987654321",
    "applicant_phone": "01712345678",
    "applicant_address": "House 4, Road 2",
    "land_union": "BD-30260101",
    "mouza": "Baipail",
    "khatian_number": "512",
    "plot_numbers": "1021",
    "land_area_decimal": 8.25,
    "transfer_kind": "purchase",
    "deed_number": "4471",
    "deed_date": "2025-11-02",
    "persons_to_notify": 2,
    "payment_channel": "bank",
}


def file_application(union: str = "BD-30260101", phone: str = PHONE) -> Application:
    """A complete, paid and submitted application, built through the cases services."""
    citizen, _ = citizen_account_get_or_create(phone=phone, language="en")
    draft = services.application_draft_save(
        applicant=citizen.user,
        pack_id=BD_PACK_ID,
        form_id="application",
        answers=dict(ANSWERS, land_union=union),
    )
    for kind in ("deed_copy", "khatian_copy", "land_tax_receipt", "national_id_copy", "photo"):
        content = image_bytes("PNG") if kind == "photo" else pdf_bytes()
        services.document_attach(
            application=draft, kind=kind, uploaded_file=SimpleUploadedFile("f", content), by_user=citizen.user
        )
    for purpose in ("court_fee", "notice_fee"):
        payment = services.payment_request(application=draft, purpose=purpose)
        start = services.payment_start(payment=payment)
        services.payment_confirm(payment=payment, provider_reference=start.provider_reference)
    return services.application_submit(
        application=draft, by_user=citizen.user, idempotency_key=f"k-{union}-{phone}"
    ).application


@pytest.fixture
def case(officers: dict[str, User]) -> Application:
    return file_application()


def test_the_queue_shows_the_officers_cases_overdue_first_with_filters_and_counts(
    officers: dict[str, User], bd_areas: dict[str, Area]
) -> None:
    mine = file_application()
    late = file_application(phone="+8801811111111")
    Application.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=1))
    elsewhere = file_application(union="BD-30260102", phone="+8801822222222")
    ac = staff_client(officers["ac_land"])
    html = ac.get("/staff/cases/").content.decode()
    references = re.findall(r'href="/staff/cases/([A-Z0-9-]+)/"', html)
    assert references == [late.reference, mine.reference, elsewhere.reference]  # overdue first
    assert "Overdue" in html and re.search(r"<dt>Overdue</dt><dd><span class=\"tag late\">1</span>", html)
    assert "Submitted, waiting for a case number (3)" in html
    # Filter by area within the scope; an area outside it is ignored, not obeyed.
    html = ac.get("/staff/cases/?area=BD-30260102").content.decode()
    assert re.findall(r'href="/staff/cases/([A-Z0-9-]+)/"', html) == [elsewhere.reference]
    html = ac.get("/staff/cases/?state=registered").content.decode()
    assert "No cases match." in html
    # The union land assistant of Ashulia sees Ashulia's cases only.
    ulao = staff_client(officers["ulao"])
    html = ulao.get("/staff/cases/?area=BD-30260102").content.decode()
    assert elsewhere.reference not in html and mine.reference in html and late.reference in html


def test_the_case_page_shows_answers_documents_rule_trace_and_only_the_allowed_steps(
    case: Application, officers: dict[str, User]
) -> None:
    ac = staff_client(officers["ac_land"])
    html = ac.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Rahima Begum" in html and "1987654321" in html and "Baipail" in html
    assert "Application complete (a case number can be given): Met" in html
    assert "All five required documents are attached" in html and "Court-fees Act 1870" in html
    assert f'action="/staff/cases/{case.reference}/steps/register/"' in html
    assert "steps/report/" not in html and "steps/reject/" not in html  # not this role's, or not yet
    assert "Submit" in html  # the timeline: submitted by the applicant
    # Personal data never in a URL: every link and form address on the page is free of them.
    for address in re.findall(r'(?:href|action)="([^"]+)"', html):
        assert "1987654321" not in address and "1712345678" not in address
    # The union land assistant cannot take the AC Land's step.
    ulao = staff_client(officers["ulao"])
    assert ulao.post(f"/staff/cases/{case.reference}/steps/register/").status_code == 403
    case.refresh_from_db()
    assert case.state == "submitted"
    assert ac.post(f"/staff/cases/{case.reference}/steps/register/").status_code == 302
    html = ac.get(f"/staff/cases/{case.reference}/").content.decode()
    blocked = html[html.index("Not possible yet") :]
    assert "<strong>Reject</strong>: The applicant has not been heard yet." in blocked
    assert "steps/reject/" not in html
    assert (
        f'action="/staff/cases/{case.reference}/steps/report/"'
        in ulao.get(f"/staff/cases/{case.reference}/").content.decode()
    )


def test_documents_are_downloaded_through_a_permission_check(
    case: Application, officers: dict[str, User]
) -> None:
    document = case.documents.get(kind="deed_copy")
    url = f"/staff/cases/{case.reference}/documents/{document.pk}/"
    response = staff_client(officers["ulao"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'attachment; filename="{case.reference}-deed_copy.pdf"' == response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert staff_client(officers["ulao_other"]).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/staff/login/")


def test_another_unions_officer_can_neither_see_nor_act(case: Application, officers: dict[str, User]) -> None:
    other = staff_client(officers["ulao_other"])
    assert other.get(f"/staff/cases/{case.reference}/").status_code == 404
    assert other.get("/staff/cases/BD-2099-000001/").status_code == 404  # same answer as no such case
    assert case.reference not in other.get("/staff/cases/").content.decode()
    ac = staff_client(officers["ac_land"])
    ac.post(f"/staff/cases/{case.reference}/steps/register/")
    assert (
        other.post(f"/staff/cases/{case.reference}/steps/report/", {"report-report": "x"}).status_code == 404
    )
    case.refresh_from_db()
    assert case.state == "registered"
    # A citizen is not staff: the staff pages send them to the staff sign-in.
    citizen = Client()
    citizen.force_login(CitizenAccount.objects.get(phone=PHONE).user)
    assert citizen.get(f"/staff/cases/{case.reference}/")["Location"].startswith("/staff/login/")


def test_steps_need_their_data_and_the_hearing_must_be_in_the_future(
    case: Application, officers: dict[str, User]
) -> None:
    ac, ulao = staff_client(officers["ac_land"]), staff_client(officers["ulao"])
    url = f"/staff/cases/{case.reference}/steps/"
    ac.post(f"{url}register/")
    response = ulao.post(f"{url}report/", {"report-report": "  "})
    assert response.status_code == 400
    assert '<a href="#report-report">Enter your report</a>' in response.content.decode()
    assert ulao.post(f"{url}report/", {"report-report": "All documents match."}).status_code == 302
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    data = {
        "schedule_hearing-hearing_at-date": yesterday,
        "schedule_hearing-hearing_at-time": "10:00",
        "schedule_hearing-hearing_mode": "in_person",
        "schedule_hearing-hearing_place": "AC Land office, Savar",
    }
    response = ac.post(f"{url}schedule_hearing/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'href="#schedule_hearing-hearing_at-date">The hearing must be in the future.' in html
    response = ac.post(
        f"{url}schedule_hearing/", dict(data, **{"schedule_hearing-hearing_at-date": "14 March"})
    )
    assert response.status_code == 400 and "YYYY-MM-DD" in response.content.decode()
    next_week = (timezone.localdate() + dt.timedelta(days=7)).strftime("%d/%m/%Y")  # the text fallback
    response = ac.post(
        f"{url}schedule_hearing/", dict(data, **{"schedule_hearing-hearing_at-date": next_week})
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "hearing_scheduled"
    hearing = case.hearings.get()
    assert timezone.localtime(hearing.scheduled_at).strftime("%H:%M") == "10:00"
    assert hearing.notice_sent_at is not None
    assert OutboxMessage.objects.filter(message_id="hearing_scheduled").count() == 1
    # Rejection before the hearing is held: refused with the reason, and nothing changes.
    response = ac.post(f"{url}reject/", {"reject-reason": "Disputed."})
    assert (
        response.status_code == 409
        and "No application may be rejected without a hearing" in response.content.decode()
    )
    assert ac.post(f"{url}hold_hearing/", {"hold_hearing-notes": "Heard in person."}).status_code == 302
    assert ac.post(f"{url}approve/", {"approve-reason": "Deed genuine, no objection."}).status_code == 302
    html = ac.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Decision: Approved" in html and "Deed genuine, no objection." in html
    assert "Application complete (a case number can be given)" in html and "Met" in html
    assert "Nothing for you to do on this case at this stage." in html


def test_the_outbox_page_exists_only_in_the_demo_and_masks_recipients(officers: dict[str, User]) -> None:
    citizen_account_get_or_create(phone=DEMO_CITIZEN_PHONE)
    Client().post("/login/", {"phone": DEMO_CITIZEN_PHONE})
    Client().post("/login/", {"phone": PHONE})
    ac = staff_client(officers["ac_land"])
    assert ac.get("/staff/outbox/").status_code == 404
    with override_settings(DEBUG=True):
        html = ac.get("/staff/outbox/").content.decode()
        assert Client().get("/staff/outbox/").status_code == 302
    code = str(OutboxMessage.objects.filter(recipient=DEMO_CITIZEN_PHONE).get().context["code"])
    assert f"SMS to {DEMO_CITIZEN_PHONE}" in html and code in html
    assert PHONE not in html and "+880••••••••78" in html


def _demo_step() -> list[str]:
    report = step_demo_accounts(DemoContext(base_url="http://127.0.0.1:8000"))
    assert not report.problems and not report.warnings, report
    return report.lines


@override_settings(DEBUG=True)
def test_demo_setup_makes_accounts_that_sign_in_and_can_run_twice(bd_areas: dict[str, Area]) -> None:
    first = _demo_step()
    assert _demo_step() == first
    text = "\n".join(first)
    assert f"password '{DEMO_PASSWORD}'" in text and "govreach demo_totp <username>" in text
    assert "/staff/outbox/" in text and "+8801711000001" in text
    # The existing areas were reused: Ashulia is the first union, Savar its upazila.
    assert StaffAssignment.objects.get(user__username="demo-ulao").area.code == "BD-30260101"
    assert StaffAssignment.objects.get(user__username="demo-ac-land").area.code == "BD-302601"
    assert StaffAssignment.objects.get(user__username="demo-adc").area.code == "BD-3026"
    assert User.objects.filter(username__startswith="demo-").count() == 4
    assert CitizenAccount.objects.filter(phone=DEMO_CITIZEN_PHONE).count() == 1
    out = StringIO()
    call_command("demo_totp", "demo-ac-land", stdout=out, stderr=StringIO())
    code = out.getvalue().strip()
    assert code == pyotp.TOTP(StaffTOTPDevice.objects.get(user__username="demo-ac-land").secret).now()
    client = Client()
    client.post("/staff/login/", {"username": "demo-ac-land", "password": DEMO_PASSWORD})
    assert client.post("/staff/login/verify/", {"code": code}).status_code == 302
    assert client.get("/staff/cases/").status_code == 200
    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_totp", "admin", stdout=StringIO())


def test_demo_accounts_are_made_only_in_debug(bd_areas: dict[str, Area]) -> None:
    report = step_demo_accounts(DemoContext(base_url="http://127.0.0.1:8000"))
    assert report.warnings and not User.objects.filter(username__startswith="demo-").exists()
    with pytest.raises(CommandError, match="only in the demo"):
        call_command("demo_totp", "demo-ac-land", stdout=StringIO())


@override_settings(DEBUG=True)
def test_demo_setup_creates_a_minimal_bangladesh_when_there_is_none() -> None:
    for area in Area.objects.order_by("-depth"):
        area.delete()
    _demo_step()
    union = StaffAssignment.objects.get(user__username="demo-ulao").area
    path = "/BD/BD-30/BD-3026/BD-302611/BD-30261111/"
    assert (union.code, union.level, union.path) == ("BD-30261111", "union", path)
    assert [a.level for a in union.ancestors()] == ["country", "division", "district", "upazila"]
