"""Backup and restore of a GovReach instance: every database row and every uploaded file, in one archive.

The archive is a gzipped tar, portable between SQLite and PostgreSQL:

- ``manifest.json`` first: the format, when it was made, the migrations the data belongs to, the number
  of rows per model and the SHA-256 and size of every other member;
- ``database.json``: Django's ``dumpdata`` with natural foreign keys (content types and users by name),
  models in dependency order, read in one snapshot transaction (REPEATABLE READ on PostgreSQL);
- ``media/<path>``: every file under ``MEDIA_ROOT`` (uploaded documents, issued records).

Content types, permissions (made again by ``migrate``) and sessions (everyone signs in again) are left
out. Restoring checks the whole archive against its manifest before writing anything, refuses a target
that holds data unless forced, then loads the rows in one transaction and the files, and checks the result
against the manifest again. For very large registries, PostgreSQL's own pg_dump is faster; this route is
the one that works everywhere and can be verified record by record.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model
from django.utils import timezone

FORMAT = "govreach-backup/1"
MANIFEST = "manifest.json"
DATABASE = "database.json"
MEDIA_PREFIX = "media/"
EXCLUDED_APPS = ("contenttypes", "sessions")
EXCLUDED_MODELS = ("auth.permission",)
_CHUNK = 1 << 20


class BackupError(Exception):
    """The archive cannot be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    """What an archive holds: rows per model (``app_label.model``), and each member's digest and size."""

    created_at: str
    migrations: list[str]
    counts: dict[str, int]
    files: dict[str, dict[str, Any]]  # member name -> {"sha256": ..., "size": ...}

    def to_json(self) -> bytes:
        return json.dumps(
            {"format": FORMAT, "created_at": self.created_at, "migrations": self.migrations,
             "counts": self.counts, "files": self.files},
            indent=1, sort_keys=True,
        ).encode()  # fmt: skip

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError(f"not a GovReach backup of format {FORMAT} (found {raw.get('format')!r})")
            return cls(
                created_at=str(raw["created_at"]),
                migrations=[str(m) for m in raw["migrations"]],
                counts={str(k): int(v) for k, v in raw["counts"].items()},
                files={
                    str(k): {"sha256": str(v["sha256"]), "size": int(v["size"])}
                    for k, v in raw["files"].items()
                },
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest is unreadable: {type(exc).__name__}: {exc}") from None

    @property
    def media_files(self) -> dict[str, dict[str, Any]]:
        """Media members by their path under MEDIA_ROOT."""
        return {
            name.removeprefix(MEDIA_PREFIX): f
            for name, f in self.files.items()
            if name.startswith(MEDIA_PREFIX)
        }


def _included_models() -> list[type[Model]]:
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in EXCLUDED_APPS
        and m._meta.label_lower not in EXCLUDED_MODELS
        and m._meta.managed
        and not m._meta.proxy
    ]


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in _included_models()}


