"""Staff sign in with a password and an authenticator code; either alone signs nobody in."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from tests.accounts.conftest import PASSWORD, sign_in_staff, totp_code

from govreach.accounts.models import StaffTOTPDevice

pytestmark = pytest.mark.django_db


def _is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_password_alone_does_not_sign_in(client: Client, make_staff: Callable[..., User]) -> None:
    user = make_staff()
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/verify/"
    assert not _is_signed_in(client)
    home = client.get("/staff/")
    assert home.status_code == 302
    assert home["Location"].startswith("/staff/login/?next=")


def test_password_and_code_sign_in(client: Client, make_staff: Callable[..., User]) -> None:
    user = make_staff()
    sign_in_staff(client, user)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/staff/").status_code == 200


def test_code_step_without_password_step_is_refused(client: Client, make_staff: Callable[..., User]) -> None:
    user = make_staff()
    response = client.post("/staff/login/verify/", {"code": totp_code(user)})
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/"
    assert not _is_signed_in(client)


def test_wrong_code_is_refused_with_a_message_on_the_field(
    client: Client, make_staff: Callable[..., User]
) -> None:
    user = make_staff()
    client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    wrong = f"{(int(totp_code(user)) + 1) % 1_000_000:06d}"
    response = client.post("/staff/login/verify/", {"code": wrong})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_code"' in body
    assert 'aria-invalid="true"' in body
    assert 'autocomplete="one-time-code"' in body
    assert not _is_signed_in(client)


def test_a_replayed_code_is_refused(make_staff: Callable[..., User]) -> None:
    user = make_staff()
    code = totp_code(user)
    first = Client()
    sign_in_staff(first, user)
    second = Client()
    second.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    response = second.post("/staff/login/verify/", {"code": code})
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert not _is_signed_in(second)
    # The next code (within the one-step clock drift allowed) still works: only reuse is refused.
    second.post("/staff/login/verify/", {"code": totp_code(user, steps_ahead=1)})
    assert _is_signed_in(second)


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: Client, make_staff: Callable[..., User]
) -> None:
    make_staff()
    wrong = client.post("/staff/login/", {"username": "officer", "password": "not it"})
    unknown = client.post("/staff/login/", {"username": "nobody-here", "password": "not it"})
    assert wrong.status_code == unknown.status_code == 200
    message = "The username or password is not correct"
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()


def test_five_wrong_passwords_lock_the_username_even_for_the_right_one(
    client: Client, make_staff: Callable[..., User]
) -> None:
    user = make_staff()
    for _ in range(5):
        client.post("/staff/login/", {"username": user.username, "password": "guess"})
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "wait 15 minutes and try again" in response.content.decode()
    assert not _is_signed_in(client)
    # From another address too: the lock is on the username.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post("/staff/login/", {"username": user.username, "password": PASSWORD}).status_code == 429


def test_unknown_usernames_are_locked_like_known_ones(client: Client, db: None) -> None:
    for _ in range(5):
        client.post("/staff/login/", {"username": "ghost", "password": "guess"}, REMOTE_ADDR="198.51.100.1")
    response = client.post(
        "/staff/login/", {"username": "ghost", "password": "x"}, REMOTE_ADDR="198.51.100.2"
    )
    assert response.status_code == 429


def test_wrong_codes_count_towards_the_lock(client: Client, make_staff: Callable[..., User]) -> None:
    user = make_staff()
    client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    for _ in range(5):
        client.post("/staff/login/verify/", {"code": "000000" if totp_code(user) != "000000" else "111111"})
    response = client.post("/staff/login/verify/", {"code": totp_code(user)})
    assert response.status_code == 429
    assert not _is_signed_in(client)


def test_one_address_spraying_many_usernames_is_locked(client: Client, db: None) -> None:
    for n in range(20):
        client.post("/staff/login/", {"username": f"user{n}", "password": "guess"})
    response = client.post("/staff/login/", {"username": "someone-else", "password": "guess"})
    assert response.status_code == 429


def test_first_sign_in_enrols_an_authenticator_and_hides_the_secret_afterwards(
    client: Client, make_staff: Callable[..., User]
) -> None:
    user = make_staff("new-officer", enrolled=False)
    response = client.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/staff/totp/setup/"
    page = client.get("/staff/totp/setup/")
    body = page.content.decode()
    device = StaffTOTPDevice.objects.get(user=user)
    assert "<svg" in body
    assert "otpauth://totp/GovReach:new-officer?secret=" in body
    assert device.confirmed_at is None
    assert not _is_signed_in(client)
    client.post("/staff/totp/setup/", {"code": totp_code(user)})
    assert _is_signed_in(client)
    device.refresh_from_db()
    assert device.confirmed_at is not None
    # Once confirmed, the setup page never shows the secret again, even after a fresh password step.
    again = Client()
    again.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    response = again.get("/staff/totp/setup/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/verify/"


def test_setup_needs_the_password_step(client: Client, make_staff: Callable[..., User]) -> None:
    make_staff("new-officer", enrolled=False)
    response = client.get("/staff/totp/setup/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/"


def test_logout_is_a_post(client: Client, make_staff: Callable[..., User]) -> None:
    user = make_staff()
    sign_in_staff(client, user)
    assert client.get("/logout/").status_code == 200
    assert _is_signed_in(client)
    client.post("/logout/")
    assert not _is_signed_in(client)


def test_next_is_kept_across_both_steps_and_foreign_hosts_are_ignored(
    client: Client, make_staff: Callable[..., User]
) -> None:
    user = make_staff()
    client.get("/staff/login/?next=https://evil.example/")
    sign_in_staff(client, user)
    assert client.session.get("accounts.next") is None
    other = Client()
    other.get("/staff/login/?next=/assist/")
    other.post("/staff/login/", {"username": user.username, "password": PASSWORD})
    response = other.post("/staff/login/verify/", {"code": totp_code(user, steps_ahead=1)})
    assert response["Location"] == "/assist/"


def test_the_admin_has_no_password_only_door(client: Client, make_staff: Callable[..., User]) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/admin/"
    assert client.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 302
    admin_user = make_staff("root")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)  # a session without the second factor
    assert client.get("/admin/").status_code == 302
    verified = Client()
    sign_in_staff(verified, admin_user)
    assert verified.get("/admin/").status_code == 200
    assert verified.get("/admin/accounts/stafftotpdevice/").status_code == 200
