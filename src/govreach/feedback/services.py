"""Writes: a rating after a completed service, and a grievance from filing through replies, escalation
and closing. Each is one transaction that leaves a GrievanceEvent; the complainant's message goes to the
notify outbox in that transaction, so a rolled-back change tells no one anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import CitizenAccount
from govreach.accounts.phones import InvalidPhone, phone_normalise
from govreach.accounts.services import citizen_account_get_or_create
from govreach.audit.log import audit_record
from govreach.feedback.conf import comment_max_chars, grievance_categories, grievance_deadlines, resolve_days
from govreach.feedback.models import Grievance, GrievanceEvent, Rating
from govreach.feedback.selectors import (
    completed_service_for_citizen,
    completed_services_for_phone,
    grievance_levels,
    grievance_may_handle,
    services_to_rate_for_phone,
)
from govreach.notify.models import OutboxMessage
from govreach.notify.services import outbox_enqueue
from govreach.registry.models import Area, Person

logger = logging.getLogger(__name__)

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - no 0/O, 1/I: read aloud, typed on a phone
SECRET_LENGTH = 8
TEXT_MAX_CHARS = 2000
NOTE_MAX_CHARS = 2000
#: First word of an inbound SMS that files a grievance, in the platform's languages (upper-cased).
COMPLAINT_WORDS = ("COMPLAINT", "QUEIXA", "RECLAMACAO", "RECLAMAÇÃO", "অভিযোগ", "민원")
CALLING_CODES = {"880": "BD", "351": "PT", "55": "BR", "82": "KR"}


class FeedbackError(Exception):
    """A request that cannot be done; ``field`` names the form field it is about."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class NotPermitted(FeedbackError):
    """The user may not do this (not their service, not their level or area)."""


# ---------------------------------------------------------------------------------------------------
# Ratings


@transaction.atomic
def rating_submit(
    *, account: CitizenAccount, kind: str, key: str, rating: int, comment: str = "", via: str = "web"
) -> tuple[Rating, bool]:
    """Record the citizen's rating (1 to 5) of one of their completed services; (rating, created).

    Idempotent: a service already rated keeps its first answer (a double click, a second SMS), and
    ``created`` is False. NotPermitted when the service is not theirs or not completed.
    """
    if not 1 <= rating <= 5:
        raise FeedbackError("choose how satisfied you are, from 1 to 5", field="rating")
    service = completed_service_for_citizen(account, kind=kind, key=key)
    if service is None:
        raise NotPermitted("this is not a completed service of yours")
    if service.rating is not None:
        return service.rating, False
    try:
        with transaction.atomic():
            row = Rating.objects.create(
                service_kind=kind,
                service_key=key,
                service=service.service,
                user_id=account.user_id,
                area=service.area,
                channel=service.channel,
                via=via,
                rating=rating,
                comment=comment.strip()[: comment_max_chars()],
            )
    except IntegrityError:
        return Rating.objects.get(service_kind=kind, service_key=key, user_id=account.user_id), False
    return row, True


def rating_submit_by_phone(
    *, phone: str, kind: str, key: str, rating: int, comment: str = "", via: str, language: str = ""
) -> str:
    """Record the rating given from ``phone`` (SMS or USSD: the network vouches for the number) of one of
    the completed services of whoever holds it; ``rated``, ``already`` (rated before: the first answer
    stands) or ``not_allowed`` (not theirs, not completed, or not a rating from 1 to 5).

    A phone on record for the service (the visited person's, the student's guardian's) that has no
    account yet gets one now, as signing in with that phone would give: a rating belongs to an account.
    """
    found = [s for s in completed_services_for_phone(phone) if s.kind == kind and s.key == key]
    if not found or not 1 <= rating <= 5:
        return "not_allowed"
    if found[0].rating is not None:
        return "already"
    account = CitizenAccount.objects.filter(phone=phone).first()
    if account is None:
        account, _created = citizen_account_get_or_create(phone=phone, language=language)
    try:
        _row, created = rating_submit(
            account=account, kind=kind, key=key, rating=rating, comment=comment, via=via
        )
    except NotPermitted:
        return "not_allowed"
    return "rated" if created else "already"


