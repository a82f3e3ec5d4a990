"""``govreach audit verify|anchor|export``: check the hash chain, print its head to publish, export a period.

``verify`` exits 0 with the number of records and the head hash, or 1 naming the first record that was
altered, removed or inserted.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from govreach.audit.chain import VerifyResult, verify_chain, verify_export_rows
from govreach.audit.models import AuditChainHead, AuditEntry
from govreach.audit.selectors import audit_entry_list_for_period, read_export, write_export


def _anchor(text: str) -> tuple[int, str]:
    seq, sep, digest = text.partition(":")
    if not (sep and seq.isdigit() and len(digest) == 64):
        raise ArgumentTypeError("an anchor is SEQ:HASH, as printed by `govreach audit anchor`")
    return int(seq), digest.lower()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise ArgumentTypeError("a date is YYYY-MM-DD") from error


class Command(BaseCommand):
    help = "The hash-chained audit log: verify it, print its head to publish (anchor), export a period."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True, metavar="{verify,anchor,export}")
        verify = sub.add_parser("verify", help="check the chain; exit 1 naming the first bad record")
        verify.add_argument("--from", dest="start", type=int, default=1, help="first record to check")
        verify.add_argument(
            "--anchor", action="append", type=_anchor, default=[], help="SEQ:HASH published earlier"
        )
        verify.add_argument("--export", type=Path, help="verify an export file instead of the database")
        sub.add_parser("anchor", help="print the chain head (seq and hash) to publish")
        export = sub.add_parser("export", help="write a period's records, with their hashes")
        export.add_argument("--from", dest="date_from", type=_date, required=True, help="first day (UTC)")
        export.add_argument("--to", dest="date_to", type=_date, required=True, help="last day (UTC)")
        export.add_argument("--out", type=Path, required=True, help="file.csv or file.jsonl")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["command"]
        if command == "verify":
            self._verify(options)
        elif command == "anchor":
            self._print_anchor()
        else:
            self._export(options)

    def _verify(self, options: dict[str, Any]) -> None:
        result: VerifyResult
        if options["export"] is not None:
            result = verify_export_rows(read_export(options["export"]))
        else:
            if options["start"] < 1:
                raise CommandError("--from is a record number, 1 or more")
            result = verify_chain(start=options["start"], anchors=dict(options["anchor"]))
        if result.problem is not None:
            raise CommandError(
                f"audit chain broken at record {result.problem.seq} ({result.problem.kind}): "
                f"{result.problem.message}; {result.checked} record(s) before it verified",
                returncode=1,
            )
        self.stdout.write(
            f"audit chain OK: {result.checked} record(s) verified, head {result.last_seq} {result.head_hash}"
        )

    def _print_anchor(self) -> None:
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is None or head.seq == 0:
            self.stdout.write("the audit log is empty")
            return
        entry = AuditEntry.objects.filter(seq=head.seq).first()
        at = entry.created_at.isoformat() if entry is not None else "?"
        self.stdout.write(f"{head.seq}:{head.hash} {at}")

    def _export(self, options: dict[str, Any]) -> None:
        if options["date_to"] < options["date_from"]:
            raise CommandError("--to is before --from")
        out: Path = options["out"]
        fmt = "csv" if out.suffix.lower() == ".csv" else "jsonl"
        entries = audit_entry_list_for_period(date_from=options["date_from"], date_to=options["date_to"])
        with out.open("w", encoding="utf-8", newline="") as handle:
            count = write_export(entries, handle, fmt=fmt)
        self.stdout.write(f"{count} record(s) written to {out}")
