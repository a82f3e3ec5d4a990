"""Reads of the audit log: entries by period and filters, and exports an auditor can verify on their own.

An export line holds every hashed field plus the hash (``chain.export_fields``), so
``govreach audit verify --export FILE`` re-checks each record and each link inside the period.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.db.models import Q, QuerySet

from govreach.audit.chain import export_fields
from govreach.audit.models import AuditEntry

EXPORT_COLUMNS = (
    "v",
    "seq",
    "created_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "acting_for_citizen_id",
    "action",
    "subject_type",
    "subject_id",
    "person_id",
    "channel",
    "client",
    "detail",
    "prev_hash",
    "hash",
)
_INT_COLUMNS = ("v", "seq", "actor_id", "acting_for_citizen_id", "person_id")
PAGE_SIZE = 2000


AUDITOR_GROUP = "auditor"


def is_auditor(user: Any) -> bool:
    """True for an active user in the Django group ``auditor``."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    return bool(user.groups.filter(name=AUDITOR_GROUP).exists())


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def audit_entry_list_for_period(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action: str = "",
    actor: str = "",
    person_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """Entries from ``date_from`` to ``date_to`` (whole UTC days, both included), newest first, filtered by
    action prefix (``case`` matches ``case.view``), actor username and person id."""
    entries = AuditEntry.objects.all()
    if date_from is not None:
        entries = entries.filter(created_at__gte=_day_start(date_from))
    if date_to is not None:
        entries = entries.filter(created_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if action:
        entries = entries.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if actor:
        entries = entries.filter(actor_username=actor)
    if person_id is not None:
        entries = entries.filter(person_id=person_id)
    return entries.order_by("-seq")


def iter_export_chunks(entries: QuerySet[AuditEntry], out: TextIO, *, fmt: str) -> Iterator[int]:
    """Write ``entries`` (oldest first) as ``jsonl`` or ``csv`` to ``out``, yielding the running count
    after the header and after each page, so a caller can stream the output page by page."""
    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    yield count
    last = 0
    while True:
        rows = list(entries.filter(seq__gt=last).order_by("seq")[:PAGE_SIZE])
        if not rows:
            return
        for entry in rows:
            row = export_fields(entry)
            if writer is not None:
                writer.writerow(
                    {**row, "detail": json.dumps(row["detail"], sort_keys=True, separators=(",", ":"))}
                )
            else:
                out.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
        last = rows[-1].seq
        yield count


def write_export(entries: QuerySet[AuditEntry], out: TextIO, *, fmt: str) -> int:
    """Write ``entries`` (oldest first) as ``jsonl`` or ``csv`` to ``out``; the number written."""
    count = 0
    for count in iter_export_chunks(entries, out, fmt=fmt):  # noqa: B007 - the last count is the total
        pass
    return count


def export_text(entries: QuerySet[AuditEntry], *, fmt: str) -> str:
    """The export as one string (for a download of a bounded period)."""
    buffer = io.StringIO()
    write_export(entries, buffer, fmt=fmt)
    return buffer.getvalue()


def read_export(path: Path) -> Iterator[dict[str, Any]]:
    """Records of an export file (CSV when the name ends in ``.csv``, else JSON lines), typed as exported."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            for raw in csv.DictReader(handle):
                row: dict[str, Any] = dict(raw)
                for column in _INT_COLUMNS:
                    row[column] = int(row[column]) if row[column] not in ("", None) else None
                row["detail"] = json.loads(row["detail"] or "{}")
                yield row
        else:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
