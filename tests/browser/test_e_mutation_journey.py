"""The e-Mutation journey in a real browser at 360 px: a citizen from the service page to a submitted
application, then the land officers, signed in with their authenticator codes, to the decision."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from govreach.accounts.models import StaffAssignment, StaffTOTPDevice
from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.packs.loader import load_pack
from govreach.registry.models import Area
from govreach.registry.services import area_import_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "+8801712345678"
PASSWORD = "correct horse battery staple"
AREAS = [
    ("BD", "Bangladesh", "country", ""),
    ("BD-30", "Dhaka", "division", "BD"),
    ("BD-3026", "Dhaka", "district", "BD-30"),
    ("BD-302611", "Savar", "upazila", "BD-3026"),
    ("BD-30261111", "Ramnagar", "union", "BD-302611"),
]


def _setup(tmp_path: Path) -> dict[str, User]:
    service_pack_load(pack=load_pack(settings.BASE_DIR / "packs" / "bd-land-mutation"))
    csv = tmp_path / "areas.csv"
    csv.write_text(
        "code,name,level,parent_code\n" + "\n".join(",".join(a) for a in AREAS) + "\n", encoding="utf-8"
    )
    area_import_csv(csv_path=csv)
    officers = {}
    for username, role, code in (
        ("ac-land", "ac_land", "BD-302611"),
        ("ulao", "union_land_assistant", "BD-30261111"),
    ):
        user = User.objects.create_user(username=username, password=PASSWORD)
        StaffTOTPDevice.objects.create(user=user, secret=pyotp.random_base32(32), confirmed_at=timezone.now())
        StaffAssignment.objects.create(
            user=user, pack_id="bd-land-mutation", role=role, area=Area.objects.get(code=code)
        )
        officers[role] = user
    return officers


def _files(tmp_path: Path) -> dict[str, Path]:
    pdf = tmp_path / "deed.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    photo = tmp_path / "photo.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), "#c0b090").save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    return {"pdf": pdf, "photo": photo}


def _save(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def _staff_page(browser: Browser, base: str, user: User) -> Page:
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(f"{base}/staff/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Code")).to_be_visible()
    secret = StaffTOTPDevice.objects.get(user=user).secret
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time()))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Cases").click()
    return page


def _step(page: Page, button: str, fields: dict[str, str] | None = None) -> None:
    for label, value in (fields or {}).items():
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text("Done:")


def test_a_citizen_applies_and_the_officers_decide(
    live_server: Any, page: Page, browser: Browser, tmp_path: Path
) -> None:
    officers = _setup(tmp_path)
    files = _files(tmp_path)
    base = live_server.url

    # The citizen: from the service page, signed in with the SMS code, to the first page of the form.
    page.goto(f"{base}/services/bd-land-mutation/?lang=en")
    page.get_by_role("button", name="Start now").click()
    page.get_by_label("Mobile phone number").fill(PHONE)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Code")).to_be_visible()
    code = OutboxMessage.objects.filter(message_id="login_code").latest("pk").context["code"]
    page.get_by_label("Code").fill(str(code))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Start now").click()

    # A mistake first: the error summary links to the field.
    page.get_by_label("Your full name").fill("Rahima Begum")
    _save(page)
    expect(page.get_by_role("alert")).to_contain_text("Enter national ID number")
    page.get_by_role("link", name="Enter national ID number").click()
    expect(page.get_by_label("National ID number")).to_be_focused()
    page.get_by_label("National ID number").fill("1234567890")
    page.get_by_label("Mobile phone number").fill("01712345678")
    page.get_by_label("Your address").fill("House 4, Road 2, Savar")
    _save(page)

    page.get_by_label("Union where the land lies").select_option("BD-30261111")
    page.get_by_label("Mouza").fill("Baipail")
    page.get_by_label("Khatian number").fill("512")
    page.get_by_label("Plot (dag) numbers").fill("1021, 1022")
    page.get_by_label("Area of land (decimals)").fill("8.25")
    _save(page)

    page.get_by_label("I bought it (sale)").check()
    page.get_by_label("Deed number").fill("4471")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2025")
    page.get_by_label("How many persons must be served a hearing notice").fill("2")
    _save(page)

    for label in (
        "Copy of the deed",
        "Copy of the previous record (khatian)",
        "Land development tax receipt",
        "Copy of your national ID card",
    ):
        page.get_by_label(label).set_input_files(files["pdf"])
    page.get_by_label("Your photo").set_input_files(files["photo"])
    _save(page)
    page.get_by_label("Mobile wallet").check()
    _save(page)

    # Check, pay the two fees through the demo provider, submit.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before submitting")
    page.get_by_role("button", name="Continue to pay the fees").click()
    for fee in ("Pay the court fee (BDT20.00)", "Pay the notice fee (BDT50.00)"):
        page.get_by_role("button", name=fee).click()
        page.get_by_role("button", name="Confirm the payment").click()
    page.get_by_role("button", name="Continue to submit").click()
    page.get_by_role("button", name="Accept and submit the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Application submitted")
    reference = page.locator("#reference").inner_text()
    assert reference.startswith("BD-") and page.locator("#secret").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # one column, no sideways scroll

    # The officers: case number, report, hearing, hearing held, approval with reasons.
    ac = _staff_page(browser, base, officers["ac_land"])
    ac.get_by_role("link", name=reference).click()
    _step(ac, "Give a case number")
    ulao = _staff_page(browser, base, officers["union_land_assistant"])
    ulao.get_by_role("link", name=reference).click()
    _step(ulao, "Send the report", {"Your report": "Deed, khatian and tax receipt match the register."})
    ac.reload()
    hearing_on = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    ac.get_by_label("Date", exact=True).fill(hearing_on)
    ac.get_by_role("radio", name="Online").check()
    _step(
        ac,
        "Schedule the hearing",
        {"Place, or the link for an online hearing": "https://meet.land.gov.bd/h/1"},
    )
    _step(ac, "Record the hearing as held", {"Notes": "Applicant and seller heard online."})
    _step(ac, "Approve", {"Reasons to approve": "The deed is genuine and nobody objected."})
    expect(ac.get_by_role("heading", name="Decision: Approved")).to_be_visible()
