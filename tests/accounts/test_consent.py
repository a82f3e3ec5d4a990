"""The assisted channel: an intermediary acts for a citizen only under the citizen's active consent."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import segno
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.accounts.conftest import PACK_ID, PHONE, last_code, last_sms, sign_in_staff

from govreach.accounts import services
from govreach.accounts.models import CitizenAccount, Consent, Intermediary
from govreach.accounts.selectors import consent_active
from govreach.accounts.throttle import Limit
from govreach.catalogue.models import ServicePack

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _png() -> bytes:
    out = io.BytesIO()
    segno.make("consent").save(out, kind="png")
    return out.getvalue()


@pytest.fixture
def with_context_processor(settings: Any) -> None:
    templates = [dict(t) for t in settings.TEMPLATES]
    templates[0]["OPTIONS"] = {
        **templates[0]["OPTIONS"],
        "context_processors": [
            *templates[0]["OPTIONS"]["context_processors"],
            "govreach.accounts.context.acting_for",
        ],
    }
    settings.TEMPLATES = templates


def _acting_consent_id(client: Client) -> int | None:
    state = client.session.get("accounts.acting_for")
    return int(state["consent_id"]) if state else None


def _citizen_client(phone: str = PHONE) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.77")
    client.post("/login/", {"phone": phone})
    client.post("/login/code/", {"code": last_code(phone)})
    assert "_auth_user_id" in client.session
    return client


def _consent_by_code(client: Client, phone: str = PHONE) -> Consent:
    response = client.post("/assist/", {"phone": phone, "pack_id": PACK_ID})
    assert response.status_code == 302
    assert response["Location"] == "/assist/code/"
    response = client.post("/assist/code/", {"code": last_code(phone, "consent_code")})
    assert response.status_code == 302
    return Consent.objects.get()


def test_consent_by_code_lets_the_intermediary_act(
    intermediary_client: Client, intermediary: Intermediary
) -> None:
    response = intermediary_client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID})
    assert response["Location"] == "/assist/code/"
    citizen = CitizenAccount.objects.get(phone=PHONE)  # a new phone gets an account
    consent = Consent.objects.get()
    assert consent.status == "pending"
    assert _acting_consent_id(intermediary_client) is None
    sms = last_sms(PHONE, "consent_code")
    assert sms.pack_id == PACK_ID
    assert "Ashulia Union Digital Centre" in sms.body
    intermediary_client.post("/assist/code/", {"code": str(sms.context["code"])})
    consent.refresh_from_db()
    assert consent.is_active
    assert consent.method == "otp"
    assert consent.evidence["method"] == "otp"
    assert _acting_consent_id(intermediary_client) == consent.pk
    assert consent_active(intermediary=intermediary, citizen=citizen, pack_id=PACK_ID) == consent


def test_a_wrong_consent_code_grants_nothing(intermediary_client: Client) -> None:
    intermediary_client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID})
    code = last_code(PHONE, "consent_code")
    response = intermediary_client.post("/assist/code/", {"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert "The code is not correct" in response.content.decode()
    assert Consent.objects.get().status == "pending"
    assert _acting_consent_id(intermediary_client) is None


def test_an_intermediary_cannot_act_without_consent(
    intermediary_client: Client, intermediary: Intermediary
) -> None:
    citizen, _ = services.citizen_account_get_or_create(phone=PHONE)
    pending = Consent.objects.create(
        citizen=citizen, intermediary=intermediary, pack_id=PACK_ID, method="otp"
    )
    # No code entered: the code page has nothing pending in this session and sends back to the start.
    response = intermediary_client.get("/assist/code/")
    assert response["Location"] == "/assist/"
    # Forging the session state is not enough either: acting_for re-checks the consent.
    session = intermediary_client.session
    session["accounts.acting_for"] = {"consent_id": pending.pk}
    session.save()
    intermediary_client.get("/assist/")
    assert _acting_consent_id(intermediary_client) is None


def test_another_intermediarys_consent_does_not_count(
    intermediary_client: Client, intermediary: Intermediary, make_staff: Callable[..., User]
) -> None:
    _consent_by_code(intermediary_client)
    consent = Consent.objects.get()
    rival_user = make_staff("rival")
    services.intermediary_create(user=rival_user, centre_name="Other centre", area=intermediary.area)
    rival = Client()
    sign_in_staff(rival, rival_user)
    session = rival.session
    session["accounts.acting_for"] = {"consent_id": consent.pk}
    session.save()
    rival.get("/assist/")
    assert _acting_consent_id(rival) is None


def test_staff_who_are_not_intermediaries_cannot_assist(
    make_staff: Callable[..., User], bd_service_pack: ServicePack
) -> None:
    officer = make_staff("officer")
    client = Client()
    sign_in_staff(client, officer)
    assert client.get("/assist/").status_code == 403
    assert client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID}).status_code == 403
    assert not Consent.objects.exists()


def test_citizens_are_sent_to_the_staff_login(bd_service_pack: ServicePack) -> None:
    response = _citizen_client().get("/assist/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_an_active_consent_lets_the_intermediary_resume_without_a_new_code(
    intermediary_client: Client,
) -> None:
    consent = _consent_by_code(intermediary_client)
    intermediary_client.post("/assist/stop/")
    assert _acting_consent_id(intermediary_client) is None
    sent = Consent.objects.get().codes.count()
    response = intermediary_client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID})
    assert response["Location"] == "/assist/"
    assert _acting_consent_id(intermediary_client) == consent.pk
    assert Consent.objects.get().codes.count() == sent


@pytest.mark.parametrize(("name", "content"), [("consent.pdf", PDF), ("photo.png", _png())])
def test_a_signed_form_grants_consent(
    intermediary_client: Client, media: Path, name: str, content: bytes
) -> None:
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = intermediary_client.post(
        "/assist/signed/", {"phone": PHONE, "pack_id": PACK_ID, "document": upload}
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    consent = Consent.objects.get()
    assert consent.is_active
    assert consent.method == "signed_upload"
    assert len(str(consent.evidence["sha256"])) == 64
    assert consent.document.name.startswith("consents/")
    assert name not in consent.document.name  # stored under a random name
    assert (media / consent.document.name).read_bytes() == content
    assert _acting_consent_id(intermediary_client) == consent.pk


def test_a_text_file_named_pdf_is_refused_by_its_content(intermediary_client: Client, media: Path) -> None:
    upload = SimpleUploadedFile("consent.pdf", b"I agree. Signed, nobody.\n", content_type="application/pdf")
    response = intermediary_client.post(
        "/assist/signed/", {"phone": PHONE, "pack_id": PACK_ID, "document": upload}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "must be a PDF, JPEG or PNG" in body
    assert 'href="#id_document"' in body
    assert not Consent.objects.exists()
    assert _acting_consent_id(intermediary_client) is None


def test_a_file_over_five_megabytes_is_refused(intermediary_client: Client, media: Path) -> None:
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf")
    response = intermediary_client.post(
        "/assist/signed/", {"phone": PHONE, "pack_id": PACK_ID, "document": upload}
    )
    assert "larger than 5 MB" in response.content.decode()
    assert not Consent.objects.exists()


def test_revocation_by_the_citizen_ends_acting_for(intermediary_client: Client) -> None:
    consent = _consent_by_code(intermediary_client)
    citizen = _citizen_client()
    page = citizen.get("/account/consents/")
    assert "Ashulia Union Digital Centre" in page.content.decode()
    response = citizen.post(f"/account/consents/{consent.pk}/revoke/")
    assert response["Location"] == "/account/consents/"
    consent.refresh_from_db()
    assert consent.status == "revoked"
    assert consent.revoked_by == CitizenAccount.objects.get(phone=PHONE).user
    page = intermediary_client.get("/assist/")
    assert page.context["current"] is None
    assert _acting_consent_id(intermediary_client) is None


def test_a_citizen_cannot_revoke_someone_elses_consent(intermediary_client: Client) -> None:
    consent = _consent_by_code(intermediary_client)
    stranger = _citizen_client("+8801911111111")
    assert stranger.post(f"/account/consents/{consent.pk}/revoke/").status_code == 404
    consent.refresh_from_db()
    assert consent.is_active


def test_revoke_service_refuses_strangers(
    intermediary_client: Client, make_staff: Callable[..., User]
) -> None:
    from django.core.exceptions import PermissionDenied

    consent = _consent_by_code(intermediary_client)
    with pytest.raises(PermissionDenied):
        services.consent_revoke(consent=consent, by_user=make_staff("stranger"))
    assert Consent.objects.get().is_active


def test_every_page_says_who_acts_for_whom(intermediary_client: Client, with_context_processor: None) -> None:
    page = intermediary_client.get("/assist/")
    assert not page.context["acting_for"]
    _consent_by_code(intermediary_client)
    page = intermediary_client.get("/staff/")
    acting = page.context["acting_for"]
    assert acting["centre_name"] == "Ashulia Union Digital Centre"
    assert acting["citizen_phone"] == "+880••••••••78"
    assert "You are acting for a citizen" in page.content.decode()


def test_consent_codes_are_limited_per_phone_and_per_intermediary(
    intermediary_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        assert intermediary_client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID}).status_code == 302
    response = intermediary_client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID})
    assert response.status_code == 429
    assert "wait 15 minutes" in response.content.decode()
    monkeypatch.setattr(
        services, "CONSENT_REQUESTS_PER_INTERMEDIARY", Limit("consent-intermediary", 4, dt.timedelta(hours=1))
    )
    assert (
        intermediary_client.post("/assist/", {"phone": "+8801911111111", "pack_id": PACK_ID}).status_code
        == 302
    )
    response = intermediary_client.post("/assist/", {"phone": "+8801922222222", "pack_id": PACK_ID})
    assert response.status_code == 429
