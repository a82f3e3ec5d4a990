"""``forms/*.yaml``: the questions a service asks, page by page. Implemented by the cases work (issue 4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder
    from govreach.rules.model import RuleSet


def load_forms(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> dict[str, Any]:
    """Every form of the pack by id; problems are reported on ``builder``. No forms/ folder: no forms."""
    return {}
