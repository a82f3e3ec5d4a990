"""``govreach feedback invite``: ask applicants whose application was decided lately to rate it, by SMS.

Once per application (the outbox deduplicates), so it is safe to run from cron as often as you like.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govreach.feedback.services import feedback_invite


class Command(BaseCommand):
    help = "Feedback: `invite` asks applicants of recently decided applications to rate the service."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        invite: ArgumentParser = sub.add_parser("invite", help="queue the SMS invitations to rate")
        invite.add_argument("--days", type=int, default=30, help="decided within this many days (30)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "invite":
            queued = feedback_invite(days=options["days"])
            self.stdout.write(f"{queued} invitation(s) to rate queued")
