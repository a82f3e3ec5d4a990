"""Settings of rule changes, read when used (``getattr(settings, "GOVREACH_...", default)``).

- ``GOVREACH_POLICY_REVIEW_DAYS``: a pilot rolled back with ``keep_until_review`` keeps what it granted
  for this many days (365: the yearly re-check of household income) before the rules in force decide.
- ``GOVREACH_POLICY_REGISTRIES_DIR``: the registry snapshot the staff dry run reads (the demo's
  generated Portuguese population by default, ``<var>/populations/pt``).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def review_days() -> int:
    return int(getattr(settings, "GOVREACH_POLICY_REVIEW_DAYS", 365))


def registries_dir() -> Path:
    configured = getattr(settings, "GOVREACH_POLICY_REGISTRIES_DIR", None)
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "populations" / "pt"
