"""A last line of defence for the logs: long digit runs (phone numbers, national and tax ids) are masked.

GovReach's code never logs personal data on purpose (tests/web/test_personal_data_stays_out.py scans a
whole journey); this filter, on every handler, catches what a library or a future change lets slip: any
run of nine or more digits, spaces or dashes between them allowed, with an optional leading ``+``, keeps
its last two digits and loses the rest. Dates, amounts, counts below a hundred million and area codes
(eight digits at most) pass unchanged.
"""

from __future__ import annotations

import logging
import re

_LONG_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[ \-]?\d){8,}(?![\w.])")


def _mask(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "•" * (len(digits) - 2) + digits[-2:]


class RedactPersonalData(logging.Filter):
    """Rewrite the record's message with long numbers masked (the arguments are merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _LONG_NUMBER.sub(_mask, message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
