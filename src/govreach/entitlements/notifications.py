"""People are told: after a cycle, each new beneficiary and each ended entitlement gets a notice.

The notice goes to the contract holder, in their language, on the channel they prefer (SMS, email or a
posted letter, PDF), with the plain-language reasons of the decision (the pack's ``because`` texts for
the criteria the cycle stored) and, for a grant, the 30-day right to refuse (Lei 7-A/2016, art. 121), for
an end, how to contest it. Idempotent: every notice has a dedupe key, so a second run queues nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from govreach.accounts.models import CitizenAccount
from govreach.catalogue.selectors import active_pack, pack_decided_under
from govreach.entitlements.config import load_cycle_config
from govreach.entitlements.letters import letter_pdf_write
from govreach.entitlements.models import ContactPreference, Cycle, Entitlement, EntitlementPerson
from govreach.entitlements.partners import PartnerError, cycle_customers_snapshot
from govreach.entitlements.services import pack_path
from govreach.notify.models import OutboxMessage
from govreach.notify.services import InvalidRecipient, outbox_enqueue
from govreach.packs.loader import Pack
from govreach.registry.models import Person
from govreach.rules.model import Criterion, Group, Node

REFUSAL_DAYS = 30
DEFAULT_LANGUAGE = "pt"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)\}")
_BATCH = 500
_OTHER_REASONS = {
    "supply_point_not_listed": {
        "pt": "O seu comercializador deixou de indicar este ponto de entrega (mudança de contrato ou de "
        "comercializador).",
        "en": "Your supplier no longer lists this supply point (a change of contract or of supplier).",
    },
    "unknown": {
        "pt": "Não foi possível confirmar nos registos: {title}.",
        "en": "The records could not confirm: {title}.",
    },
}


# -- reasons ----------------------------------------------------------------------------------------------
def _text(texts: dict[str, str], language: str) -> str | None:
    base = language.split("-")[0]
    return texts.get(language) or texts.get(base) or texts.get("en")


def _fill_parameters(template: str, pack: Pack, on: dt.date) -> str | None:
    """The template with the pack's parameters filled in; None when it needs a person's own facts."""

    def value(match: re.Match[str]) -> str:
        param = pack.ruleset.parameters.get(match.group(1))
        found = param.value_on(on) if param is not None else None
        if found is None:
            raise KeyError(match.group(1))
        return f"{found.value:g}" if isinstance(found.value, float) else str(found.value)

    try:
        return _PLACEHOLDER.sub(value, template)
    except KeyError:
        return None


def _reason_text(node: Node, outcome: bool | None, pack: Pack, language: str, on: dt.date) -> str:
    title = _text(node.title, language) or node.id.replace("_", " ")
    if outcome is None:
        return (
            _OTHER_REASONS["unknown"]
            .get(language.split("-")[0], _OTHER_REASONS["unknown"]["en"])
            .format(title=title)
        )
    template = _text(node.because if outcome else node.because_not, language)
    filled = _fill_parameters(template, pack, on) if template else None
    return filled or f"{title}."


def decision_reasons(
    *, pack: Pack, criteria: dict[str, bool | None], granted: bool, language: str, on: dt.date, decision: str
) -> list[str]:
    """Plain-language reasons from the criteria outcomes a cycle stored (criterion id -> true/false/null).

    For a grant: why each criterion that mattered holds (in an any-group, only the ones that held).
    For an end or a refusal to grant: the criteria that failed, then the ones that could not be confirmed.
    """
    reasons: list[str] = []

    def visit(node: Node, inside_any: bool) -> None:
        if isinstance(node, Group):
            for child in node.children:
                visit(child, node.mode == "any")
            return
        del inside_any
        assert isinstance(node, Criterion)
        outcome = criteria.get(node.id)
        if granted and outcome is True:
            reasons.append(_reason_text(node, True, pack, language, on))
        elif not granted and (outcome is False or (outcome is None and node.id in criteria)):
            reasons.append(_reason_text(node, outcome, pack, language, on))

    visit(pack.ruleset.decisions[decision].root, False)
    return reasons


def _main_reason(
    pack: Pack, entitlement: Entitlement, granted: bool, language: str, on: dt.date, decision: str
) -> str:
    """The one sentence an SMS carries: the decisive reason (the benefit or income for a grant)."""
    criteria: dict[str, bool | None] = entitlement.last_decision.get("criteria", {})
    root = pack.ruleset.decisions[decision].root
    if not granted:
        reason = entitlement.end_reason
        if reason in _OTHER_REASONS:
            return _OTHER_REASONS[reason].get(language.split("-")[0], _OTHER_REASONS[reason]["en"])
    stack: list[tuple[Node, bool]] = [(root, False)]
    candidates: list[str] = []
    while stack:
        node, inside_any = stack.pop(0)
        if isinstance(node, Group):
            stack = [(c, node.mode == "any") for c in node.children] + stack
            continue
        outcome = criteria.get(node.id)
        if granted and outcome is True and inside_any:
            return _reason_text(node, True, pack, language, on)
        if not granted and node.id == entitlement.end_reason:
            return _reason_text(node, outcome, pack, language, on)
        if not granted and outcome is False:
            candidates.append(_reason_text(node, False, pack, language, on))
    reasons = decision_reasons(
        pack=pack, criteria=criteria, granted=granted, language=language, on=on, decision=decision
    )
    return (candidates or reasons or [""])[0]


def entitlement_reasons(entitlement: Entitlement, *, language: str, pack: Pack | None = None) -> list[str]:
    """The reasons to show a person for an entitlement, from the last decision stored on it."""
    # Explained with the rules of the decision's own version, whatever version is in force today.
    version = entitlement.last_decision.get("pack_version") or entitlement.pack_version
    pack = pack or pack_decided_under(entitlement.pack_id, version)
    decision = load_cycle_config(pack.path).decision
    on = dt.date.fromisoformat(
        entitlement.last_decision.get("decided_on") or entitlement.valid_from.isoformat()
    )
    granted = entitlement.status != Entitlement.Status.ENDED
    if not granted and entitlement.end_reason in _OTHER_REASONS:
        texts = _OTHER_REASONS[entitlement.end_reason]
        return [texts.get(language.split("-")[0], texts["en"])]
    return decision_reasons(
        pack=pack,
        criteria=entitlement.last_decision.get("criteria", {}),
        granted=granted,
        language=language,
        on=on,
        decision=decision,
    )


# -- who is told, and how ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contact:
    """Where one person is told: the channel, the address on it and the language."""

    channel: str
    to: str
    language: str


@dataclass
class NotifyResult:
    """What one notify run did."""

    granted: int = 0
    ended: int = 0
    already_sent: int = 0
    without_contact: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def public_url(path: str) -> str:
    return str(getattr(settings, "GOVREACH_PUBLIC_URL", "")).rstrip("/") + path


def contact_for(
    person: Person | None, *, fallback_name: str = "", fallback_address: str = ""
) -> Contact | None:
    """The person's channel: their preference, else SMS to their phone, else a letter to the address."""
    account = (
        CitizenAccount.objects.select_related("user").filter(person=person).order_by("pk").first()
        if person is not None
        else None
    )
    language = (
        (account.preferred_language if account else "") or (person.preferred_language if person else "")
    ) or DEFAULT_LANGUAGE
    phone = (account.phone if account else "") or (person.phone if person else "")
    name = f"{person.given_name} {person.family_name}".strip() if person else fallback_name
    address = "\n".join(p for p in ((person.address, person.postcode) if person else ()) if p)
    address = address or fallback_address
    letter = f"{name}\n{address}".strip() if address else ""
    preference = ContactPreference.objects.filter(person=person).first() if person is not None else None
    email = (preference.email if preference else "") or (account.user.email if account else "")
    wanted = preference.channel if preference else None
    if wanted == ContactPreference.Channel.EMAIL and email:
        return Contact("email", email, language)
    if wanted == ContactPreference.Channel.LETTER and letter:
        return Contact("letter", letter, language)
    if phone:
        return Contact("sms", phone, language)
    if letter:
        return Contact("letter", letter, language)
    if email:
        return Contact("email", email, language)
    return None


