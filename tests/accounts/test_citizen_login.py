"""Citizens sign in with their phone number and a 6-digit code sent by SMS through the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from tests.accounts.conftest import OTHER_PHONE, PHONE, last_code, last_sms

from govreach.accounts import services
from govreach.accounts.models import CitizenAccount, PhoneCode
from govreach.accounts.throttle import Limit

pytestmark = pytest.mark.django_db


def _ask_code(client: Client, phone: str = PHONE) -> None:
    response = client.post("/login/", {"phone": phone})
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"


def _is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_first_sign_in_creates_the_account_end_to_end(client: Client) -> None:
    assert client.get("/login/").status_code == 200
    _ask_code(client, "+880 1712-345678")
    sms = last_sms(PHONE, "login_code")
    assert sms.language == "en"
    assert sms.pack_id is None
    code = str(sms.context["code"])
    assert len(code) == 6 and code.isdigit()
    assert code in sms.body
    assert sms.context["minutes"] == 10
    assert not CitizenAccount.objects.exists()  # typing a number creates nothing
    page = client.get("/login/code/")
    assert "+880••••••••78" in page.content.decode()
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    account = CitizenAccount.objects.get(phone=PHONE)
    assert client.session["_auth_user_id"] == str(account.user.pk)
    assert not account.user.has_usable_password()
    assert PHONE not in account.user.username
    assert client.get("/account/").status_code == 200


def test_the_code_is_stored_hashed(client: Client) -> None:
    _ask_code(client)
    row = PhoneCode.objects.get()
    assert last_code(PHONE) not in (row.code_hash, row.salt)


def test_second_sign_in_finds_the_same_account(client: Client) -> None:
    _ask_code(client)
    client.post("/login/code/", {"code": last_code(PHONE)})
    other = Client(REMOTE_ADDR="203.0.113.9")
    _ask_code(other)
    other.post("/login/code/", {"code": last_code(PHONE)})
    assert CitizenAccount.objects.count() == 1
    assert other.session["_auth_user_id"] == client.session["_auth_user_id"]


def test_a_wrong_code_is_refused(client: Client) -> None:
    _ask_code(client)
    response = client.post("/login/code/", {"code": _wrong(last_code(PHONE))})
    assert response.status_code == 200
    assert "The code is not correct" in response.content.decode()
    assert not _is_signed_in(client)


def test_an_expired_code_is_refused(client: Client) -> None:
    _ask_code(client)
    PhoneCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post("/login/code/", {"code": last_code(PHONE)})
    assert "This code has expired" in response.content.decode()
    assert not _is_signed_in(client)


def test_a_code_works_once(client: Client) -> None:
    _ask_code(client)
    code = last_code(PHONE)
    client.post("/login/code/", {"code": code})
    other = Client()
    other.session["accounts.citizen_phone"] = PHONE  # as if its own step 1 had happened
    with pytest.raises(services.CodeRejected):
        services.login_code_verify(phone=PHONE, code=code, client_ip="203.0.113.1")


def test_a_new_code_replaces_the_old_one(client: Client) -> None:
    _ask_code(client)
    old = last_code(PHONE)
    client.post("/login/code/", {"resend": "1"})
    new = last_code(PHONE)
    if old != new:  # only the newest code is checked
        assert "The code is not correct" in client.post("/login/code/", {"code": old}).content.decode()
        assert not _is_signed_in(client)
    client.post("/login/code/", {"code": new})
    assert _is_signed_in(client)


def test_five_wrong_tries_use_the_code_up(client: Client) -> None:
    _ask_code(client)
    code = last_code(PHONE)
    for _ in range(5):
        client.post("/login/code/", {"code": _wrong(code)})
    response = client.post("/login/code/", {"code": code})
    assert "Too many wrong codes" in response.content.decode()
    assert not _is_signed_in(client)


def test_codes_are_limited_to_three_per_phone_in_fifteen_minutes(client: Client) -> None:
    for _ in range(3):
        _ask_code(client)
    response = Client(REMOTE_ADDR="203.0.113.50").post("/login/", {"phone": PHONE})
    assert response.status_code == 429
    assert "wait 15 minutes and try again" in response.content.decode()
    assert PhoneCode.objects.count() == 3
    resend = client.post("/login/code/", {"resend": "1"})
    assert resend.status_code == 429


def test_codes_are_limited_per_address(client: Client) -> None:
    for n in range(10):
        _ask_code(client, f"+88017000000{n:02d}")
    assert client.post("/login/", {"phone": OTHER_PHONE}).status_code == 429


def test_wrong_codes_from_one_address_are_throttled(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "CODE_FAILURES_PER_IP", Limit("code-fail-ip", 3, dt.timedelta(minutes=15)))
    _ask_code(client)
    code = last_code(PHONE)
    for _ in range(3):
        client.post("/login/code/", {"code": _wrong(code)})
    response = client.post("/login/code/", {"code": code})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not _is_signed_in(client)


def test_a_malformed_number_is_explained(client: Client, db: None) -> None:
    response = client.post("/login/", {"phone": "12ab"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "with its country code" in body
    assert 'href="#id_phone"' in body
    assert not PhoneCode.objects.exists()


def test_code_page_without_a_phone_goes_back_to_step_one(client: Client, db: None) -> None:
    response = client.get("/login/code/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_citizen_pages_need_a_citizen(client: Client, db: None) -> None:
    response = client.get("/account/consents/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/account/consents/"