# ---------------------------------------------------------------------------------------------------
# Grievances: filing


@dataclass(frozen=True)
class Filed:
    """A filed grievance; ``secret`` is shown once (None when the same submission came again)."""

    grievance: Grievance
    secret: str | None
    is_repeat: bool


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """``start`` moved ``days`` working days (Monday to Friday) ahead."""
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _new_reference(now: dt.datetime) -> str:
    # Random, not sequential: a reference tells nothing about how many grievances there are.
    while True:
        reference = f"G-{now.year}-" + "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))
        if not Grievance.objects.filter(reference=reference).exists():
            return reference


def _clean_contact(channel: str, contact: str) -> tuple[str, str]:
    contact = contact.strip()
    if not contact:
        return "", ""
    if channel == "sms":
        try:
            return "sms", phone_normalise(contact)
        except InvalidPhone:
            raise FeedbackError(
                "enter a phone number in international form, e.g. +8801712345678", field="contact"
            ) from None
    if channel == "email":
        try:
            validate_email(contact)
        except ValidationError:
            raise FeedbackError("enter an email address like name@example.org", field="contact") from None
        return "email", contact
    raise FeedbackError("choose how we should keep you informed", field="contact_channel")


def public_url(path: str) -> str:
    return str(getattr(settings, "GOVREACH_PUBLIC_URL", "")).rstrip("/") + path


def _notify(grievance: Grievance, message_id: str, *, key: str, extra: dict[str, Any] | None = None) -> None:
    """Queue the complainant's message in their language and channel; once per event (``key``)."""
    if not grievance.contact or grievance.contact_channel not in ("sms", "email"):
        return
    context: dict[str, Any] = {
        "reference": grievance.reference,
        "track_url": public_url(reverse("feedback:grievance_status")),
        "date": timezone.localdate(grievance.due_at).isoformat(),
    }
    context.update(extra or {})
    outbox_enqueue(
        channel=grievance.contact_channel,
        to=grievance.contact,
        message_id=message_id,
        language=grievance.language,
        context=context,
        dedupe_key=f"feedback:grievance:{grievance.pk}:{key}",
    )


def _event(
    grievance: Grievance, action: str, *, actor: Any = None, note: str = "", data: Any = None
) -> GrievanceEvent:
    return GrievanceEvent.objects.create(
        grievance=grievance,
        actor=actor if actor is not None and actor.pk is not None else None,
        action=action,
        tier=grievance.tier,
        status=grievance.status,
        note=note,
        data=dict(data or {}),
    )


def _audit(
    *, action: str, actor: Any, grievance: Grievance, detail: dict[str, Any], request: HttpRequest | None
) -> None:
    """Append the staff action to the audit log: ids and codes only, never the complaint's words."""
    audit_record(
        action=action,
        request=request,
        actor=actor,
        subject=grievance,
        channel="" if request is not None else "system" if actor is None else "web",
        detail={"reference": grievance.reference, "category": grievance.category, **detail},
    )


