"""``govreach cases escalate``: flag and escalate overdue cases (run it from cron, e.g. hourly)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from govreach.cases.services import cases_escalate_overdue


class Command(BaseCommand):
    help = "Case maintenance: escalate cases past their state deadline or the overall deadline."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{escalate}")
        sub.add_parser("escalate", help="escalate overdue cases to the role the workflow names (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = cases_escalate_overdue()
        for application in escalated:
            self.stdout.write(f"escalated {application.reference} to {application.escalated_to_role}")
        self.stdout.write(f"{len(escalated)} case(s) escalated")
