"""The e-Mutation application filled in through HTTP, page by page, as a browser without JavaScript does."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.web.conftest import APPLY, hidden, image_bytes, pdf_bytes

PAGES: dict[str, dict[str, Any]] = {
    "applicant": {
        "q-applicant_name": "Rahima Begum",
        "q-applicant_guardian_name": "Abdul Karim",
        "q-applicant_nid": "1234567890",
        "q-applicant_phone": "01712345678",
        "q-applicant_address": "House 4, Road 2, Ashulia",
    },
    "land": {
        "q-land_union": "BD-30260101",
        "q-mouza": "Baipail",
        "q-jl_number": "12",
        "q-khatian_number": "512",
        "q-plot_numbers": "1021, 1022",
        "q-land_area_decimal": "8.25",
    },
    "transfer": {
        "q-transfer_kind": "purchase",
        "q-deed_number": "4471",
        "q-deed_date-day": "2",
        "q-deed_date-month": "11",
        "q-deed_date-year": "2025",
        "q-persons_to_notify": "2",
    },
    "fees": {"q-payment_channel": "mobile_wallet"},
}


def documents() -> dict[str, SimpleUploadedFile]:
    """Real small files; names and declared types are what a phone sends, not what is checked."""
    return {
        "q-deed_copy": SimpleUploadedFile("deed.pdf", pdf_bytes(), content_type="application/pdf"),
        "q-khatian_copy": SimpleUploadedFile("khatian.jpg", image_bytes("JPEG"), content_type="image/jpeg"),
        "q-land_tax_receipt": SimpleUploadedFile("receipt.png", image_bytes("PNG"), content_type="image/png"),
        "q-national_id_copy": SimpleUploadedFile("nid.pdf", pdf_bytes(), content_type="application/pdf"),
        "q-photo": SimpleUploadedFile("photo.jpg", image_bytes("JPEG"), content_type="image/jpeg"),
    }


def post_page(client: Client, page: str, data: dict[str, Any]) -> Any:
    return client.post(f"{APPLY}{page}/", data)


def fill_form(client: Client) -> None:
    """Every page of the form, each answered correctly: each saves and leads to the next."""
    expected_next = {
        "applicant": f"{APPLY}land/",
        "land": f"{APPLY}transfer/",
        "transfer": f"{APPLY}documents/",
        "documents": f"{APPLY}fees/",
        "fees": f"{APPLY}check-answers/",
    }
    for page in ("applicant", "land", "transfer"):
        response = post_page(client, page, PAGES[page])
        assert response.status_code == 302, response.content.decode()[:3000]
        assert response["Location"] == expected_next[page]
    response = post_page(client, "documents", documents())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == expected_next["documents"]
    response = post_page(client, "fees", PAGES["fees"])
    assert response["Location"] == expected_next["fees"]


def pay_application_fees(client: Client) -> list[str]:
    """Pay each fee due before submitting through the demo provider; returns what the pages showed."""
    shown = []
    for _ in range(2):
        page = client.get(f"{APPLY}pay-fees/").content.decode()
        purpose = hidden(page, "purpose")
        gateway = client.post(f"{APPLY}pay-fees/", {"purpose": purpose})
        assert gateway.status_code == 200
        html = gateway.content.decode()
        shown.append(html)
        confirmed = client.post(f"{APPLY}confirm-payment/", {"payment": hidden(html, "payment")})
        assert confirmed.status_code == 302
    return shown


def submit_form(client: Client) -> dict[str, str]:
    """The submit form of the check page: the draft's id and the idempotency key drawn with it."""
    html = client.get(f"{APPLY}check-answers/").content.decode()
    # The form, not its English wording: the page may be in the language the citizen chose.
    assert 'name="idempotency_key"' in html, html[:3000]
    return {"draft": hidden(html, "draft"), "idempotency_key": hidden(html, "idempotency_key")}