@transaction.atomic
def grievance_file(
    *,
    category: str,
    area: Area,
    text: str,
    source: str,
    service: str = "",
    complainant: Any = None,
    filed_by: Any = None,
    contact_channel: str = "",
    contact: str = "",
    language: str = "en",
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Filed:
    """File a grievance at the lowest level of government that exists above its area, with the deadlines
    of its category, and tell the complainant its reference and code.

    Idempotent: the same ``idempotency_key`` (one per form shown, one per inbound SMS) files it once.
    A signed-in complainant without a contact given is kept informed on their account's phone.
    """
    if idempotency_key:
        earlier = Grievance.objects.filter(idempotency_key=idempotency_key[:100]).first()
        if earlier is not None:
            return Filed(earlier, None, True)
    errors: list[FeedbackError] = []
    if category not in grievance_categories():
        errors.append(FeedbackError("choose what the complaint is about", field="category"))
    text = text.strip()
    if not text:
        errors.append(FeedbackError("say what happened", field="text"))
    elif len(text) > TEXT_MAX_CHARS:
        errors.append(FeedbackError(f"keep it under {TEXT_MAX_CHARS} characters", field="text"))
    if errors:
        raise errors[0]
    contact_channel, contact = _clean_contact(contact_channel, contact)
    if not contact and complainant is not None:
        account = CitizenAccount.objects.filter(user_id=complainant.pk).first()
        if account is not None:
            contact_channel, contact = "sms", account.phone
    now = now or timezone.now()
    level = grievance_levels(area)[0]
    secret = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    grievance = Grievance(
        reference=_new_reference(now),
        status_secret_hash=make_password(secret),
        category=category,
        area=area,
        service=service,
        text=text,
        source=source,
        complainant=complainant,
        filed_by=filed_by,
        contact_channel=contact_channel,
        contact=contact,
        language=language,
        tier=level.tier.tier,
        tier_index=level.index,
        handling_area=level.area,
        acknowledge_due_at=add_working_days(now, int(grievance_deadlines()["acknowledge_working_days"])),
        due_at=now + dt.timedelta(days=resolve_days(category)),
        idempotency_key=idempotency_key[:100] if idempotency_key else None,
        created_at=now,
    )
    try:
        with transaction.atomic():
            grievance.save()
    except IntegrityError:
        earlier = Grievance.objects.filter(idempotency_key=grievance.idempotency_key).first()
        if earlier is not None:
            return Filed(earlier, None, True)
        raise
    _event(grievance, "filed", actor=filed_by, data={"source": source, "handling_area": level.area.code})
    _notify(grievance, "grievance_received", key="filed", extra={"code": secret})
    if filed_by is not None:
        _audit(
            action="grievance.record",
            actor=filed_by,
            grievance=grievance,
            detail={"source": source},
            request=request,
        )
    logger.info("grievance %s filed (%s, %s)", grievance.reference, category, source)
    return Filed(grievance, secret, False)


# ---------------------------------------------------------------------------------------------------
# Grievances: handling


def _locked_for(grievance: Grievance, by_user: Any) -> Grievance:
    locked = (
        Grievance.objects.select_for_update(of=("self",)).select_related("handling_area").get(pk=grievance.pk)
    )
    if not grievance_may_handle(by_user, locked):
        raise NotPermitted("only the staff of the level and area that handle this grievance may act on it")
    if not locked.is_open:
        raise FeedbackError("this grievance is closed", field="note")
    return locked


def _note(note: str, *, required: str) -> str:
    note = note.strip()
    if not note:
        raise FeedbackError(required, field="note")
    if len(note) > NOTE_MAX_CHARS:
        raise FeedbackError(f"keep it under {NOTE_MAX_CHARS} characters", field="note")
    return note


@transaction.atomic
def grievance_reply(
    *, grievance: Grievance, by_user: Any, note: str, request: HttpRequest | None = None
) -> Grievance:
    """Answer the complainant (and acknowledge the grievance): it is now being handled."""
    note = _note(note, required="write the reply")
    locked = _locked_for(grievance, by_user)
    now = timezone.now()
    locked.status = Grievance.Status.IN_PROGRESS
    locked.acknowledged_at = locked.acknowledged_at or now
    locked.save(update_fields=["status", "acknowledged_at", "updated_at"])
    event = _event(locked, "replied", actor=by_user, note=note)
    _notify(locked, "grievance_reply", key=f"event:{event.pk}")
    _audit(
        action="grievance.reply",
        actor=by_user,
        grievance=locked,
        detail={"tier": locked.tier},
        request=request,
    )
    return locked


def _close(
    grievance: Grievance, by_user: Any, note: str, status: str, action: str, request: HttpRequest | None
) -> Grievance:
    locked = _locked_for(grievance, by_user)
    now = timezone.now()
    locked.status = status
    locked.acknowledged_at = locked.acknowledged_at or now
    locked.closed_at = now
    locked.save(update_fields=["status", "acknowledged_at", "closed_at", "updated_at"])
    event = _event(locked, action, actor=by_user, note=note)
    _notify(locked, "grievance_closed", key=f"event:{event.pk}")
    _audit(
        action=f"grievance.{action}",
        actor=by_user,
        grievance=locked,
        detail={"tier": locked.tier},
        request=request,
    )
    return locked


@transaction.atomic
def grievance_resolve(
    *, grievance: Grievance, by_user: Any, note: str, request: HttpRequest | None = None
) -> Grievance:
    """Close the grievance as resolved, saying to the complainant what was done."""
    note = _note(note, required="say what was done")
    return _close(grievance, by_user, note, "resolved", "resolved", request)


@transaction.atomic
def grievance_reject(
    *, grievance: Grievance, by_user: Any, reason: str, request: HttpRequest | None = None
) -> Grievance:
    """Close the grievance as rejected; the reason is required and told to the complainant."""
    reason = _note(reason, required="give the reason")
    return _close(grievance, by_user, reason, "rejected", "rejected", request)


@transaction.atomic
def grievances_escalate(*, now: dt.datetime | None = None) -> list[Grievance]:
    """Move every open grievance past its deadline one level of government up, with a new deadline.

    Idempotent and safe from cron: an escalated grievance has a deadline in the future, so the next run
    leaves it alone; one already at the top level stays where it is.
    """
    now = now or timezone.now()
    days = int(grievance_deadlines()["escalated_resolve_days"])
    escalated: list[Grievance] = []
    overdue = (
        Grievance.objects.select_for_update(of=("self",))
        .select_related("area", "handling_area")
        .filter(status__in=Grievance.OPEN_STATUSES, due_at__lte=now)
        .order_by("pk")
    )
    for grievance in overdue:
        above = [lv for lv in grievance_levels(grievance.area) if lv.index > grievance.tier_index]
        if not above:
            continue
        level = above[0]
        previous = grievance.tier
        grievance.tier = level.tier.tier
        grievance.tier_index = level.index
        grievance.handling_area = level.area
        grievance.due_at = now + dt.timedelta(days=days)
        grievance.escalated_at = now
        grievance.save(
            update_fields=["tier", "tier_index", "handling_area", "due_at", "escalated_at", "updated_at"]
        )
        reason = f"no resolution by the deadline at the {previous} level"
        _event(
            grievance,
            "escalated",
            note=reason,
            data={"from_tier": previous, "to_tier": level.tier.tier, "handling_area": level.area.code},
        )
        _notify(grievance, "grievance_escalated", key=f"escalated:{level.index}")
        _audit(
            action="grievance.escalate",
            actor=None,
            grievance=grievance,
            detail={"from_tier": previous, "to_tier": level.tier.tier, "reason": "deadline_passed"},
            request=None,
        )
        escalated.append(grievance)
    return escalated


# ---------------------------------------------------------------------------------------------------
# SMS


def recorded_area_for_phone(phone: str) -> Area | None:
    """Where a phone's owner lives as far as GovReach has it on record (their account's person, else a
    registry person with this phone); None when it does not know."""
    account = CitizenAccount.objects.select_related("person__area").filter(phone=phone).first()
    if account is not None and account.person is not None and account.person.area is not None:
        return account.person.area
    person = (
        Person.objects.select_related("area").filter(phone=phone, area__isnull=False).order_by("pk").first()
    )
    return person.area if person is not None else None


def area_for_phone(phone: str) -> Area | None:
    """Where a phone's owner lives as far as GovReach knows; else the country of the number."""
    recorded = recorded_area_for_phone(phone)
    if recorded is not None:
        return recorded
    digits = phone.removeprefix("+")
    country = next((c for code, c in CALLING_CODES.items() if digits.startswith(code)), None)
    root = Area.objects.filter(depth=0, code=country).first() if country else None
    return root or Area.objects.filter(depth=0).order_by("pk").first()


def grievance_file_by_sms(*, phone: str, text: str, language: str, key: str) -> str:
    """``COMPLAINT <text>``: file a grievance about the sender's area; the reply gives reference and code.

    Run inside the inbound SMS's transaction; ``key`` (one per inbound message) files it once.
    """
    area = area_for_phone(phone)
    if area is None or not text.strip():
        return "complaint_refused"
    _grievance_file_from_phone(
        source=Grievance.Source.SMS,
        phone=phone,
        category="other",
        area=area,
        text=text,
        language=language,
        key=key,
    )
    return "complaint_filed"


def grievance_file_by_ussd(
    *, phone: str, category: str, area: Area, text: str, language: str, key: str
) -> Grievance:
    """A grievance keyed in on USSD: category and area chosen from the menus, a short text. The caller is
    kept informed by SMS on their phone (the reference and the secret code first).

    ``key`` (the session and what was keyed in) files it once, however often the gateway retries;
    FeedbackError when the category or the text cannot be filed.
    """
    return _grievance_file_from_phone(
        source=Grievance.Source.USSD,
        phone=phone,
        category=category,
        area=area,
        text=text,
        language=language,
        key=key,
    )


def _grievance_file_from_phone(
    *, source: str, phone: str, category: str, area: Area, text: str, language: str, key: str
) -> Grievance:
    """A grievance from a phone channel (SMS or USSD): kept informed by SMS, filed by the citizen's account
    when the phone has one, once per ``key`` of that channel."""
    account = CitizenAccount.objects.filter(phone=phone).first()
    filed = grievance_file(
        category=category,
        area=area,
        text=text[:TEXT_MAX_CHARS],
        source=source,
        complainant=account.user if account is not None else None,
        contact_channel="sms",
        contact=phone,
        language=language,
        idempotency_key=(str(source) + ":" + key)[:100],
    )
    return filed.grievance


# ---------------------------------------------------------------------------------------------------
# Rating by SMS, and the invitation to rate


#: First word of an inbound SMS that rates a completed service: ``RATE 4`` or ``RATE BD-2026-000123 4``.
RATING_WORDS = ("RATE", "AVALIAR", "মূল্যায়ন", "평가")


def rating_by_sms(*, phone: str, words: list[str], language: str, key: str) -> str:
    """``RATE [reference] <1-5>``: rate the sender's most recently completed unrated service (or the one
    named by its reference, supply point, visit day or course code).

    Run inside the inbound SMS's transaction; the reply thanks them or says what to send instead.
    """
    score = words[-1] if len(words) >= 2 else ""
    label = words[1].upper() if len(words) >= 3 else ""
    outcome = "rating_refused"
    if score.isdigit() and 1 <= int(score) <= 5:
        candidates = [s for s in services_to_rate_for_phone(phone) if not label or s.label.upper() == label]
        if candidates:
            done = rating_submit_by_phone(
                phone=phone,
                kind=candidates[0].kind,
                key=candidates[0].key,
                rating=int(score),
                via="sms",
                language=language,
            )
            outcome = "rated" if done == "rated" else outcome
    message_id = "feedback_thanks" if outcome == "rated" else "feedback_rate_help"
    outbox_enqueue(
        channel="sms", to=phone, message_id=message_id, language=language, context={}, dedupe_key=key
    )
    return outcome


def feedback_invite(*, now: dt.datetime | None = None, days: int = 30) -> int:
    """Invite by SMS, in their language, whoever received a service completed in the last ``days`` days
    to rate it (by reply, USSD or on the web): each applicant whose application reached a final state,
    each person whose outreach home visit was done, and each programme student's guardian (else the
    student) once the course's outcome is recorded. Once per service; safe to run from cron. Returns how
    many invitations were queued now.
    """
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    return _invite_cases(since) + _invite_visits(since) + _invite_courses(since)


def _invite(
    *, kind: str, key: str, phone: str, message_id: str, language: str, context: dict[str, Any]
) -> int:
    """Queue one invitation (1) unless one was queued before for this service (0)."""
    dedupe_key = f"feedback:invite:{kind}:{key}"
    if OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return 0
    link = public_url(reverse("feedback:rate", kwargs={"kind": kind, "key": int(key)}))
    with transaction.atomic():
        outbox_enqueue(
            channel="sms",
            to=phone,
            message_id=message_id,
            language=language,
            context={**context, "link": link},
            dedupe_key=dedupe_key,
        )
    return 1


def _is_rated(kind: str, key: str) -> bool:
    return Rating.objects.filter(service_kind=kind, service_key=key).exists()


def _language_for(phone: str, *preferred: str) -> str:
    """The first language of ``preferred`` GovReach speaks, else the one of the phone's country."""
    from govreach.ussd.texts import COUNTRY_LANGUAGES, country_of_phone, language_canonical

    for candidate in (*preferred, COUNTRY_LANGUAGES.get(country_of_phone(phone) or "")):
        language = language_canonical(candidate)
        if language:
            return language
    return "en"


def _pack_title(pack_id: str, language: str) -> str:
    from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack

    try:
        return active_pack(pack_id).title(language) or pack_id
    except (ServicePackNotFound, ServicePackUnavailable):
        return pack_id


def _invite_cases(since: dt.datetime) -> int:
    from govreach.cases.models import DRAFT, Application
    from govreach.cases.services import applicant_phone, pack_of

    queued = 0
    recent = Application.objects.exclude(state=DRAFT).filter(decided_at__gte=since).order_by("pk")
    for application in recent:
        account = CitizenAccount.objects.filter(user_id=application.applicant_id).first()
        if account is None:
            continue
        service = completed_service_for_citizen(account, kind=Rating.Kind.CASE, key=str(application.pk))
        phone = applicant_phone(application)
        if service is None or service.rating is not None or phone is None:
            continue
        queued += _invite(
            kind=Rating.Kind.CASE,
            key=str(application.pk),
            phone=phone,
            message_id="feedback_invite",
            language=application.language,
            context={
                "service": pack_of(application).title(application.language),
                "reference": application.reference or "",
            },
        )
    return queued


def _invite_visits(since: dt.datetime) -> int:
    """The visited person, on their phone on record, else on the phone of an account that is theirs."""
    from govreach.outreach.models import Visit

    queued = 0
    visits = (
        Visit.objects.filter(status=Visit.Status.DONE, done_at__gte=since)
        .select_related("registration__person")
        .order_by("pk")
    )
    for visit in visits:
        key = str(visit.pk)
        if _is_rated(Rating.Kind.VISIT, key):
            continue
        person = visit.registration.person
        account = CitizenAccount.objects.filter(person=person).order_by("pk").first()
        phone = person.phone or (account.phone if account is not None else "")
        if not phone:
            continue
        language = _language_for(
            phone, account.preferred_language if account is not None else "", person.preferred_language
        )
        assert visit.done_at is not None  # a done visit has its time
        queued += _invite(
            kind=Rating.Kind.VISIT,
            key=key,
            phone=phone,
            message_id="feedback_invite_visit",
            language=language,
            context={
                "service": _pack_title(visit.registration.pack_id, language),
                "date": timezone.localdate(visit.done_at).isoformat(),
            },
        )
    return queued


def _invite_courses(since: dt.datetime) -> int:
    """The guardian whose phone the school or the family gave, else the student on theirs."""
    from govreach.programmes.models import Registration

    queued = 0
    finished = (
        Registration.objects.filter(outcome__recorded_at__gte=since)
        .select_related("cohort", "student")
        .order_by("pk")
    )
    for registration in finished:
        key = str(registration.pk)
        phone = registration.guardian_phone or registration.student.phone
        if not phone or _is_rated(Rating.Kind.COURSE, key):
            continue
        language = _language_for(phone, registration.language, registration.student.preferred_language)
        queued += _invite(
            kind=Rating.Kind.COURSE,
            key=key,
            phone=phone,
            message_id="feedback_invite_course",
            language=language,
            context={"service": _pack_title(registration.cohort.pack_id, language), "code": registration.key},
        )
    return queued
