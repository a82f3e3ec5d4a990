"""Phone numbers never appear in URLs, in log lines, or in the cache keys that count attempts."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from tests.accounts.conftest import PACK_ID, PHONE, last_code

from govreach.accounts.phones import InvalidPhone, phone_mask, phone_normalise

pytestmark = pytest.mark.django_db

DIGITS = PHONE.lstrip("+")
NATIONAL = DIGITS[3:]  # 1712345678, as a clerk might type it


def _assert_no_phone(text: str) -> None:
    assert DIGITS not in text and NATIONAL not in text, text


def _locations(*responses: HttpResponse) -> list[str]:
    return [r["Location"] for r in responses if r.has_header("Location")]


def test_citizen_sign_in_and_consent_keep_the_phone_out_of_urls_and_logs(
    caplog: pytest.LogCaptureFixture, intermediary_client: Client
) -> None:
    caplog.set_level(logging.DEBUG)
    citizen = Client()
    responses = [
        citizen.post("/login/", {"phone": PHONE}),
        citizen.post("/login/code/", {"code": "000000" if last_code(PHONE) != "000000" else "111111"}),
        citizen.post("/login/code/", {"resend": "1"}),
        citizen.post("/login/code/", {"code": last_code(PHONE)}),
        intermediary_client.post("/assist/", {"phone": PHONE, "pack_id": PACK_ID}),
        intermediary_client.post("/assist/code/", {"code": last_code(PHONE, "consent_code")}),
    ]
    for response in responses:
        assert response.status_code in (200, 302)
        _assert_no_phone(response.request["PATH_INFO"] + "?" + response.request.get("QUERY_STRING", ""))
    for location in _locations(*responses):
        _assert_no_phone(location)
    assert caplog.records, "the flow should log what happened"
    for record in caplog.records:
        _assert_no_phone(record.getMessage())
    assert any(phone_mask(PHONE) in record.getMessage() for record in caplog.records)


def test_throttle_keys_do_not_hold_the_phone(client: Client) -> None:
    client.post("/login/", {"phone": PHONE})
    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys, "the local-memory cache should hold the counters"
    for key in keys:
        _assert_no_phone(str(key))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+8801712345678", PHONE),
        ("+880 1712-345678", PHONE),
        ("008801712345678", PHONE),
        ("(+880) 1712 345678", PHONE),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, expected: str) -> None:
    assert phone_normalise(raw) == expected


@pytest.mark.parametrize("raw", ["01712345678", "12ab", "+0123456789", "+1", ""])
def test_numbers_without_a_country_code_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        phone_normalise(raw)


def test_a_national_number_is_accepted_when_the_country_is_configured(settings: object) -> None:
    settings.ACCOUNTS_DEFAULT_CALLING_CODE = "880"  # type: ignore[attr-defined]
    assert phone_normalise("01712-345678") == PHONE


def test_masks_keep_only_the_ends() -> None:
    assert phone_mask(PHONE) == "+880••••••••78"
    _assert_no_phone(phone_mask(PHONE))