def _holders(cycle: Cycle, cpes: list[str]) -> dict[str, dict[str, Any]]:
    """Contract holder per supply point, from the customer list the cycle read."""
    if not cpes:
        return {}
    snapshot = cycle_customers_snapshot(cycle)
    con = duckdb.connect()
    try:
        con.register("wanted", pa.table({"cpe": cpes}))
        rows = con.execute(
            "SELECT s.cpe, min(s.national_id), min(s.given_name), min(s.family_name), min(s.address), "
            "min(s.postcode) FROM read_parquet(?) s JOIN wanted w USING (cpe) GROUP BY s.cpe",
            [snapshot.as_posix()],
        ).fetchall()
    finally:
        con.close()
    return {
        r[0]: {
            "national_id": r[1],
            "name": f"{r[2] or ''} {r[3] or ''}".strip(),
            "address": f"{r[4] or ''}\n{r[5] or ''}",
        }
        for r in rows
    }


def _household_members(cycle: Cycle, households: list[str]) -> dict[str, list[str]]:
    """Tax numbers of each tax household's members, from the tax registry the cycle read."""
    if not households:
        return {}
    config = load_cycle_config(pack_path(cycle.pack_id))
    registries = Path(cycle.registries_dir)
    path = registries / "registries" / f"{config.registries.tax}.parquet"
    if not path.exists():
        path = registries / f"{config.registries.tax}.parquet"
    if not path.exists():
        return {}
    con = duckdb.connect()
    try:
        con.register("wanted", pa.table({"tax_household_id": households}))
        rows = con.execute(
            "SELECT DISTINCT t.tax_household_id, t.national_id FROM read_parquet(?) t "
            "JOIN wanted w USING (tax_household_id) WHERE t.national_id IS NOT NULL",
            [path.as_posix()],
        ).fetchall()
    finally:
        con.close()
    members: dict[str, list[str]] = {}
    for household, nif in rows:
        members.setdefault(household, []).append(nif)
    return members


