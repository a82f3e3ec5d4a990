"""Applying for e-Mutation through HTTP: sign-in by SMS code, the form page by page with errors, documents,
the two fees, the check page, an idempotent submission, then the officers' chain to the downloaded record,
and the same application filed by a Union Digital Centre operator with the citizen's consent."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader
from tests.web.conftest import (
    APPLY,
    BD_PACK_ID,
    OTHER_PHONE,
    PHONE,
    citizen_sign_in,
    hidden,
    image_bytes,
    last_sms,
    pdf_bytes,
    staff_client,
)
from tests.web.journey import PAGES, fill_form, pay_application_fees, post_page, submit_form

from govreach.accounts.models import CitizenAccount, Consent, Intermediary
from govreach.cases.models import Application, CaseEvent, Payment

pytestmark = pytest.mark.usefixtures("emutation")


def submitted() -> list[Application]:
    return list(Application.objects.exclude(state="draft"))


def test_the_service_page_has_a_start_button_and_applying_needs_a_sign_in(client: Client) -> None:
    html = client.get(f"/services/{BD_PACK_ID}/?lang=en").content.decode()
    assert f'href="{APPLY}?lang=en"' in html and "Start now" in html
    response = client.get(APPLY)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert client.post(f"{APPLY}applicant/", PAGES["applicant"]).status_code == 302
    assert not Application.objects.exists()


def test_a_citizen_applies_page_by_page_pays_and_submits_once(client: Client) -> None:
    # Sign in with the code the SMS carries; the sign-in comes back to the application.
    response = citizen_sign_in(client, PHONE, next_url=APPLY)
    assert response["Location"] == APPLY
    start = client.get(APPLY).content.decode()
    assert "Start now" in start and "Not started" in start

    # A page with mistakes: an error summary at the top linking to each field, naming it and the fix.
    wrong = dict(PAGES["applicant"], **{"q-applicant_name": "", "q-applicant_nid": "12345"})
    response = post_page(client, "applicant", wrong)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: About you" in html
    summary = html[html.index("There is a problem") : html.index("</ul>", html.index("There is a problem"))]
    assert '<a href="#q-applicant_name">Enter your full name</a>' in summary
    assert 'href="#q-applicant_nid">National ID number: this does not look right' in summary
    assert 'aria-invalid="true"' in html and 'value="Abdul Karim"' in html  # what was typed is kept
    # The valid answers of that page were saved to the draft all the same.
    draft = Application.objects.get()
    assert draft.answers["applicant_guardian_name"] == "Abdul Karim" and "applicant_nid" not in draft.answers

    # A date that does not exist, then every page right.
    response = post_page(
        client, "transfer", dict(PAGES["transfer"], **{"q-deed_date-day": "31", "q-deed_date-month": "2"})
    )
    assert "Date of the deed must be a real date" in response.content.decode()
    fill_form(client)
    draft.refresh_from_db()
    assert draft.answers["deed_date"] == "2025-11-02" and draft.answers["land_area_decimal"] == 8.25
    assert draft.area is not None and draft.area.code == "BD-30260101"
    assert sorted(draft.documents.values_list("content_type", flat=True)) == [
        "application/pdf",
        "application/pdf",
        "image/jpeg",
        "image/jpeg",
        "image/png",
    ]

    # Check your answers, with change links; the fees come before the submit button.
    check = client.get(f"{APPLY}check-answers/").content.decode()
    assert "Rahima Begum" in check and "I bought it (sale)" in check and "2 November 2025" in check
    assert f'href="{APPLY}land/?return=check#q-mouza"' in check
    assert "Continue to pay the fees" in check and "idempotency_key" not in check
    gateways = pay_application_fees(client)
    assert "BDT20.00" in gateways[0] and "BDT50.00" in gateways[1]
    assert sorted(Payment.objects.filter(status="paid").values_list("amount", flat=True)) == [20, 50]

    # Submit: a double click sends the same key twice, and files one application.
    form = submit_form(client)
    first = client.post(f"{APPLY}submit-application/", form)
    second = client.post(f"{APPLY}submit-application/", form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert len(submitted()) == 1
    application = submitted()[0]
    assert application.reference and first["Location"].endswith(f"/application-sent/{application.reference}/")
    assert CaseEvent.objects.filter(action="submit").count() == 1

    # The confirmation shows the reference and, once only, the secret code of the tracking page.
    done = client.get(first["Location"]).content.decode()
    secret = re.search(r'<p class="secret" id="secret">([A-Z0-9]+)</p>', done)
    assert application.reference in done and secret
    assert 'id="secret"' not in client.get(first["Location"]).content.decode()
    track = client.post("/track/", {"reference": application.reference, "secret": secret.group(1)})
    assert "Application received" in track.content.decode()
    assert last_sms(PHONE, "application_received").context["reference"] == application.reference

    # The back button: the check page drawn again (a new key) or a page posted again files nothing new.
    again = client.post(f"{APPLY}submit-application/", dict(form, idempotency_key="another-key"))
    assert again.status_code == 302 and again["Location"] == first["Location"]
    old_page = post_page(client, "fees", dict(PAGES["fees"], draft=form["draft"]))
    assert old_page["Location"] == first["Location"]
    assert len(submitted()) == 1 and Application.objects.count() == 1


def test_a_file_is_judged_by_its_content_and_its_size(client: Client) -> None:
    citizen_sign_in(client, PHONE)
    for page in ("applicant", "land", "transfer"):
        post_page(client, page, PAGES[page])
    # A PDF named photo.jpg, for a question that takes only JPEG or PNG.
    response = post_page(
        client,
        "documents",
        {
            "q-deed_copy": SimpleUploadedFile("deed.pdf", pdf_bytes(), content_type="application/pdf"),
            "q-photo": SimpleUploadedFile("photo.jpg", pdf_bytes(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a JPEG, PNG file (whatever its name says)" in html
    assert 'href="#q-photo"' in html and 'href="#q-khatian_copy">Upload copy of the previous record' in html
    assert 'accept=".jpg,.jpeg,image/jpeg,.png,image/png"' in html
    draft = Application.objects.get()
    assert list(draft.documents.values_list("kind", flat=True)) == ["deed_copy"]  # the good one was kept
    # The deed attached already need not be sent again.
    response = post_page(
        client,
        "documents",
        {
            "q-khatian_copy": SimpleUploadedFile("k.pdf", pdf_bytes()),
            "q-land_tax_receipt": SimpleUploadedFile("r.pdf", pdf_bytes()),
            "q-national_id_copy": SimpleUploadedFile("n.pdf", pdf_bytes()),
            "q-photo": SimpleUploadedFile("p.png", image_bytes("PNG")),
        },
    )
    assert response.status_code == 302


def test_an_inheritance_asks_for_the_heir_certificate_on_the_server(client: Client) -> None:
    citizen_sign_in(client, PHONE)
    post_page(client, "transfer", PAGES["transfer"])
    assert "q-heir_certificate" not in client.get(f"{APPLY}documents/").content.decode()
    post_page(client, "transfer", dict(PAGES["transfer"], **{"q-transfer_kind": "inheritance"}))
    assert 'name="q-heir_certificate"' in client.get(f"{APPLY}documents/").content.decode()


def test_a_draft_is_resumed_from_the_account_page(client: Client) -> None:
    citizen_sign_in(client, PHONE)
    post_page(client, "applicant", PAGES["applicant"])
    account = client.get("/account/applications/").content.decode()
    assert "Not submitted yet" in account and f'href="{APPLY}"' in account
    start = client.get(APPLY).content.decode()
    assert "Continue" in start and "Completed" in start
    assert f'href="{APPLY}land/" role="button"' in start  # continues where the applicant stopped
    page = client.get(f"{APPLY}applicant/").content.decode()
    assert 'value="Rahima Begum"' in page


def _approve(application: Application, officers: dict[str, User]) -> None:
    """The officer chain through HTTP: case number, report, hearing, hearing held, approval with reasons."""
    ac, ulao = staff_client(officers["ac_land"]), staff_client(officers["ulao"])
    case = f"/staff/cases/{application.reference}/"
    assert ac.post(f"{case}steps/register/").status_code == 302
    assert (
        ulao.post(
            f"{case}steps/report/", {"report-report": "Deed and khatian match the register."}
        ).status_code
        == 302
    )
    refused = ac.post(f"{case}steps/reject/", {"reject-reason": "Seller disputes the sale."})
    assert refused.status_code == 409
    assert "The applicant has not been heard yet" in refused.content.decode()
    on = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    hearing = {
        "schedule_hearing-hearing_at-date": on,
        "schedule_hearing-hearing_at-time": "10:30",
        "schedule_hearing-hearing_mode": "online",
        "schedule_hearing-hearing_place": "https://meet.land.gov.bd/h/42",
    }
    assert ac.post(f"{case}steps/schedule_hearing/", hearing).status_code == 302
    assert (
        ac.post(
            f"{case}steps/hold_hearing/", {"hold_hearing-notes": "Applicant and seller heard."}
        ).status_code
        == 302
    )
    approved = ac.post(
        f"{case}steps/approve/", {"approve-reason": "The sale deed is genuine; nobody objected."}
    )
    assert approved.status_code == 302


def test_the_whole_journey_ends_with_the_record_and_its_qr_code(
    client: Client, officers: dict[str, User]
) -> None:
    citizen_sign_in(client, PHONE)
    fill_form(client)
    pay_application_fees(client)
    client.post(f"{APPLY}submit-application/", submit_form(client))
    application = submitted()[0]
    _approve(application, officers)
    application.refresh_from_db()
    assert application.state == "approved"
    assert last_sms(PHONE, "decision_approved").context["amount"] == "1,100"

    # The citizen pays BDT 1,100 from their account; the record is issued at once.
    page = f"/account/applications/{application.reference}/"
    html = client.get(page).content.decode()
    assert "Approved; pay the fee to get the new record" in html and "Pay BDT1,100.00" in html
    assert "The sale deed is genuine" in html
    gateway = client.post(f"{page}pay/", {"purpose": "record_fee"}).content.decode()
    assert "Confirm the payment of BDT1,100.00" in gateway
    assert client.post(f"{page}pay/confirm/", {"payment": hidden(gateway, "payment")}).status_code == 302
    application.refresh_from_db()
    assert application.state == "record_issued"
    html = client.get(page).content.decode()
    assert "Download the record (PDF)" in html

    # The PDF, never a public media URL; its QR code (and text) lead to the verification page.
    response = client.get(f"{page}record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    text = pdf.pages[0].extract_text()
    assert "Rahima Begum" in text and list(pdf.pages[0].images)  # the QR code is drawn as an image
    verify = re.search(r"/verify/([A-Za-z0-9_-]+)/", str(pdf.metadata.subject))
    assert verify
    checked = Client().get(verify.group(0))
    assert checked.status_code == 200 and "This record is authentic" in checked.content.decode()
    assert "/media/" not in html


def _consent(operator: Client, intermediary: Intermediary) -> Consent:
    operator.post("/assist/", {"phone": PHONE, "pack_id": BD_PACK_ID})
    code = str(last_sms(PHONE, "consent_code").context["code"])
    response = operator.post("/assist/code/", {"code": code})
    assert response.status_code == 302
    return Consent.objects.get(intermediary=intermediary)


def test_an_intermediary_files_for_the_citizen_with_consent(
    client: Client, intermediary: Intermediary
) -> None:
    operator = staff_client(intermediary.user)
    # Without a consent the operator is sent to start assisting a citizen first.
    assert operator.get(APPLY)["Location"] == "/assist/"
    citizen_sign_in(client, PHONE)
    citizen = CitizenAccount.objects.get(phone=PHONE)
    _consent(operator, intermediary)

    # Every page says who acts for whom.
    start = operator.get(APPLY).content.decode()
    assert "You are acting for a citizen" in start and "+880••••••••78" in start
    fill_form(operator)
    pay_application_fees(operator)
    response = operator.post(f"{APPLY}submit-application/", submit_form(operator))
    application = submitted()[0]
    assert application.applicant_id == citizen.user_id
    assert application.submitted_by_id == intermediary.user_id
    assert application.acting_for_id == citizen.user_id and application.consent is not None
    event = application.events.get(action="submit")
    assert event.actor_id == intermediary.user_id and event.acting_for_id == citizen.user_id
    done = operator.get(response["Location"]).content.decode()
    assert "give it to the citizen" in done and application.reference in done

    # The citizen sees it in their own account; the SMS went to the citizen's phone.
    mine = client.get("/account/applications/").content.decode()
    assert application.reference in mine and "filed for you by a digital centre" in mine
    assert client.get(f"/account/applications/{application.reference}/").status_code == 200
    assert last_sms(PHONE, "application_received").context["reference"] == application.reference


def test_a_revoked_consent_ends_the_assisted_application(client: Client, intermediary: Intermediary) -> None:
    operator = staff_client(intermediary.user)
    citizen_sign_in(client, PHONE)
    consent = _consent(operator, intermediary)
    post_page(operator, "applicant", PAGES["applicant"])
    client.post(f"/account/consents/{consent.pk}/revoke/")
    assert post_page(operator, "land", PAGES["land"])["Location"] == "/assist/"
    assert "mouza" not in Application.objects.get().answers


def test_another_citizen_gets_404_and_strangers_go_to_sign_in(
    client: Client, officers: dict[str, User]
) -> None:
    citizen_sign_in(client, PHONE)
    fill_form(client)
    pay_application_fees(client)
    client.post(f"{APPLY}submit-application/", submit_form(client))
    application = submitted()[0]
    _approve(application, officers)
    page = f"/account/applications/{application.reference}/"

    other = Client()
    citizen_sign_in(other, OTHER_PHONE)
    for url in (
        page,
        f"{page}record.pdf",
        f"/services/{BD_PACK_ID}/apply/application-sent/{application.reference}/",
    ):
        assert other.get(url).status_code == 404, url
    assert other.get("/account/applications/BD-2099-999999/").status_code == 404
    assert other.post(f"{page}pay/", {"purpose": "record_fee"}).status_code == 404
    assert application.reference not in other.get("/account/applications/").content.decode()
    # The other citizen's own draft is theirs: the first citizen's answers never show.
    assert "Rahima Begum" not in other.get(f"{APPLY}applicant/").content.decode()

    stranger = Client()
    for url in (page, "/account/applications/", APPLY, f"{APPLY}check-answers/"):
        response = stranger.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url
    # Officers are not citizens: the citizen's pages send them to the citizen sign-in.
    assert staff_client(officers["adc"]).get(page)["Location"].startswith("/login/")
    assert not Payment.objects.filter(purpose="record_fee").exists()
