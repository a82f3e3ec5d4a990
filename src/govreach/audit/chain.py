"""Verifying the audit chain: walk it in ``seq`` order and name the first record that does not hold.

The walk reads fixed-size pages by key (``seq > last``), so memory stays flat however long the log.
What is wrong is told apart by looking one record ahead:

- ``removed``: ``seq`` jumps (a record is missing), or the head row says the chain is longer than it is.
- ``altered``: the record's hash no longer matches its content, but the next record still links to it.
- ``inserted``: the record's hash does not match and the next record links to the record before it,
  as if this one were not there.
- ``broken_link``: the record's ``prev_hash`` is not the previous record's hash.
- ``anchor``: a published anchor (seq and hash) no longer matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govreach.audit.log import canonical_fields, entry_hash, hash_fields
from govreach.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

PAGE_SIZE = 2000


@dataclass(frozen=True)
class ChainProblem:
    """The first record that does not hold, and why (``kind`` as in the module docstring)."""

    seq: int
    kind: str
    message: str


@dataclass(frozen=True)
class VerifyResult:
    """``checked`` records verified; ``head_hash`` is the last good hash; ``problem`` is None if sound."""

    checked: int
    last_seq: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def is_ok(self) -> bool:
        return self.problem is None


def iter_entries(
    *, start: int = 1, end: int | None = None, page_size: int = PAGE_SIZE
) -> Iterator[AuditEntry]:
    """Entries with ``start <= seq (<= end)`` in order, fetched a page at a time."""
    last = start - 1
    while True:
        page = AuditEntry.objects.filter(seq__gt=last).order_by("seq")
        if end is not None:
            page = page.filter(seq__lte=end)
        rows = list(page[:page_size])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _classify_bad_hash(
    entry: AuditEntry, expected_prev: str, following: AuditEntry | None, head_seq: int | None
) -> ChainProblem:
    if following is not None and following.prev_hash == entry.hash:
        return ChainProblem(
            entry.seq, "altered", f"record {entry.seq} was altered: its content no longer matches its hash"
        )
    if (following is not None and following.prev_hash == expected_prev) or (
        following is None and head_seq is not None and entry.seq > head_seq
    ):
        return ChainProblem(
            entry.seq,
            "inserted",
            f"record {entry.seq} was inserted: the next record links to record {entry.seq - 1}, not to it",
        )
    return ChainProblem(
        entry.seq,
        "altered",
        f"record {entry.seq} was altered or re-hashed without the key: its hash does not match its content",
    )


def verify_entries(
    entries: Iterable[AuditEntry],
    *,
    start: int = 1,
    expected_prev: str = GENESIS_HASH,
    key: bytes | None = None,
    anchors: Mapping[int, str] | None = None,
    head_seq: int | None = None,
) -> VerifyResult:
    """Check ``entries`` (in ``seq`` order, the first being ``start``) link from ``expected_prev``;
    ``head_seq`` (the head row's) tells a forged last record appended behind its back."""
    anchors = dict(anchors or {})
    expected_seq = start
    checked = 0
    iterator = iter(entries)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        problem: ChainProblem | None = None
        if current.seq != expected_seq:
            problem = ChainProblem(
                expected_seq,
                "removed",
                f"record {expected_seq} is missing (removed): the chain goes on at record {current.seq}",
            )
        elif entry_hash(current, key=key) != current.hash:
            problem = _classify_bad_hash(current, expected_prev, following, head_seq)
        elif current.prev_hash != expected_prev:
            problem = ChainProblem(
                current.seq,
                "broken_link",
                f"record {current.seq} does not link to record {current.seq - 1}: its previous hash differs",
            )
        elif current.seq in anchors and anchors.pop(current.seq) != current.hash:
            problem = ChainProblem(
                current.seq, "anchor", f"record {current.seq} does not match the published anchor"
            )
        if problem is not None:
            return VerifyResult(checked, expected_seq - 1, expected_prev, problem)
        checked += 1
        expected_prev = current.hash
        expected_seq += 1
        current = following
    last_seq = expected_seq - 1
    if anchors:
        missing = min(anchors)
        if missing > last_seq:
            problem = ChainProblem(
                missing, "removed", f"record {missing} is anchored but missing: records were removed"
            )
        else:
            problem = ChainProblem(missing, "anchor", f"record {missing} is not in the range checked")
        return VerifyResult(checked, last_seq, expected_prev, problem)
    return VerifyResult(checked, last_seq, expected_prev, None)


def verify_chain(
    *, start: int = 1, key: bytes | None = None, anchors: Mapping[int, str] | None = None
) -> VerifyResult:
    """Verify the stored chain from record ``start`` (trusting record ``start - 1``) up to the head row."""
    expected_prev = GENESIS_HASH
    if start > 1:
        before = AuditEntry.objects.filter(seq=start - 1).first()
        if before is None:
            problem = ChainProblem(start - 1, "removed", f"record {start - 1} is missing (removed)")
            return VerifyResult(0, start - 1, "", problem)
        expected_prev = before.hash
    anchors = {seq: h for seq, h in (anchors or {}).items() if seq >= start}
    head = AuditChainHead.objects.filter(pk=1).first()
    result = verify_entries(
        iter_entries(start=start),
        start=start,
        expected_prev=expected_prev,
        key=key,
        anchors=anchors,
        head_seq=head.seq if head is not None else None,
    )
    if not result.is_ok:
        return result
    # Re-read the head: entries appended while we walked are not a problem, a missing one is.
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
    if head is None and result.last_seq > 0:
        problem = ChainProblem(result.last_seq, "removed", "the chain head row is missing")
        return VerifyResult(result.checked, result.last_seq, result.head_hash, problem)
    if head_seq > result.last_seq:
        if AuditEntry.objects.filter(seq=result.last_seq + 1).exists():
            return result  # appended after the walk passed; verified up to last_seq
        problem = ChainProblem(
            result.last_seq + 1,
            "removed",
            f"record {result.last_seq + 1} is missing (removed): the head says the last record is {head_seq}",
        )
        return VerifyResult(result.checked, result.last_seq, result.head_hash, problem)
    if head_seq < result.last_seq:
        problem = ChainProblem(
            head_seq + 1,
            "inserted",
            f"record {head_seq + 1} was inserted: the chain head says the last record is {head_seq}",
        )
        return VerifyResult(result.checked, result.last_seq, result.head_hash, problem)
    if head_hash != result.head_hash:
        problem = ChainProblem(head_seq, "altered", f"the chain head does not match record {head_seq}")
        return VerifyResult(result.checked, result.last_seq, result.head_hash, problem)
    return result


def export_fields(entry: AuditEntry) -> dict[str, Any]:
    """One export record: the hashed fields plus the hash, so the export can be verified on its own."""
    return {**canonical_fields(entry), "hash": entry.hash}


def verify_export_rows(rows: Iterable[Mapping[str, Any]], *, key: bytes | None = None) -> VerifyResult:
    """Check exported records (``export_fields`` dicts, in order): each hash, and each link to the one before.

    The first record's own link cannot be checked from the export alone; compare it with the live chain.
    """
    checked = 0
    previous: Mapping[str, Any] | None = None
    last_hash = ""
    last_seq = 0
    for row in rows:
        fields = {k: v for k, v in row.items() if k != "hash"}
        seq = int(row["seq"])
        if previous is not None and seq != int(previous["seq"]) + 1:
            return VerifyResult(
                checked,
                last_seq,
                last_hash,
                ChainProblem(
                    int(previous["seq"]) + 1, "removed", f"record {int(previous['seq']) + 1} is missing"
                ),
            )
        if hash_fields(fields, key=key) != row["hash"]:
            return VerifyResult(
                checked,
                last_seq,
                last_hash,
                ChainProblem(seq, "altered", f"record {seq} does not match its hash"),
            )
        if previous is not None and row["prev_hash"] != previous["hash"]:
            return VerifyResult(
                checked,
                last_seq,
                last_hash,
                ChainProblem(seq, "broken_link", f"record {seq} does not link to record {seq - 1}"),
            )
        checked += 1
        previous = row
        last_hash = str(row["hash"])
        last_seq = seq
    return VerifyResult(checked, last_seq, last_hash, None)
