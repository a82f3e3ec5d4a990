"""Writes for people and access: staff assignments and authenticators, citizen sign-in codes, consent.

Every function here is keyword-only and owns its transaction. One-time codes leave only through the
notification outbox (``govreach.notify.services.outbox_enqueue``), written in the same transaction as
the code, so a rolled-back code is never sent. Phone numbers appear in logs only masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from govreach.accounts.models import (
    CitizenAccount,
    Consent,
    Intermediary,
    PhoneCode,
    StaffAssignment,
    StaffProfile,
    StaffTOTPDevice,
)
from govreach.accounts.phones import phone_mask, phone_normalise
from govreach.accounts.throttle import (
    CODE_FAILURES_PER_IP,
    CODE_SENDS_PER_IP,
    CODE_SENDS_PER_PHONE,
    CONSENT_REQUESTS_PER_INTERMEDIARY,
    throttle_check,
    throttle_hit,
)
from govreach.notify.services import outbox_enqueue
from govreach.registry.models import Area
from govreach.uploads import inspect_upload

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_VALID_FOR = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
TOTP_STEP_SECONDS = 30
TOTP_ISSUER = "GovReach"
CONSENT_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
CONSENT_UPLOAD_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class CodeRejected(Exception):
    """A one-time code was not accepted; ``reason`` is ``wrong``, ``expired`` or ``used_up``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UploadRejected(Exception):
    """A consent form upload was refused; the message says why, in words fit for the page."""


class ConsentNotPending(Exception):
    """The consent was revoked (or superseded) before its code was entered."""


# --- staff -----------------------------------------------------------------------------------------


def staff_assignment_create(
    *,
    user: User,
    pack_id: str,
    role: str,
    area: Area,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> StaffAssignment:
    """Give ``user`` the pack role ``role`` over ``area`` and below, from ``starts_on`` (today by default)."""
    with transaction.atomic():
        assignment = StaffAssignment(user=user, pack_id=pack_id, role=role, area=area, ends_on=ends_on)
        if starts_on is not None:
            assignment.starts_on = starts_on
        assignment.full_clean()
        assignment.save()
    logger.info("staff assignment %s created for user %s", assignment.pk, user.pk)
    return assignment


def staff_totp_device_start(*, user: User) -> StaffTOTPDevice:
    """The user's unconfirmed authenticator, created with a fresh secret when there is none.

    Raises ``PermissionDenied`` when the user already has a confirmed one: replacing it is an
    administrator's act (delete the device), never a self-service page.
    """
    with transaction.atomic():
        device, _ = StaffTOTPDevice.objects.select_for_update(of=("self",)).get_or_create(
            user=user, defaults={"secret": pyotp.random_base32(32)}
        )
        if device.is_confirmed:
            raise PermissionDenied("An authenticator is already set up for this account.")
    return device


def staff_totp_provisioning_uri(*, device: StaffTOTPDevice) -> str:
    """The ``otpauth://`` URI an authenticator app reads; only for a device still being enrolled."""
    if device.is_confirmed:
        raise PermissionDenied("The secret of a confirmed authenticator is never shown again.")
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.get_username(), issuer_name=TOTP_ISSUER
    )


def _totp_matching_counter(secret: str, code: str, *, at: dt.datetime) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is ``code``."""
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(at.timestamp()) // TOTP_STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if constant_time_compare(totp.generate_otp(step), code):
            return step
    return None


def staff_totp_verify(*, user: User, code: str) -> bool:
    """True when ``code`` is the current code of the user's authenticator and was never used before.

    Confirms an authenticator being enrolled. The step is recorded with a conditional UPDATE, so two
    requests racing with the same code cannot both succeed.
    """
    device = StaffTOTPDevice.objects.filter(user=user).first()
    if device is None:
        return False
    step = _totp_matching_counter(device.secret, code.strip(), at=timezone.now())
    if step is None:
        return False
    with transaction.atomic():
        fresh = StaffTOTPDevice.objects.filter(pk=device.pk).filter(
            Q(last_used_counter__isnull=True) | Q(last_used_counter__lt=step)
        )
        updated = fresh.update(last_used_counter=step, confirmed_at=device.confirmed_at or timezone.now())
    if not updated:
        logger.warning("replayed authenticator code refused for user %s", user.pk)
    return bool(updated)


# --- language -------------------------------------------------------------------------------------


@transaction.atomic
def language_preference_set(*, user: User, language: str) -> None:
    """Keep ``language`` (a BCP 47 tag such as ``pt-BR``) as the language ``user`` chose.

    A citizen's goes on their account, which every message to them reads; anyone else's on their
    staff profile. Either way it is applied again when they next sign in, on any device.
    """
    updated = CitizenAccount.objects.filter(user_id=user.pk).update(preferred_language=language)
    if not updated:
        StaffProfile.objects.update_or_create(user=user, defaults={"preferred_language": language})


# --- one-time codes by SMS -------------------------------------------------------------------------


def _send_code(
    *,
    phone: str,
    message_id: str,
    language: str,
    context: dict[str, Any],
    dedupe_key: str,
    pack_id: str | None,
) -> None:
    """Queue one SMS in the notification outbox, inside the caller's transaction."""
    outbox_enqueue(
        channel="sms",
        to=phone,
        message_id=message_id,
        language=language,
        context=context,
        dedupe_key=dedupe_key,
        pack_id=pack_id,
    )


