"""YAML loading that remembers where every value stood, so errors can name the line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded YAML document and the (line, column) of every value, keyed by its path."""

    data: Any
    positions: dict[Path_, tuple[int, int]]

    def line_of(self, path: Path_) -> int | None:
        """The line of ``path`` or of its nearest ancestor present in the file."""
        for i in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:i]))
            if pos is not None:
                return pos[0]
        return None


class YamlSyntaxError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load_located(path: Path) -> Located:
    """Parse ``path`` with the safe loader; raise YamlSyntaxError with the line of a syntax error."""
    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise YamlSyntaxError(str(exc.problem or exc), mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    positions: dict[Path_, tuple[int, int]] = {}
    if node is None:
        return Located(None, positions)
    constructor = yaml.SafeLoader("")

    def build(n: yaml.Node, at: Path_) -> Any:
        positions[at] = (n.start_mark.line + 1, n.start_mark.column + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                # Keys stay as written ("yes" is a key, not True), except dates (dated values).
                built = constructor.construct_object(key_node, deep=True)
                key: Any = built if isinstance(built, dt.date) else str(key_node.value)
                label = key.isoformat() if isinstance(key, dt.date) else key
                if key in out:
                    raise YamlSyntaxError(f"the key '{label}' appears twice", key_node.start_mark.line + 1)
                out[key] = build(value_node, (*at, label))
                positions[(*at, label)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*at, i)) for i, item in enumerate(n.value)]
        return constructor.construct_object(n, deep=True)

    return Located(build(node, ()), positions)
