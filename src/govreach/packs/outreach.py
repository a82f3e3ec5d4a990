"""``outreach.yaml``: risk tiers, visit cadence, capacity and visit records (the outreach work, issue 6)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder
    from govreach.rules.model import RuleSet


def load_outreach(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Any:
    """The pack's outreach declaration, or None when it has no outreach.yaml; problems go on ``builder``."""
    return None
