"""Entry points for a scheduler (cron, systemd timer): one pass of the outbox worker."""

from __future__ import annotations

from govreach.notify.services import SendCounts, outbox_send_due


def send_due_messages(*, limit: int = 100) -> SendCounts:
    """Send what is due now; safe to run from several processes at once."""
    return outbox_send_due(limit=limit)