def entitlement_people_record(
    cycle: Cycle, entitlements: Iterable[Entitlement]
) -> dict[int, EntitlementPerson | None]:
    """Record who each entitlement concerns (holder and household members); return each one's holder."""
    items = list(entitlements)
    holders = _holders(cycle, [e.unit_key for e in items])
    # A supply point no longer listed: its holder is the one of the customer list that granted it.
    unlisted = {e.granted_in for e in items if e.unit_key not in holders and e.granted_in_id != cycle.pk}
    for granting in unlisted:
        try:
            holders.update(_holders(granting, [e.unit_key for e in items if e.granted_in_id == granting.pk]))
        except PartnerError:
            continue
    members = _household_members(cycle, sorted({e.household_key for e in items if e.household_key}))
    nifs = {h["national_id"] for h in holders.values() if h["national_id"]}
    nifs |= {n for ms in members.values() for n in ms}
    persons = {p.national_id: p for p in Person.objects.filter(national_id__in=nifs)}
    rows: list[EntitlementPerson] = []
    for e in items:
        holder = holders.get(e.unit_key, {}).get("national_id")
        for nif in {
            *(members.get(e.household_key, []) if e.household_key else []),
            *([holder] if holder else []),
        }:
            rows.append(
                EntitlementPerson(
                    entitlement=e, national_id=nif, person=persons.get(nif), is_contract_holder=nif == holder
                )
            )
    EntitlementPerson.objects.bulk_create(rows, ignore_conflicts=True)
    found = EntitlementPerson.objects.filter(entitlement__in=items, is_contract_holder=True).select_related(
        "person"
    )
    by_entitlement: dict[int, EntitlementPerson | None] = {e.pk: None for e in items}
    for row in found:
        by_entitlement[row.entitlement_id] = row
    return by_entitlement


def _bullets(reasons: list[str]) -> str:
    return "\n".join(f"- {r}" for r in reasons) or "-"


def _queue(
    message_id: str, contact: Contact, context: dict[str, Any], key: str, pack_id: str
) -> OutboxMessage:
    message = outbox_enqueue(
        channel=contact.channel,
        to=contact.to,
        message_id=message_id,
        language=contact.language,
        context=context,
        dedupe_key=key,
        pack_id=pack_id,
    )
    if message.channel == OutboxMessage.Channel.LETTER:
        transaction.on_commit(lambda: letter_pdf_write(message))
    return message


