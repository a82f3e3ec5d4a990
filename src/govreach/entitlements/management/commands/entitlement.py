"""``govreach entitlement notify CYCLE_ID`` | ``refuse CPE --channel counter`` | ``sms-reply PHONE TEXT`` |
``partner SUPPLIER_ID NAME [--token NAME]`` | ``revoke-token PREFIX``."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govreach.entitlements.models import Cycle, Entitlement, PartnerToken
from govreach.entitlements.notifications import entitlements_notify_cycle
from govreach.entitlements.partners import (
    PartnerError,
    partner_create,
    partner_token_create,
    partner_token_revoke,
)
from govreach.entitlements.refusals import entitlement_refuse_by_sms
from govreach.entitlements.services import CycleError, entitlement_refuse


class Command(BaseCommand):
    help = "After a cycle: tell people (notify), record refusals, manage partner suppliers and their tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        notify = sub.add_parser(
            "notify", help="queue the grant and end notices of a completed cycle (idempotent)"
        )
        notify.add_argument("cycle_id", type=int)
        refuse = sub.add_parser("refuse", help="record a holder's refusal of the tariff on a supply point")
        refuse.add_argument("supply_point")
        refuse.add_argument("--pack", default="pt-social-energy-tariff")
        refuse.add_argument("--channel", choices=["counter", "web", "sms", "letter"], default="counter")
        sms = sub.add_parser("sms-reply", help="handle an inbound SMS reply (RECUSAR / STOP)")
        sms.add_argument("phone")
        sms.add_argument("text")
        partner = sub.add_parser(
            "partner", help="create or rename a partner supplier, optionally with a token"
        )
        partner.add_argument("supplier_id")
        partner.add_argument("name")
        partner.add_argument("--token", default=None, help="create an API token with this name")
        revoke = sub.add_parser("revoke-token", help="revoke a partner API token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "notify":
            cycle = Cycle.objects.filter(pk=options["cycle_id"]).first()
            if cycle is None:
                raise CommandError(f"cycle_id: no cycle {options['cycle_id']}")
            try:
                result = entitlements_notify_cycle(cycle=cycle)
            except (ValueError, PartnerError) as exc:
                raise CommandError(str(exc)) from None
            channels = ", ".join(f"{k} {v}" for k, v in sorted(result.by_channel.items())) or "none"
            self.stdout.write(
                f"cycle {cycle.pk}: {result.granted} grant, {result.ended} end notices queued ({channels}); "
                f"{result.already_sent} already sent, {result.without_contact} without any contact"
            )
        elif action == "refuse":
            found = Entitlement.objects.filter(
                pack_id=options["pack"], unit_key=options["supply_point"].upper(), status="active"
            ).first()
            if found is None:
                raise CommandError(f"supply_point: no active entitlement on {options['supply_point']}")
            try:
                entitlement_refuse(entitlement=found, channel=options["channel"])
            except CycleError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"refusal recorded for {found.supply_point_code} ({options['channel']})")
        elif action == "sms-reply":
            outcome = entitlement_refuse_by_sms(options["phone"], options["text"])
            self.stdout.write(
                f"{outcome.status}: {', '.join(e.supply_point_code for e in outcome.refused) or '-'}"
            )
        elif action == "partner":
            partner = partner_create(supplier_id=options["supplier_id"], name=options["name"])
            self.stdout.write(f"partner {partner.supplier_id}: {partner.name}")
            if options["token"]:
                _token, raw = partner_token_create(partner=partner, name=options["token"])
                self.stdout.write(f"API token (shown once): {raw}")
        elif action == "revoke-token":
            tokens = list(PartnerToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if len(tokens) != 1:
                raise CommandError(f"prefix: {len(tokens)} active tokens start with {options['prefix']}")
            partner_token_revoke(token=tokens[0])
            self.stdout.write(f"token {tokens[0].prefix}... revoked")
