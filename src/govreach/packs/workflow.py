"""``workflow.yaml``: states, transitions, roles, guards and deadlines (the cases work, issue 4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder
    from govreach.rules.model import RuleSet


def load_workflow(
    builder: _PackBuilder, path: Path, ruleset: RuleSet | None, languages: tuple[str, ...]
) -> Any:
    """The pack's workflow, or None when the pack has no workflow.yaml; problems go on ``builder``."""
    return None