def entitlement_notice_context(
    entitlement: Entitlement, *, pack: Pack, language: str, granted: bool, told_on: dt.date
) -> dict[str, Any]:
    """The placeholders of the grant and end notices for one entitlement in one language."""
    decision = load_cycle_config(pack.path).decision
    on = entitlement.granted_in.decided_on if granted else (entitlement.valid_to or told_on)
    reasons = (
        entitlement_reasons(entitlement, language=language, pack=pack)
        if not granted
        else decision_reasons(
            pack=pack,
            criteria=entitlement.last_decision.get("criteria", {}),
            granted=True,
            language=language,
            on=on,
            decision=decision,
        )
    )
    mine = public_url(reverse("entitlements:mine"))
    return {
        "supply_point": entitlement.supply_point_code,
        "valid_from": entitlement.valid_from.isoformat(),
        "valid_to": (entitlement.valid_to or told_on).isoformat(),
        "reason": _main_reason(pack, entitlement, granted, language, on, decision),
        "reasons": _bullets(reasons),
        "refuse_by": (told_on + dt.timedelta(days=REFUSAL_DAYS)).isoformat(),
        "refuse_url": mine,
        "contest_url": mine,
    }


def entitlements_notify_cycle(*, cycle: Cycle, today: dt.date | None = None) -> NotifyResult:
    """Queue the notices of ``cycle``: a grant notice to each new beneficiary, an end notice to each ended.

    Idempotent (one dedupe key per entitlement and notice); a refused grant is not announced.
    """
    if cycle.status != Cycle.Status.COMPLETED:
        raise ValueError(f"cycle {cycle.pk} is {cycle.status}; notices go out after a completed cycle")
    pack = active_pack(cycle.pack_id)
    packs = {pack.version: pack}
    told_on = today or max(timezone.localdate(), cycle.decided_on)
    result = NotifyResult()
    granted = Entitlement.objects.filter(granted_in=cycle, status=Entitlement.Status.ACTIVE)
    ended = Entitlement.objects.filter(ended_in=cycle, status=Entitlement.Status.ENDED)
    for is_grant, queryset in ((True, granted), (False, ended)):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        for i in range(0, len(ids), _BATCH):
            batch = list(Entitlement.objects.filter(pk__in=ids[i : i + _BATCH]).select_related("granted_in"))
            with transaction.atomic():
                holders = entitlement_people_record(cycle, batch)
                for e in batch:
                    kind = "granted" if is_grant else "ended"
                    key = f"entitlements:{e.pk}:{kind}"
                    if OutboxMessage.objects.filter(dedupe_key=key).exists():
                        result.already_sent += 1
                        continue
                    holder = holders.get(e.pk)
                    fallback = _holders(cycle, [e.unit_key]).get(e.unit_key, {}) if holder is None else {}
                    contact = contact_for(
                        holder.person if holder else None,
                        fallback_name=str(fallback.get("name", "")),
                        fallback_address=str(fallback.get("address", "")).strip(),
                    )
                    if contact is None:
                        result.without_contact += 1
                        continue
                    # A pilot's area was decided under another version: its notice gives its reasons.
                    version = e.last_decision.get("pack_version") or e.pack_version or pack.version
                    if version not in packs:
                        packs[version] = pack_decided_under(cycle.pack_id, version)
                    context = entitlement_notice_context(
                        e, pack=packs[version], language=contact.language, granted=is_grant, told_on=told_on
                    )
                    try:
                        _queue(f"entitlement_{kind}", contact, context, key, pack.id)
                    except InvalidRecipient:
                        result.without_contact += 1
                        continue
                    result.by_channel[contact.channel] = result.by_channel.get(contact.channel, 0) + 1
                    if is_grant:
                        result.granted += 1
                    else:
                        result.ended += 1
    return result


def entitlement_holder_contact(entitlement: Entitlement) -> Contact | None:
    """How to reach the contract holder of an entitlement (for refusal and review notices)."""
    holder = (
        EntitlementPerson.objects.select_related("person")
        .filter(entitlement=entitlement, is_contract_holder=True)
        .first()
    )
    return contact_for(holder.person if holder else None)


def notice_send(
    *,
    entitlement: Entitlement,
    message_id: str,
    context: dict[str, Any],
    key: str,
    contact: Contact | None = None,
) -> OutboxMessage | None:
    """Queue one notice about ``entitlement`` to its holder (in the caller's transaction), if reachable."""
    contact = contact or entitlement_holder_contact(entitlement)
    if contact is None:
        return None
    try:
        return _queue(message_id, contact, context, key, entitlement.pack_id)
    except InvalidRecipient:
        return None
