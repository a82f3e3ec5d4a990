"""``programme.yaml``: cohorts, places, allocation, sessions and outcomes (the programmes work, issue 6)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder
    from govreach.rules.model import RuleSet


def load_programme(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Any:
    """The pack's programme declaration, or None when it has no programme.yaml; problems go on ``builder``."""
    return None