def _code_hash(salt: str, code: str) -> str:
    # Keyed with SECRET_KEY: a leaked table alone does not let anyone try the million codes offline.
    return salted_hmac("govreach.accounts.PhoneCode", f"{salt}:{code}", algorithm="sha256").hexdigest()


def _code_issue(*, purpose: str, phone: str, consent: Consent | None = None) -> tuple[PhoneCode, str]:
    """A new code for ``phone``; earlier live codes for the same purpose stop working.

    Call inside the caller's transaction, so that the code and its SMS are written together.
    """
    now = timezone.now()
    PhoneCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    row = PhoneCode.objects.create(
        purpose=purpose,
        phone=phone,
        salt=salt,
        code_hash=_code_hash(salt, code),
        consent=consent,
        expires_at=now + CODE_VALID_FOR,
    )
    return row, code


def _code_check(*, row: PhoneCode | None, code: str) -> None:
    """Spend one try of ``row`` on ``code``; raise ``CodeRejected`` unless it matches.

    Call outside ``transaction.atomic``: a wrong try must stay counted when the caller's error unwinds.
    """
    now = timezone.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise CodeRejected("expired")
    # The try is counted before the comparison, atomically, so parallel guesses cannot exceed the limit.
    counted = PhoneCode.objects.filter(pk=row.pk, attempts__lt=CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise CodeRejected("used_up")
    row.refresh_from_db(fields=["attempts"])
    candidate = code.strip()
    if not constant_time_compare(row.code_hash, _code_hash(row.salt, candidate)):
        raise CodeRejected("used_up" if row.attempts >= CODE_MAX_ATTEMPTS else "wrong")
    used = PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    if not used:  # the same code raced in twice
        raise CodeRejected("expired")


def _latest_code(*, phone: str, purpose: str, consent: Consent | None = None) -> PhoneCode | None:
    codes = PhoneCode.objects.filter(phone=phone, purpose=purpose)
    if consent is not None:
        codes = codes.filter(consent=consent)
    return codes.order_by("-created_at", "-pk").first()


def _language_for(citizen: CitizenAccount | None, language: str = "") -> str:
    return (citizen.preferred_language if citizen else "") or language or settings.LANGUAGE_CODE


def citizen_account_get_or_create(*, phone: str, language: str = "") -> tuple[CitizenAccount, bool]:
    """The account for ``phone`` (any format ``phone_normalise`` accepts), created on first use.

    A new account's user has a random username and no usable password: citizens sign in by code only.
    """
    phone = phone_normalise(phone)
    existing = CitizenAccount.objects.select_related("user").filter(phone=phone).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            user = User(username=f"citizen-{uuid.uuid4().hex[:20]}")
            user.set_unusable_password()
            user.save()
            account = CitizenAccount.objects.create(user=user, phone=phone, preferred_language=language)
    except IntegrityError:  # created by a concurrent request for the same phone
        return CitizenAccount.objects.select_related("user").get(phone=phone), False
    logger.info("citizen account %s created for %s", account.pk, phone_mask(phone))
    return account, True


def login_code_send(*, phone: str, language: str, client_ip: str) -> None:
    """Send a sign-in code to ``phone`` by SMS, whether or not an account exists yet.

    Limited per phone and per IP address (``Throttled``). The account is created only when the code
    comes back, so typing someone else's number creates nothing.
    """
    phone = phone_normalise(phone)
    throttle_check((CODE_SENDS_PER_PHONE, phone), (CODE_SENDS_PER_IP, client_ip))
    with transaction.atomic():
        citizen = CitizenAccount.objects.filter(phone=phone).first()
        row, code = _code_issue(purpose=PhoneCode.Purpose.LOGIN, phone=phone)
        _send_code(
            phone=phone,
            message_id="login_code",
            language=_language_for(citizen, language),
            context={"code": code, "minutes": int(CODE_VALID_FOR.total_seconds() // 60)},
            dedupe_key=f"accounts:login_code:{row.pk}",
            pack_id=None,
        )
    throttle_hit((CODE_SENDS_PER_PHONE, phone), (CODE_SENDS_PER_IP, client_ip))
    logger.info("sign-in code %s sent to %s", row.pk, phone_mask(phone))


def login_code_verify(*, phone: str, code: str, client_ip: str, language: str = "") -> CitizenAccount:
    """The account of ``phone`` when ``code`` is its latest live sign-in code; a first sign-in creates it.

    Raises ``CodeRejected`` (each wrong try counts; 5 per code) or ``Throttled`` (wrong codes per IP).
    """
    phone = phone_normalise(phone)
    throttle_check((CODE_FAILURES_PER_IP, client_ip))
    try:
        _code_check(row=_latest_code(phone=phone, purpose=PhoneCode.Purpose.LOGIN), code=code)
    except CodeRejected:
        throttle_hit((CODE_FAILURES_PER_IP, client_ip))
        logger.info("sign-in code refused for %s", phone_mask(phone))
        raise
    account, _ = citizen_account_get_or_create(phone=phone, language=language)
    logger.info("citizen %s signed in", account.pk)
    return account


# --- the assisted channel ------------------------------------------------------------------------


def intermediary_create(*, user: User, centre_name: str, area: Area) -> Intermediary:
    """Make ``user`` an intermediary working at ``centre_name`` (a Union Digital Centre) in ``area``."""
    with transaction.atomic():
        intermediary = Intermediary.objects.create(user=user, centre_name=centre_name, area=area)
    logger.info("intermediary %s created for user %s", intermediary.pk, user.pk)
    return intermediary


def _open_consent(*, citizen: CitizenAccount, intermediary: Intermediary, pack_id: str) -> Consent | None:
    return (
        Consent.objects.select_for_update(of=("self",))
        .filter(citizen=citizen, intermediary=intermediary, pack_id=pack_id, revoked_at__isnull=True)
        .first()
    )


def consent_request(*, intermediary: Intermediary, citizen_phone: str, pack_id: str) -> Consent:
    """Ask the citizen at ``citizen_phone`` to consent, by an SMS code (``consent_code``) they read out.

    Returns the pending consent (or the already active one, with no SMS). Creates the citizen's account
    when the phone is new. Limited per phone and per intermediary (``Throttled``).
    """
    phone = phone_normalise(citizen_phone)
    by_intermediary = (CONSENT_REQUESTS_PER_INTERMEDIARY, f"intermediary:{intermediary.pk}")
    throttle_check((CODE_SENDS_PER_PHONE, phone), by_intermediary)
    citizen, _ = citizen_account_get_or_create(phone=phone)
    with transaction.atomic():
        consent = _open_consent(citizen=citizen, intermediary=intermediary, pack_id=pack_id)
        if consent is not None and consent.is_active:
            return consent
        if consent is None:
            consent = Consent.objects.create(
                citizen=citizen, intermediary=intermediary, pack_id=pack_id, method=Consent.Method.OTP
            )
        row, code = _code_issue(purpose=PhoneCode.Purpose.CONSENT, phone=phone, consent=consent)
        _send_code(
            phone=phone,
            message_id="consent_code",
            language=_language_for(citizen),
            context={
                "code": code,
                "minutes": int(CODE_VALID_FOR.total_seconds() // 60),
                "operator": intermediary.centre_name,
            },
            dedupe_key=f"accounts:consent_code:{row.pk}",
            pack_id=pack_id,
        )
    throttle_hit((CODE_SENDS_PER_PHONE, phone), by_intermediary)
    logger.info("consent code %s for consent %s sent to %s", row.pk, consent.pk, phone_mask(phone))
    return consent


def consent_confirm(*, consent: Consent, code: str) -> Consent:
    """Grant ``consent`` when ``code`` is the latest code sent for it (5 tries, 10 minutes).

    Raises ``CodeRejected``, or ``ConsentNotPending`` when the consent was revoked meanwhile.
    """
    if consent.is_active:
        return consent
    if consent.revoked_at is not None:
        raise ConsentNotPending()
    row = _latest_code(phone=consent.citizen.phone, purpose=PhoneCode.Purpose.CONSENT, consent=consent)
    _code_check(row=row, code=code)
    assert row is not None  # _code_check refuses a missing code
    with transaction.atomic():
        locked = Consent.objects.select_for_update(of=("self",)).get(pk=consent.pk)
        if locked.revoked_at is not None:
            raise ConsentNotPending()
        locked.method = Consent.Method.OTP
        locked.granted_at = timezone.now()
        locked.evidence = {
            "method": "otp",
            "code_id": row.pk,
            "code_sent_at": row.created_at.isoformat(),
            "confirmed_at": locked.granted_at.isoformat(),
            "phone": phone_mask(consent.citizen.phone),
        }
        locked.save(update_fields=["method", "granted_at", "evidence"])
    logger.info("consent %s granted by code", locked.pk)
    return locked


def _upload_kind(upload: UploadedFile[bytes]) -> str:
    """The extension for an accepted consent form, judged by its bytes; raises ``UploadRejected``."""
    size = upload.size or 0
    if size == 0:
        raise UploadRejected(_("The file is empty. Choose the scanned or photographed consent form."))
    if size > CONSENT_UPLOAD_MAX_BYTES:
        raise UploadRejected(
            _("The file is larger than 5 MB. Scan at a lower resolution or take a smaller photo.")
        )
    upload.seek(0)
    inspection = inspect_upload(upload.read())
    upload.seek(0)
    if inspection.mime not in CONSENT_UPLOAD_TYPES:
        raise UploadRejected(_("The file must be a PDF, JPEG or PNG. Its content is not one of these."))
    if inspection.problem:
        raise UploadRejected(
            _("The file is damaged or has active content. Scan or photograph the form again.")
        )
    return CONSENT_UPLOAD_TYPES[inspection.mime]


def consent_record_signed(
    *, intermediary: Intermediary, citizen_phone: str, pack_id: str, upload: UploadedFile[bytes]
) -> Consent:
    """Record a consent form the citizen signed, uploaded by the intermediary (PDF, JPEG or PNG, 5 MB).

    The file is checked by content, stored under a random name with its SHA-256 in the evidence, and
    the consent is active at once. Raises ``UploadRejected``. Creates the citizen's account when new.
    """
    phone = phone_normalise(citizen_phone)
    extension = _upload_kind(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    citizen, _ = citizen_account_get_or_create(phone=phone)
    stored: str | None = None
    consent: Consent | None = None
    try:
        with transaction.atomic():
            consent = _open_consent(citizen=citizen, intermediary=intermediary, pack_id=pack_id)
            if consent is not None and consent.is_active:
                return consent
            if consent is None:
                consent = Consent(citizen=citizen, intermediary=intermediary, pack_id=pack_id)
            consent.method = Consent.Method.SIGNED_UPLOAD
            consent.granted_at = timezone.now()
            consent.evidence = {
                "method": "signed_upload",
                "sha256": digest.hexdigest(),
                "content_type": next(m for m, e in CONSENT_UPLOAD_TYPES.items() if e == extension),
                "size_bytes": upload.size,
                "uploaded_by_user_id": intermediary.user_id,
                "uploaded_at": consent.granted_at.isoformat(),
            }
            consent.document.save(f"consent-{uuid.uuid4().hex}.{extension}", upload, save=False)
            stored = consent.document.name
            consent.save()
    except Exception:
        # A file kept for a rolled-back consent would be an orphan holding someone's signature.
        if stored and consent is not None:
            consent.document.storage.delete(stored)
        raise
    logger.info("consent %s recorded from a signed form", consent.pk)
    return consent


def consent_revoke(*, consent: Consent, by_user: User) -> Consent:
    """End ``consent`` now; the intermediary can no longer act for the citizen under it.

    Allowed to the citizen, to the intermediary and to superusers (``PermissionDenied`` otherwise);
    revoking twice keeps the first revocation.
    """
    with transaction.atomic():
        locked = (
            Consent.objects.select_for_update(of=("self",))
            .select_related("citizen", "intermediary")
            .get(pk=consent.pk)
        )
        allowed = by_user.is_superuser or by_user.pk in (locked.citizen.user_id, locked.intermediary.user_id)
        if not allowed:
            raise PermissionDenied("Only the citizen or the intermediary can revoke this consent.")
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = by_user
            locked.save(update_fields=["revoked_at", "revoked_by"])
            logger.info("consent %s revoked by user %s", locked.pk, by_user.pk)
    return locked


__all__ = [
    "CodeRejected",
    "ConsentNotPending",
    "UploadRejected",
    "citizen_account_get_or_create",
    "consent_confirm",
    "consent_record_signed",
    "consent_request",
    "consent_revoke",
    "intermediary_create",
    "login_code_send",
    "login_code_verify",
    "staff_assignment_create",
    "staff_totp_device_start",
    "staff_totp_provisioning_uri",
    "staff_totp_verify",
]
