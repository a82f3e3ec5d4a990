"""The audit log: every staff action and every view of a person's data, appended to a hash chain.

Other apps call ``audit_record(action=..., request=...)``; ``person_data_usage(person)`` answers a
citizen's "who looked at my data?".

Design
------
- ``AuditEntry`` rows are numbered ``seq`` = 1, 2, 3... with no gap. Each stores the previous entry's
  hash (``prev_hash``; 64 zeros for the first) and its own ``hash`` = HMAC-SHA256, keyed with
  ``GOVREACH_AUDIT_KEY`` (see ``conf.py``), over a canonical serialisation: sorted-key, compact JSON of
  every field including ``seq``, the UTC timestamp to the microsecond and ``prev_hash``
  (``entry_canonical``). Changing any field, removing or inserting a row breaks the chain at that row.
- Appends are serialised by the single ``AuditChainHead`` row: an append first UPDATEs it (taking its
  row lock on PostgreSQL, the database write lock on SQLite) and only then reads the last hash, so two
  concurrent writers queue instead of forking the chain. An append called inside a transaction is part
  of it: if the state change rolls back, so does its record (and the head keeps its value). The head
  lock is held until that transaction ends, so audited transactions should stay short.
- The ORM refuses to update or delete entries; the admin is read-only.
- ``detail`` is for ids, codes, counts and flags, never personal data: keys are snake_case and may not
  name personal fields; strings are short tokens without spaces (so no full names or addresses), with
  no run of 7 or more digits (so no phone or national id numbers) and no ``@``.

Where entries come from
-----------------------
- ``govreach.audit.middleware.AuditMiddleware`` (in ``settings.MIDDLEWARE``): every state-changing
  request and every successful view of a page declared in ``recording.PERSON_PAGES`` by a signed-in
  staff user, intermediary, partner (session or API token) or auditor; action = the URL name.
- Explicit calls where the state changes outside a request: ``cycle.run`` (entitlements
  ``cycle_run``), ``outreach.targeting.run`` (``targeting_run``), ``registry.import``
  (``registry_source_import``), ``case.escalate`` (``cases_escalate_overdue``); and the auditor's own
  reading of the log (``audit.view``, ``audit.export``).
- Other apps call ``audit_record(request=...)`` inside their service's transaction for the record to
  commit or roll back with the change; the middleware then adds no second entry for that request.

Threat model (what this does and does not protect against)
----------------------------------------------------------
- Someone who can write the database but does not hold the key (a DBA, an SQL injection, a stolen
  backup restored with edits) cannot alter, remove or insert an entry, nor re-hash the chain after
  their change, without ``govreach audit verify`` naming the first record affected.
- Removing the newest entries and rewinding the head row to match cannot be seen from inside the
  database. ``govreach audit anchor`` prints the head (seq and hash) to publish or hand to an outside
  party at intervals (daily, say); ``verify --anchor SEQ:HASH`` then proves that entry still exists
  unchanged, so at most the entries after the last anchor can disappear unnoticed.
- Someone who holds both the key and write access (the application server itself, a root user) can
  rewrite everything after the last published anchor. Anchors bound that loss; they cannot prevent it.
- The log records what GovReach was asked to do; it cannot see direct database reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, models, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from govreach.audit.conf import audit_key
from govreach.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from govreach.registry.models import Person

DetailValue = str | int | float | bool | None

#: The GovStack Information Mediator's header naming the calling member/subsystem.
CLIENT_HEADER = "Information-Mediator-Client"
CANONICAL_VERSION = 1

_ACTION_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$")
_DETAIL_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DETAIL_STR_RE = re.compile(r"^[A-Za-z0-9_.:/+=,-]{0,120}$")
_LONG_DIGITS_RE = re.compile(r"\d{7,}")
_CLIENT_UNSAFE_RE = re.compile(r"[^A-Za-z0-9/_.:-]")
#: Key fragments that name personal data; a detail key containing one is refused.
_PERSONAL_KEY_PARTS = (
    "name",
    "national",
    "nid",
    "phone",
    "mobile",
    "msisdn",
    "address",
    "postcode",
    "birth",
    "email",
    "nif",
    "tax",
    "iban",
    "comment",
    "text",
    "message",
)
_MAX_DETAIL_KEYS = 20
_ROLE_CACHE_ATTR = "_audit_role_label"
_ROLE_SESSION_KEY = "audit.role"


class AuditDetailError(ValueError):
    """The ``detail`` or ``action`` of an audit record is malformed or could hold personal data."""


class AuditChainError(RuntimeError):
    """The chain head is missing while entries exist: the log was tampered with; run verify."""


# -- the canonical form and the hash ---------------------------------------------------------------------
def timestamp_text(moment: dt.datetime) -> str:
    """The UTC timestamp as it is hashed: ``2026-11-28T14:05:09.123456Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_fields(entry: AuditEntry) -> dict[str, Any]:
    """Every field the hash covers, as plain JSON values (also the shape of an export line)."""
    return {
        "v": CANONICAL_VERSION,
        "seq": entry.seq,
        "created_at": timestamp_text(entry.created_at),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "actor_role": entry.actor_role,
        "acting_for_citizen_id": entry.acting_for_citizen_id,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "person_id": entry.person_id,
        "channel": entry.channel,
        "client": entry.client,
        "detail": entry.detail or {},
        "prev_hash": entry.prev_hash,
    }


