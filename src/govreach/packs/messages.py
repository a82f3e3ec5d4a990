"""``messages/<lang>.yaml``: what the service tells people, per language (the notify work, issue 4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govreach.packs.loader import _PackBuilder


def load_messages(builder: _PackBuilder, path: Path, languages: tuple[str, ...]) -> dict[str, Any]:
    """Messages by language then id; problems go on ``builder``. No messages/ folder: no messages."""
    return {}
