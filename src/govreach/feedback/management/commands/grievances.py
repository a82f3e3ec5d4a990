"""``govreach grievances escalate``: move grievances past their deadline one level of government up.

Idempotent, safe to run from cron as often as you like: an escalated grievance has a new deadline.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govreach.feedback.services import grievances_escalate


class Command(BaseCommand):
    help = "Grievances: `escalate` moves those past their deadline one level up (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        escalate: ArgumentParser = sub.add_parser(
            "escalate", help="escalate the grievances past their deadline"
        )
        escalate.set_defaults(action="escalate")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "escalate":
            escalated = grievances_escalate()
            for grievance in escalated:
                # The reference and the level only: no complainant, no text.
                self.stdout.write(f"{grievance.reference}: escalated to the {grievance.tier} level")
            self.stdout.write(f"{len(escalated)} grievance(s) escalated")