def canonical_bytes(fields: Mapping[str, Any]) -> bytes:
    """Sorted-key compact JSON (UTF-8): the exact bytes the hash is computed over."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hash_fields(fields: Mapping[str, Any], *, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the canonical bytes of ``fields`` (which include ``prev_hash``)."""
    return hmac.new(
        key if key is not None else audit_key(), canonical_bytes(fields), hashlib.sha256
    ).hexdigest()


def entry_hash(entry: AuditEntry, *, key: bytes | None = None) -> str:
    """The hash ``entry`` must carry for the chain to hold."""
    return hash_fields(canonical_fields(entry), key=key)


# -- validation --------------------------------------------------------------------------------------------
def _check_detail(detail: Mapping[str, DetailValue] | None) -> dict[str, DetailValue]:
    if not detail:
        return {}
    if len(detail) > _MAX_DETAIL_KEYS:
        raise AuditDetailError(f"An audit detail holds at most {_MAX_DETAIL_KEYS} keys.")
    clean: dict[str, DetailValue] = {}
    for key, value in detail.items():
        if not isinstance(key, str) or not _DETAIL_KEY_RE.match(key):
            raise AuditDetailError(f"Audit detail key {key!r} is not a short snake_case word.")
        if any(part in key for part in _PERSONAL_KEY_PARTS):
            raise AuditDetailError(f"Audit detail key {key!r} names personal data; record an id instead.")
        if value is None or isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if abs(value) >= 10**12:
                raise AuditDetailError(
                    f"Audit detail {key!r}: a number this long may be a phone or id number."
                )
        elif isinstance(value, float):
            # Beyond 1e15 a float prints in exponent form, which PostgreSQL's jsonb would give back as an int.
            if not math.isfinite(value) or abs(value) >= 1e15:
                raise AuditDetailError(f"Audit detail {key!r} is not a finite number below 1e15.")
        elif isinstance(value, str):
            if not _DETAIL_STR_RE.match(value) or _LONG_DIGITS_RE.search(value):
                raise AuditDetailError(
                    f"Audit detail {key!r} must be a short code (letters, digits, _.:/+=,-; no spaces, "
                    "no long numbers): personal data never goes into the audit log."
                )
        else:
            raise AuditDetailError(f"Audit detail {key!r} must be a string, number, boolean or None.")
        clean[key] = value
    return clean


def _clip(text: str, length: int) -> str:
    return text[:length]


