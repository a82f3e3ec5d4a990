"""Writes for the phone channels: answer one USSD gateway request, handle one inbound SMS, and record
a refusal made on USSD.

A USSD reply is a pure function of the session's stored state and the full ``text`` path: a retry of
the last text gets the stored reply and does nothing again; any other text is walked from the main menu.
Nothing here logs a phone number or what the person typed: phones are masked, texts never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.phones import InvalidPhone, phone_mask, phone_normalise
from govreach.accounts.throttle import Limit, Throttled, throttle_check, throttle_hit
from govreach.catalogue.selectors import ServicePackNotFound, ServicePackUnavailable, active_pack
from govreach.entitlements.models import Entitlement
from govreach.entitlements.notifications import notice_send, public_url
from govreach.entitlements.refusals import REFUSAL_WORDS, entitlement_refuse_by_sms
from govreach.entitlements.services import CycleError, entitlement_refuse
from govreach.feedback.services import COMPLAINT_WORDS, RATING_WORDS, grievance_file_by_sms, rating_by_sms
from govreach.notify.services import outbox_enqueue
from govreach.packs.loader import text_in
from govreach.ussd import conf
from govreach.ussd.menus import (
    EntitlementOption,
    ServiceOption,
    StatusView,
    clip,
    compose,
    render,
    walk,
)
from govreach.ussd.models import InboundSms, UssdSession
from govreach.ussd.questions import EligibilityAnswer, Questionnaire, answers_parse, eligibility_answer
from govreach.ussd.selectors import (
    application_status_by_keypad,
    entitlement_list_for_phone,
    is_contract_holder_phone,
    language_for_phone,
    questionnaire_for_service,
    ussd_service_list,
)
from govreach.ussd.texts import date_text, text

logger = logging.getLogger(__name__)

#: Requests per phone on USSD: a full eligibility check is about 15 screens; a session retried a few
#: times stays well inside.
USSD_REQUESTS_PER_PHONE = Limit("ussd-phone", 120, dt.timedelta(minutes=10))
#: Inbound SMS per phone.
SMS_INBOUND_PER_PHONE = Limit("sms-inbound-phone", 20, dt.timedelta(hours=1))
#: Wrong reference/tracking-code pairs per phone, on USSD and SMS together: no guessing codes.
STATUS_FAILURES_PER_PHONE = Limit("ussd-status-fail", 10, dt.timedelta(hours=1))
SESSIONS_KEPT = dt.timedelta(days=1)
TITLE_LIMIT = 40


# ---------------------------------------------------------------------------------------------------
# Refusal on USSD


@transaction.atomic
def entitlement_refuse_by_ussd(*, entitlement_id: int, phone: str) -> str:
    """The contract holder refuses on USSD after confirming with 1; ``refused``, ``ended`` or ``not_allowed``.

    Idempotent: an entitlement already refused answers ``refused`` and nothing is written or sent again
    (Lei 7-A/2016, art. 121: the refusal is final; the holder is told once, by the same notice as the web).
    """
    entitlement = Entitlement.objects.filter(pk=entitlement_id).first()
    if entitlement is None or not is_contract_holder_phone(entitlement, phone):
        return "not_allowed"
    if entitlement.status == Entitlement.Status.REFUSED:
        return "refused"
    if entitlement.status != Entitlement.Status.ACTIVE:
        return "ended"
    try:
        refused = entitlement_refuse(entitlement=entitlement, channel="ussd")
    except CycleError:  # ended by a cycle a moment ago
        return "ended"
    refused_on = timezone.localdate(refused.refused_at) if refused.refused_at else timezone.localdate()
    notice_send(
        entitlement=refused,
        message_id="entitlement_refused",
        context={
            "supply_point": refused.supply_point_code,
            "date": refused_on.isoformat(),
            "contest_url": public_url(reverse("entitlements:mine")),
        },
        # The key every refusal route uses: however it was refused, the holder is told once.
        key=f"entitlements:{refused.pk}:refused",
    )
    logger.info("ussd: entitlement %s refused by its holder %s", refused.pk, phone_mask(phone))
    return "refused"


# ---------------------------------------------------------------------------------------------------
# USSD


class DatabaseContext:
    """The menus' view of GovReach for one caller. What a list showed is kept in ``state`` (the session's)
    so that a retry walks the same list even after a refusal took an entitlement off it."""

    def __init__(self, *, phone: str, state: dict[str, Any]) -> None:
        self.phone = phone
        self.state = state
        self._questionnaires: dict[str, Questionnaire | None] = {}
        self._titles: dict[str, dict[str, str]] = {}

    def _service_ids(self) -> list[str]:
        if "services" not in self.state:
            packs = ussd_service_list()
            self.state["services"] = [p.pack_id for p in packs]
            self._titles.update({p.pack_id: p.titles for p in packs})
        return list(self.state["services"])

    def _title(self, pack_id: str, language: str) -> str:
        if pack_id not in self._titles:
            try:
                self._titles[pack_id] = dict(active_pack(pack_id).service.title)
            except (ServicePackNotFound, ServicePackUnavailable):
                self._titles[pack_id] = {}
        return clip(text_in(self._titles[pack_id], language) or pack_id, TITLE_LIMIT)

    def services(self, language: str) -> list[ServiceOption]:
        return [ServiceOption(pack_id, self._title(pack_id, language)) for pack_id in self._service_ids()]

    def questionnaire(self, pack_id: str) -> Questionnaire | None:
        if pack_id not in self._questionnaires:
            found = None
            if pack_id in self._service_ids():
                from govreach.catalogue.selectors import service_pack_get

                try:
                    found = questionnaire_for_service(service_pack_get(pack_id))
                except ServicePackNotFound:
                    found = None
            self._questionnaires[pack_id] = found
        return self._questionnaires[pack_id]

    def decide(self, pack_id: str, answers: Sequence[str], language: str) -> EligibilityAnswer:
        questionnaire = self.questionnaire(pack_id)
        if questionnaire is None:
            return EligibilityAnswer("unsure", "", True)
        pack = active_pack(pack_id)
        facts = answers_parse(questionnaire, answers)
        return eligibility_answer(
            pack.ruleset, questionnaire, facts, on=timezone.localdate(), language=language
        )

    def status(self, reference: str, secret: str, language: str) -> StatusView | None:
        try:
            throttle_check((STATUS_FAILURES_PER_PHONE, self.phone))
        except Throttled:
            return None
        found = application_status_by_keypad(reference, secret, language=language)
        if found is None:
            throttle_hit((STATUS_FAILURES_PER_PHONE, self.phone))
            return None
        return StatusView(
            reference=found.reference,
            stage=found.stage,
            since=found.stage_since,
            due_on=None if found.is_final else found.decision_due_on,
            decided_on=found.decided_on,
        )

    def _entitlement_ids(self) -> list[str]:
        if "entitlements" not in self.state:
            ids = entitlement_list_for_phone(self.phone).values_list("pk", flat=True)
            self.state["entitlements"] = [str(pk) for pk in ids]
        return list(self.state["entitlements"])

    def entitlements(self, language: str) -> list[EntitlementOption]:
        ids = self._entitlement_ids()
        rows = {str(e.pk): e for e in Entitlement.objects.filter(pk__in=[int(i) for i in ids])}
        return [
            EntitlementOption(i, self._title(rows[i].pack_id, language), rows[i].supply_point_code[-4:])
            for i in ids
            if i in rows
        ]

    def refuse(self, entitlement_id: str) -> str:
        return entitlement_refuse_by_ussd(entitlement_id=int(entitlement_id), phone=self.phone)


def _inputs(session: UssdSession, text_path: str) -> list[str]:
    """The inputs since the session (re)started: the text path less a prefix left from before an expiry."""
    rest = text_path
    if session.base_length and len(text_path) >= session.base_length:
        head = text_path[: session.base_length]
        if conf.keyed_digest(head, purpose="text") == session.base_digest:
            rest = text_path[session.base_length :].lstrip("*")
    return rest.split("*") if rest else []


def ussd_request_handle(*, session_id: str, service_code: str, phone: str, text_path: str) -> str:
    """The reply (``CON ...`` or ``END ...``) to one gateway request; idempotent for a retried text."""
    try:
        phone = phone_normalise(phone)
    except InvalidPhone:
        logger.warning("ussd: request with an unusable phone number refused")
        return compose(text("en", "unavailable"), is_final=True).reply
    language = language_for_phone(phone, service_code=service_code)
    try:
        throttle_check((USSD_REQUESTS_PER_PHONE, phone))
    except Throttled as exc:
        logger.warning("ussd: %s throttled", phone_mask(phone))
        return compose(text(language, "throttled", minutes=exc.minutes), is_final=True).reply
    throttle_hit((USSD_REQUESTS_PER_PHONE, phone))
    now = timezone.now()
    phone_digest = conf.keyed_digest(phone, purpose="phone")
    text_digest = conf.keyed_digest(text_path, purpose="text")
    with transaction.atomic():
        session, created = UssdSession.objects.select_for_update(of=("self",)).get_or_create(
            session_id=session_id,
            defaults={"phone_digest": phone_digest, "service_code": service_code[:40], "started_at": now},
        )
        if created:
            UssdSession.objects.filter(updated_at__lt=now - SESSIONS_KEPT).delete()
        expired = now - session.updated_at > dt.timedelta(seconds=conf.session_seconds())
        if not created and (expired or session.phone_digest != phone_digest):
            # Start over: the menus begin again from whatever the gateway's text holds now.
            session.phone_digest = phone_digest
            session.state = {}
            session.base_length = len(text_path)
            session.base_digest = text_digest
            session.last_text_digest = ""
            session.started_at = now
            logger.info("ussd: session %s expired; starting over", session.pk)
        elif session.last_text_digest == text_digest and session.last_reply:
            session.updated_at = now
            session.save(update_fields=["updated_at"])
            logger.info("ussd: session %s retried; same reply", session.pk)
            return session.last_reply
        inputs = _inputs(session, text_path)
        ctx = DatabaseContext(phone=phone, state=dict(session.state))
        state = walk(inputs, ctx, language=language)
        reply = render(state, ctx).reply
        session.state = ctx.state
        session.last_text_digest = text_digest
        session.last_reply = reply
        session.updated_at = now
        session.save()
    logger.info(
        "ussd: session %s for %s at %s after %d inputs",
        session.pk,
        phone_mask(phone),
        state.node,
        len(inputs),
    )
    return reply


# ---------------------------------------------------------------------------------------------------
# Inbound SMS


def _sms_reply(*, phone: str, message_id: str, language: str, context: dict[str, Any], key: str) -> None:
    outbox_enqueue(
        channel="sms", to=phone, message_id=message_id, language=language, context=context, dedupe_key=key
    )


def _sms_status(*, phone: str, words: Sequence[str], language: str, key: str) -> str:
    status = None
    if len(words) >= 3:
        try:
            throttle_check((STATUS_FAILURES_PER_PHONE, phone))
            status = application_status_by_keypad(words[1], words[2], language=language)
        except Throttled:
            status = None
        if status is None:
            throttle_hit((STATUS_FAILURES_PER_PHONE, phone))
    if status is None:
        _sms_reply(phone=phone, message_id="inbound_status_not_found", language=language, context={}, key=key)
        return "status_not_found"
    context = {
        "reference": status.reference,
        "stage": status.stage,
        "date": date_text(language, status.stage_since),
    }
    _sms_reply(phone=phone, message_id="inbound_status", language=language, context=context, key=key)
    return "status"


def _sms_refuse(*, phone: str, body: str, language: str, key: str) -> str:
    outcome = entitlement_refuse_by_sms(phone, body)
    if outcome.status == "refused":
        return "refused"  # the holder is told by the refusal's own notice
    message_id = "inbound_refusal_which_one" if outcome.status == "which_one" else "inbound_refusal_none"
    _sms_reply(phone=phone, message_id=message_id, language=language, context={}, key=key)
    return f"refusal_{outcome.status}"


def sms_inbound_handle(*, sender: str, body: str, gateway_id: str = "") -> str:
    """Act on one inbound SMS keyword and queue the reply; the outcome names what happened.

    ``STATUS <reference> <code>`` replies with the stage and date; ``STOP``/``RECUSAR`` refuses the
    sender's entitlement; ``COMPLAINT <text>`` files a grievance and ``RATE [reference] <1-5>`` rates a
    completed service (both govreach.feedback, which send the reply); anything else gets the help text.
    The same ``gateway_id`` is handled once.
    """
    try:
        phone = phone_normalise(sender)
    except InvalidPhone:
        logger.warning("sms inbound: unusable sender ignored")
        return "invalid_sender"
    words = body.strip().split()
    keyword = words[0].upper().strip(".!") if words else ""
    try:
        throttle_check((SMS_INBOUND_PER_PHONE, phone))
    except Throttled:
        logger.warning("sms inbound: %s throttled", phone_mask(phone))
        return "throttled"
    with transaction.atomic():
        record = None
        if gateway_id:
            digest = conf.keyed_digest(gateway_id, purpose="sms-id")
            record, created = InboundSms.objects.get_or_create(
                message_digest=digest, defaults={"keyword": keyword[:20]}
            )
            if not created:
                logger.info("sms inbound: message %s already handled", record.pk)
                return "duplicate"
            key = f"ussd:sms-inbound:{digest[:48]}:reply"
        else:
            key = f"ussd:sms-inbound:{uuid.uuid4().hex}:reply"
        throttle_hit((SMS_INBOUND_PER_PHONE, phone))
        language = language_for_phone(phone)
        if keyword == "STATUS":
            outcome = _sms_status(phone=phone, words=words, language=language, key=key)
        elif keyword in REFUSAL_WORDS:
            outcome = _sms_refuse(phone=phone, body=body, language=language, key=key)
        elif keyword in COMPLAINT_WORDS:
            text = body.strip()[len(words[0]) :].strip()
            outcome = grievance_file_by_sms(phone=phone, text=text, language=language, key=key)
            if outcome != "complaint_filed":
                _sms_reply(phone=phone, message_id="inbound_help", language=language, context={}, key=key)
        elif keyword in RATING_WORDS:
            outcome = rating_by_sms(phone=phone, words=words, language=language, key=key)
        else:
            _sms_reply(phone=phone, message_id="inbound_help", language=language, context={}, key=key)
            outcome = "help"
        if record is not None:
            record.outcome = outcome
            record.save(update_fields=["outcome"])
    # Only a known keyword is logged: anything else is the person's own words.
    known = (
        keyword
        if keyword == "STATUS" or keyword in (*REFUSAL_WORDS, *COMPLAINT_WORDS, *RATING_WORDS)
        else "other"
    )
    logger.info("sms inbound: %s from %s -> %s", known, phone_mask(phone), outcome)
    return outcome
