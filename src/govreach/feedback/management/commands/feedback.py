"""``govreach feedback invite``: ask, by SMS in their language, whoever received a service completed
lately to rate it: applicants of decided applications, people visited at home, and the guardians of
students whose programme course ended (its outcome recorded).

Once per service (the outbox deduplicates), so it is safe to run from cron as often as you like.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from govreach.feedback.services import feedback_invite


class Command(BaseCommand):
    help = "Feedback: `invite` asks whoever received a recently completed service to rate it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        invite: ArgumentParser = sub.add_parser("invite", help="queue the SMS invitations to rate")
        invite.add_argument("--days", type=int, default=30, help="completed within this many days (30)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "invite":
            queued = feedback_invite(days=options["days"])
            self.stdout.write(f"{queued} invitation(s) to rate queued")
