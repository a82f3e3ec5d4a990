"""``govreach restore FILE [--force]``: a backup back into a migrated, empty instance."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govreach.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a 'govreach backup' archive after checking it against its manifest. The target must be "
        "migrated and empty; --force replaces whatever it holds."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="empty the database and the media folder first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_restore(archive=options["archive"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"restored {sum(manifest.counts.values())} rows in {len(manifest.counts)} models and "
            f"{len(manifest.media_files)} files, made {manifest.created_at}; all match the manifest"
        )