def _applied_migrations() -> list[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def _sha256(stream: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent read of the whole database: every model as of the same instant."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":  # must be the transaction's first statement
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def backup_write(*, out: Path) -> Manifest:
    """Write the archive of the database and MEDIA_ROOT to ``out`` (refused if it exists); its manifest."""
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new file name, a backup never overwrites one")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".govreach-backup-") as tmp:
        dump = Path(tmp) / DATABASE
        with _snapshot():
            counts = _counts()
            migrations = _applied_migrations()
            call_command(
                "dumpdata",
                natural_foreign=True,
                use_base_manager=True,
                exclude=[*EXCLUDED_APPS, *EXCLUDED_MODELS],
                output=str(dump),
                verbosity=0,
            )
        files: dict[str, dict[str, Any]] = {}
        with dump.open("rb") as stream:
            sha, size = _sha256(stream)
        files[DATABASE] = {"sha256": sha, "size": size}
        root = _media_root()
        media = _media_files(root)
        for path in media:
            with path.open("rb") as stream:
                sha, size = _sha256(stream)
            files[MEDIA_PREFIX + path.relative_to(root).as_posix()] = {"sha256": sha, "size": size}
        manifest = Manifest(
            created_at=timezone.now().isoformat(), migrations=migrations, counts=counts, files=files
        )
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            body = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(timezone.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname=DATABASE, recursive=False)
            for path in media:
                tar.add(path, arcname=MEDIA_PREFIX + path.relative_to(root).as_posix(), recursive=False)
        os.replace(partial, out)  # all or nothing: no half-written backup under the final name
    return manifest


def _safe_media_path(name: str) -> PurePosixPath:
    relative = PurePosixPath(name.removeprefix(MEDIA_PREFIX))
    if relative.is_absolute() or not relative.parts or ".." in relative.parts:
        raise BackupError(f"the archive holds a file outside the media folder: {name!r}")
    return relative


def backup_verify(archive: Path) -> Manifest:
    """Read the whole archive and check every member against the manifest; its manifest, or BackupError."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupError(f"{archive} does not start with {MANIFEST}: not a GovReach backup")
            stream = tar.extractfile(first)
            assert stream is not None
            manifest = Manifest.from_json(stream.read())
            seen: set[str] = set()
            for member in tar:  # from the first member again: the manifest is skipped below
                if member.name == MANIFEST and member.offset == first.offset:
                    continue
                if member.name not in manifest.files:
                    raise BackupError(f"the archive holds {member.name!r}, which its manifest does not list")
                if not member.isfile():
                    raise BackupError(f"{member.name!r} is not a regular file (links are never restored)")
                if member.name.startswith(MEDIA_PREFIX):
                    _safe_media_path(member.name)
                content = tar.extractfile(member)
                assert content is not None
                sha, size = _sha256(content)
                expected = manifest.files[member.name]
                if (sha, size) != (expected["sha256"], expected["size"]):
                    raise BackupError(f"{member.name!r} does not match its SHA-256 in the manifest: damaged")
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive} cannot be read: {type(exc).__name__}: {exc}") from None
    missing = sorted(set(manifest.files) - seen)
    if missing:
        raise BackupError(f"the archive lacks {len(missing)} file(s) its manifest lists, e.g. {missing[0]!r}")
    if DATABASE not in seen:
        raise BackupError(f"the archive holds no {DATABASE}")
    return manifest


def database_flush() -> None:
    """Empty every table (Django's ``flush``), also inside a transaction that already wrote rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # TRUNCATE refuses tables with deferred foreign-key checks still pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)


def instance_holdings() -> tuple[dict[str, int], int]:
    """Rows per non-empty model and the number of files under MEDIA_ROOT: (all zero) for an empty instance."""
    rows = {label: n for label, n in _counts().items() if n}
    return rows, len(_media_files(_media_root()))


def backup_restore(*, archive: Path, force: bool = False) -> Manifest:
    """Restore ``archive`` into this instance (migrated, empty unless ``force``); its manifest.

    Nothing is written before the whole archive is checked. With ``force`` the database is flushed and
    MEDIA_ROOT emptied first. After loading, rows per model and every file's SHA-256 are checked again.
    """
    manifest = backup_verify(archive)
    applied = _applied_migrations()
    if not applied:
        raise BackupError("this database has no tables yet: run 'govreach migrate' first, then restore")
    if applied != manifest.migrations:
        extra = sorted(set(applied) - set(manifest.migrations))
        lacking = sorted(set(manifest.migrations) - set(applied))
        raise BackupError(
            "the archive was made with another version of GovReach's database "
            f"(here only: {extra[:3] or 'none'}; in the archive only: {lacking[:3] or 'none'}); "
            "restore with the GovReach version that made it, then upgrade"
        )
    rows, files = instance_holdings()
    if (rows or files) and not force:
        raise BackupError(
            f"this instance is not empty ({sum(rows.values())} row(s) in {len(rows)} model(s), {files} "
            "uploaded file(s)): restore into a fresh one, or pass --force to replace everything in it"
        )
    root = _media_root()
    with tempfile.TemporaryDirectory(prefix=".govreach-restore-") as tmp:
        staging = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                target = staging / (
                    DATABASE if member.name == DATABASE else "media" / Path(_safe_media_path(member.name))
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with target.open("wb") as sink:
                    shutil.copyfileobj(source, sink, _CHUNK)
        with transaction.atomic():
            if force:
                database_flush()
            call_command("loaddata", str(staging / DATABASE), verbosity=0)
            loaded = _counts()
            if loaded != manifest.counts:
                wrong = {k: (loaded.get(k), n) for k, n in manifest.counts.items() if loaded.get(k) != n}
                raise BackupError(
                    f"rows per model differ from the manifest after loading (found, expected): {wrong}"
                )
        if force and root.exists():
            for child in root.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        for relative in manifest.media_files:
            destination = root / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / "media" / relative, destination)
    for relative, expected in manifest.media_files.items():
        with (root / relative).open("rb") as stream:
            if _sha256(stream) != (expected["sha256"], expected["size"]):
                raise BackupError(f"media/{relative} differs from the manifest after restoring")
    return manifest
