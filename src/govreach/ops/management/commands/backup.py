"""``govreach backup --out FILE``: the database and uploaded documents in one verified archive."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govreach.ops.backup import BackupError, backup_write


class Command(BaseCommand):
    help = "Write every database row and every uploaded file to a .tar.gz archive with a manifest."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="the archive to write (must not exist)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_write(out=options["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"wrote {options['out']}: {sum(manifest.counts.values())} rows in {len(manifest.counts)} models, "
            f"{len(manifest.media_files)} files"
        )