# -- who is acting -------------------------------------------------------------------------------------------
def role_label(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """What the user is, for the log: ``staff:officer,supervisor``, ``intermediary``, ``partner``,
    ``auditor``, ``citizen``, ``superuser`` (comma-joined), ``anonymous`` or ``system`` (no user)."""
    if user is None:
        return "system"
    if not user.is_authenticated or user.pk is None:
        return "anonymous"
    # Imported here: the apps these come from record audit entries themselves.
    from django.contrib.auth.models import Group

    from govreach.accounts.models import CitizenAccount, Intermediary, StaffAssignment
    from govreach.entitlements.models import PartnerMembership

    labels: list[str] = []
    if getattr(user, "is_superuser", False):
        labels.append("superuser")
    if Group.objects.filter(name="auditor", user__pk=user.pk).exists():
        labels.append("auditor")
    today = timezone.localdate()
    roles = sorted(
        set(
            StaffAssignment.objects.filter(user_id=user.pk, starts_on__lte=today)
            .exclude(ends_on__lt=today)
            .values_list("role", flat=True)
        )
    )
    if roles:
        labels.append("staff:" + ",".join(roles))
    if Intermediary.objects.filter(user_id=user.pk, is_active=True).exists():
        labels.append("intermediary")
    if PartnerMembership.objects.filter(user_id=user.pk).exists():
        labels.append("partner")
    if CitizenAccount.objects.filter(user_id=user.pk).exists():
        labels.append("citizen")
    if not labels and getattr(user, "is_staff", False):
        labels.append("staff")
    return _clip(";".join(labels) or "user", 200)


def _request_role_label(request: HttpRequest, user: AbstractBaseUser | AnonymousUser) -> str:
    """The role label, kept for the session (roles are read again at the next sign-in)."""
    cached = getattr(request, _ROLE_CACHE_ATTR, None)
    if cached is not None and cached[0] == user.pk:
        return str(cached[1])
    # Kept in the session only for its own user (not, say, for the user a sign-out just ended).
    own = getattr(getattr(request, "user", None), "pk", None) == user.pk
    session = getattr(request, "session", None) if own else None
    stored = session.get(_ROLE_SESSION_KEY) if session is not None and user.pk is not None else None
    if isinstance(stored, list) and len(stored) == 2 and stored[0] == user.pk:
        label = str(stored[1])
    else:
        label = role_label(user)
        if session is not None and user.pk is not None:
            session[_ROLE_SESSION_KEY] = [user.pk, label]
    setattr(request, _ROLE_CACHE_ATTR, (user.pk, label))
    return label


def request_channel(request: HttpRequest, *, is_assisted: bool) -> str:
    """``assisted`` when an intermediary acts for a citizen, else ``api``, ``ussd``, ``sms`` or ``web``."""
    if is_assisted:
        return "assisted"
    path = request.path
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/ussd/"):
        return "ussd"
    if path.startswith("/sms/"):
        return "sms"
    return "web"


def _subject_parts(subject: models.Model | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    meta = subject._meta
    return f"{meta.app_label}.{meta.model_name}", _clip(str(subject.pk), 64)


# -- append -------------------------------------------------------------------------------------------------
def _head_for_append() -> AuditChainHead:
    """Take the chain lock and advance the head's ``seq``; the caller appends entry ``head.seq``."""
    if not AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + 1):
        if AuditEntry.objects.exists():
            raise AuditChainError("The audit chain head is missing; run `govreach audit verify`.")
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1, seq=0, hash=GENESIS_HASH)
        except IntegrityError:
            pass  # a concurrent first append created it
        AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + 1)
    return AuditChainHead.objects.get(pk=1)


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    person: Person | None = None,
    subject: models.Model | None = None,
    channel: str = "",
    client: str = "",
    detail: Mapping[str, DetailValue] | None = None,
) -> AuditEntry:
    """Append one entry: ``actor`` (else the request's user) did ``action`` (a dotted verb such as
    ``case.view``) to ``subject`` about ``person``'s data, through ``channel``.

    With a request, the acting-for citizen (assisted channel), the channel and the
    Information-Mediator-Client header are taken from it when not given. Inside a transaction the
    entry commits or rolls back with it. ``AuditDetailError`` if ``detail`` could hold personal data.
    """
    if not _ACTION_RE.match(action) or len(action) > 100:
        raise AuditDetailError(f"Audit action {action!r} is not a dotted verb such as 'case.view'.")
    clean_detail = _check_detail(detail)
    acting_for_citizen_id: int | None = None
    acting_person_id: int | None = None
    if request is not None:
        if actor is None:
            actor = request.user if hasattr(request, "user") else None
        if hasattr(request, "session"):
            from govreach.accounts.access import acting_for_consent

            consent = acting_for_consent(request)
            if consent is not None:
                acting_for_citizen_id = consent.citizen_id
                acting_person_id = consent.citizen.person_id
        if not channel:
            channel = request_channel(request, is_assisted=acting_for_citizen_id is not None)
        if not client:
            client = request.headers.get(CLIENT_HEADER, "")
    elif not channel:
        channel = "system"
    user = actor if actor is not None and actor.is_authenticated and actor.pk is not None else None
    label = (
        _request_role_label(request, actor)
        if request is not None and actor is not None
        else role_label(actor)
    )
    subject_type, subject_id = _subject_parts(subject)
    with transaction.atomic():
        head = _head_for_append()
        entry = AuditEntry(
            seq=head.seq,
            created_at=timezone.now(),
            actor_id=int(user.pk) if user is not None else None,
            actor_username=_clip(user.get_username(), 150) if user is not None else "",
            actor_role=label,
            acting_for_citizen_id=acting_for_citizen_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            person_id=person.pk if person is not None else acting_person_id,
            channel=_clip(channel, 32),
            client=_clip(_CLIENT_UNSAFE_RE.sub("", client), 200),
            detail=clean_detail,
            prev_hash=head.hash,
        )
        entry.hash = entry_hash(entry)
        entry._appending = True  # type: ignore[attr-defined]
        entry.save(force_insert=True)
        entry._appending = False  # type: ignore[attr-defined]
        AuditChainHead.objects.filter(pk=1).update(hash=entry.hash)
    if request is not None:
        request._audit_recorded = True  # type: ignore[attr-defined]
    return entry


# -- reads ---------------------------------------------------------------------------------------------------
def person_data_usage(person: Person | int) -> QuerySet[AuditEntry]:
    """Who read or changed this person's data, newest first."""
    person_id = person if isinstance(person, int) else person.pk
    return AuditEntry.objects.filter(person_id=person_id).order_by("-seq")
