"""Settings of the transparency app, read when used with ``getattr(settings, "GOVREACH_...", default)``.

- ``GOVREACH_TRANSPARENCY_MIN_COUNT``: the smallest count published (10): a cell counting 1 to 9 people is
  suppressed, with enough other cells that it cannot be worked out from the totals.
- ``GOVREACH_TRANSPARENCY_FINANCE_ROLE``: the staff role (an ``accounts.StaffAssignment`` on a pack) that
  may enter budget lines for that pack on its area and below (``finance``).
- ``GOVREACH_TRANSPARENCY_OPENDATA_DIR``: where ``govreach opendata refresh`` writes the files the public
  download page serves (``<VAR_DIR>/opendata``).
- ``GOVREACH_TRANSPARENCY_SNAPSHOT_MAX_AGE_SECONDS``: a page recomputes a pack's published figures when
  its snapshot is older than this (one day); ``govreach opendata refresh`` recomputes them all.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

SUPPRESSED_MARKER = "[c]"
NOT_AVAILABLE_MARKER = "[x]"
LICENCE = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def min_count() -> int:
    return int(getattr(settings, "GOVREACH_TRANSPARENCY_MIN_COUNT", 10))


def finance_role() -> str:
    return str(getattr(settings, "GOVREACH_TRANSPARENCY_FINANCE_ROLE", "finance"))


def opendata_dir() -> Path:
    default = Path(settings.VAR_DIR) / "opendata"
    return Path(getattr(settings, "GOVREACH_TRANSPARENCY_OPENDATA_DIR", default))


def snapshot_max_age_seconds() -> int:
    return int(getattr(settings, "GOVREACH_TRANSPARENCY_SNAPSHOT_MAX_AGE_SECONDS", 86400))
