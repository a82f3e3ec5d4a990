"""``govreach demo_totp USERNAME``: the current authenticator code of a demo staff account (DEBUG only)."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from govreach.accounts.models import StaffTOTPDevice
from govreach.audit.demo import DEMO_AUDITOR
from govreach.web.demo import DEMO_STAFF

DEMO_USERNAMES = (*(s.username for s in DEMO_STAFF), DEMO_AUDITOR)


class Command(BaseCommand):
    help = "Print the current 6-digit authenticator code of a demo staff account (demo only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="a demo account: " + ", ".join(DEMO_USERNAMES))

    def handle(self, *args: Any, **options: Any) -> None:
        username = str(options["username"])
        if not settings.DEBUG:
            raise CommandError("only in the demo: run it with GOVREACH_DEBUG=1")
        if username not in DEMO_USERNAMES:
            raise CommandError(f"'{username}' is not a demo account; use one of: {', '.join(DEMO_USERNAMES)}")
        device = StaffTOTPDevice.objects.filter(user__username=username).first()
        if device is None:
            raise CommandError(f"'{username}' has no authenticator yet: run `govreach demo setup` first")
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(pyotp.TOTP(device.secret).now())
        self.stderr.write(f"valid for about {remaining} more seconds; each code signs in once")
