"""Find pack folders: a path may be one pack (it holds service.yaml) or a folder of packs."""

from __future__ import annotations

from pathlib import Path


def pack_folders(paths: list[str] | list[Path]) -> list[Path]:
    """Every pack folder named by ``paths``, in a stable order; a path that holds none is kept so that
    loading it reports the missing service.yaml."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / "service.yaml").exists() or not path.is_dir():
            found.append(path)
            continue
        children = sorted(p for p in path.iterdir() if p.is_dir() and (p / "service.yaml").exists())
        found.extend(children if children else [path])
    return found


def resolve_pack(name_or_path: str, packs_dir: Path) -> Path:
    """A pack given by folder or by id (looked up in ``packs_dir``)."""
    path = Path(name_or_path)
    if (path / "service.yaml").exists():
        return path
    return packs_dir / name_or_path
