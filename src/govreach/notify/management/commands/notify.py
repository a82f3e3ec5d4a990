"""``govreach notify send [--once] [--limit N] [--interval S]``: the outbox worker.

Runs until stopped (Ctrl-C or SIGTERM end it after the message in hand); several workers may run at once.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govreach.notify.services import outbox_send_due


class Command(BaseCommand):
    help = "Send the notifications waiting in the outbox."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{send}")
        send = sub.add_parser("send", help="send due messages, retrying failures with backoff")
        send.add_argument("--once", action="store_true", help="one pass, then exit")
        send.add_argument("--limit", type=int, default=100, help="messages per pass (default 100)")
        send.add_argument(
            "--interval", type=float, default=5.0, help="seconds between passes when idle (default 5)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit: int = options["limit"]
        interval: float = options["interval"]
        if limit < 1 or interval < 0:
            raise CommandError("--limit must be at least 1 and --interval at least 0")
        stop = threading.Event()
        if not options["once"] and threading.current_thread() is threading.main_thread():

            def on_signal(signum: int, frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, on_signal)
        try:
            while True:
                counts = outbox_send_due(limit=limit)
                if counts.claimed or options["once"]:
                    self.stdout.write(
                        f"claimed {counts.claimed}: sent {counts.sent}, retrying {counts.retried}, "
                        f"failed {counts.failed}"
                    )
                if options["once"] or stop.is_set():
                    break
                if counts.claimed < limit:  # a full batch means more may be waiting: go again at once
                    stop.wait(interval)
                if stop.is_set():
                    break
        except KeyboardInterrupt:
            self.stdout.write("stopped")
