"""Builders for cases tests: a Bangladeshi area tree, the e-Mutation pack in the catalogue, land officers
assigned to their areas, a citizen, and a complete application ready to submit."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from govreach.accounts.models import CitizenAccount, StaffAssignment
from govreach.accounts.services import citizen_account_get_or_create
from govreach.cases import services
from govreach.cases.models import Application
from govreach.catalogue.models import ServicePack
from govreach.catalogue.services import service_pack_load
from govreach.packs.loader import Pack, load_pack
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

PACK_ID = "bd-land-mutation"
BD_PACK_DIR = settings.BASE_DIR / "packs" / PACK_ID
PHONE = "+8801712345678"

AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka district", "district", "BD-30"),
    ("BD-302601", "Savar", "upazila", "BD-3026"),
    ("BD-30260101", "Ashulia", "union", "BD-302601"),
    ("BD-30260102", "Dhamsona", "union", "BD-302601"),
]

ANSWERS: dict[str, Any] = {
    "applicant_name": "Rahima Begum",
    "applicant_nid": "1234567890",
    "applicant_phone": "01712345678",
    "applicant_address": "House 4, Road 2, Ashulia",
    "land_union": "BD-30260101",
    "mouza": "Baipail",
    "khatian_number": "512",
    "plot_numbers": "1021, 1022",
    "land_area_decimal": 8.25,
    "transfer_kind": "purchase",
    "deed_number": "4471",
    "deed_date": "2025-11-02",
    "persons_to_notify": 2,
    "payment_channel": "mobile_wallet",
}
DOCUMENTS = ("deed_copy", "khatian_copy", "land_tax_receipt", "national_id_copy", "photo")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(kind: str, content: bytes | None = None, name: str | None = None) -> SimpleUploadedFile:
    """A file as the browser sends it; the name and the declared content type are deliberately generic."""
    if content is None:
        content = png_bytes() if kind == "photo" else pdf_bytes()
    return SimpleUploadedFile(name or f"{kind}.pdf", content, content_type="application/pdf")


@cache
def _bd_pack() -> Pack:
    return load_pack(BD_PACK_DIR)


@pytest.fixture
def bd_pack() -> Pack:
    return _bd_pack()


@pytest.fixture
def bd_service_pack(db: None, bd_pack: Pack) -> ServicePack:
    return service_pack_load(pack=bd_pack)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def areas(db: None, tmp_path: Path) -> dict[str, Area]:
    path = tmp_path / "areas.csv"
    lines = ["code,name,level,parent_code", *(",".join(row) for row in AREAS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    area_import_csv(csv_path=path)
    return {a.code: a for a in Area.objects.all()}


@pytest.fixture
def citizen(bd_service_pack: ServicePack, areas: dict[str, Area]) -> CitizenAccount:
    account, _created = citizen_account_get_or_create(phone=PHONE, language="en")
    return account


@pytest.fixture
def staff(areas: dict[str, Area], bd_service_pack: ServicePack) -> Callable[[str, str, str], User]:
    """``staff(username, role, area_code)``: a user assigned the pack role on that area today."""

    def make(username: str, role: str, area_code: str) -> User:
        user = User.objects.create_user(username=username, password=uuid.uuid4().hex)
        StaffAssignment.objects.create(user=user, pack_id=PACK_ID, role=role, area=areas[area_code])
        return user

    return make


@pytest.fixture
def officers(staff: Callable[[str, str, str], User]) -> dict[str, User]:
    return {
        "ulao": staff("ulao-ashulia", "union_land_assistant", "BD-30260101"),
        "ulao_other": staff("ulao-dhamsona", "union_land_assistant", "BD-30260102"),
        "ac_land": staff("ac-land-savar", "ac_land", "BD-302601"),
        "adc": staff("adc-dhaka", "adc_revenue", "BD-3026"),
    }


def pay(application: Application, purpose: str) -> None:
    payment = services.payment_request(application=application, purpose=purpose)
    start = services.payment_start(payment=payment)
    services.payment_confirm(payment=payment, provider_reference=start.provider_reference)


@pytest.fixture
def ready_draft(citizen: CitizenAccount) -> Application:
    """A complete purchase application, documents attached and both fees paid, not yet submitted."""
    draft = services.application_draft_save(
        applicant=citizen.user, pack_id=PACK_ID, form_id="application", answers=ANSWERS
    )
    for kind in DOCUMENTS:
        services.document_attach(
            application=draft, kind=kind, uploaded_file=upload(kind), by_user=citizen.user
        )
    pay(draft, "court_fee")
    pay(draft, "notice_fee")
    return draft


@pytest.fixture
def submitted(ready_draft: Application, citizen: CitizenAccount) -> services.Submission:
    return services.application_submit(
        application=ready_draft, by_user=citizen.user, idempotency_key="form-1"
    )
