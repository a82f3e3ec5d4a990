"""National ids, phone numbers and names never reach a log line or a URL, along a whole journey.

A citizen signs in by SMS code, applies for e-Mutation with their national id and phone number, pays,
submits; the officers take the case to approval; a Union Digital Centre operator starts assisting the
citizen; the eligibility API decides a household. Every log record of every logger (at DEBUG) and every
URL requested or redirected to is captured, and scanned for the citizen's data in all its spellings.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.web.conftest import APPLY, BD_PACK_ID, PHONE, PHONE_LOCAL, citizen_sign_in, last_sms, staff_client
from tests.web.journey import PAGES, fill_form, pay_application_fees, submit_form
from tests.web.test_apply import _approve, submitted

from govreach.accounts.models import Intermediary
from govreach.config.logfilters import RedactPersonalData

pytestmark = pytest.mark.usefixtures("emutation")

NATIONAL_ID = PAGES["applicant"]["q-applicant_nid"]
NAME = PAGES["applicant"]["q-applicant_name"]
SECRETS = {
    "national id": NATIONAL_ID,
    "phone (international)": PHONE,
    "phone (digits)": PHONE.lstrip("+"),
    "phone (local)": PHONE_LOCAL,
    "phone (national significant number)": PHONE_LOCAL.lstrip("0"),
    "name": NAME,
}


@pytest.fixture
def urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path + query string requested through a test client, and every Location answered."""
    seen: list[str] = []
    original = Client.request

    def recording(self: Client, **request: Any) -> Any:
        seen.append(f"{request.get('PATH_INFO', '')}?{request.get('QUERY_STRING', '')}")
        response = original(self, **request)
        if response.has_header("Location"):
            seen.append(response["Location"])
        return response

    monkeypatch.setattr(Client, "request", recording)
    return seen


def _found(text: str) -> list[str]:
    return [what for what, value in SECRETS.items() if value in text]


def test_a_whole_journey_writes_no_personal_data_to_logs_or_urls(
    client: Client,
    officers: dict[str, User],
    intermediary: Intermediary,
    caplog: pytest.LogCaptureFixture,
    urls: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    citizen_sign_in(client, PHONE)
    fill_form(client)
    pay_application_fees(client)
    client.post(f"{APPLY}submit-application/", submit_form(client))
    application = submitted()[0]
    _approve(application, officers)
    client.get(f"/account/applications/{application.reference}/")
    client.post("/track/", {"reference": application.reference, "secret": "WRONG000"})

    operator = staff_client(intermediary.user)
    operator.post("/assist/", {"phone": PHONE, "pack_id": BD_PACK_ID})
    operator.post("/assist/code/", {"code": str(last_sms(PHONE, "consent_code").context["code"])})
    operator.get("/assist/")

    logged = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {getattr(r, 'args', '')}" for r in caplog.records
    )
    assert len(caplog.records) > 10, "the journey should have logged something to scan"
    assert len(urls) > 30
    assert not _found(logged), [r.getMessage() for r in caplog.records if _found(r.getMessage())][:5]
    leaking = [u for u in urls if _found(u)]
    assert not leaking, leaking[:5]


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("govreach.test", logging.INFO, __file__, 1, message, args, None)


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ("code sent to %s", ("+8801712345678",)),
        ("NIF 123456789 matched", ()),
        ("phone 017 1234 5678 on file", ()),
        ("national id %s", (1234567890,)),
    ],
)
def test_the_log_filter_masks_long_numbers_that_slipped_through(
    message: str, args: tuple[object, ...]
) -> None:
    record = _record(message, *args)
    assert RedactPersonalData().filter(record) is True
    text = record.getMessage()
    assert not re.search(r"\d{9,}", text.replace(" ", "")), text
    assert "•" in text


def test_the_log_filter_leaves_ordinary_figures_alone() -> None:
    record = _record("cycle wrote %d outcomes in %.1f s on 2026-11-28 for BD-30260101", 104_427, 12.8)
    RedactPersonalData().filter(record)
    assert record.getMessage() == "cycle wrote 104427 outcomes in 12.8 s on 2026-11-28 for BD-30260101"
