"""After a load test: every accepted submission exists exactly once, whole; then the figures.

``python loadtest/check.py --references REFS.jsonl --stats CSV [--media DIR] [--min-submissions N]
[--max-errors N] [--min-ratio R]`` with ``LOADTEST_DATABASE_URL``. Exit status 1 when a check fails.

Checks, for each reference the simulated citizens were given (loadtest/locustfile.py records them):
one application with that reference, submitted; every one of its documents on disk with the SHA-256
recorded at upload; its "application received" SMS in the outbox exactly once. Then prints requests per
second, p50/p95/p99 latency and errors per endpoint (locust's CSV), and the capacity ratio of the
eligibility API to the trivial /healthz/ view, each measured alone at the end of the same run.

It reads the database with plain SQL (psycopg), not through Django: starting Django costs more than the
check itself, and the checker should not share the code it checks.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path

import psycopg

DOCUMENTS_PER_APPLICATION = 5
CAPACITY_HEALTH = "capacity: healthz alone"
CAPACITY_API = "capacity: eligibility API alone"


def check_submissions(references_file: Path, media: Path, database_url: str) -> tuple[int, int, list[str]]:
    """(accepted submissions, applications submitted in the database, problems)."""
    lines = references_file.read_text(encoding="utf-8").splitlines() if references_file.exists() else []
    given = Counter(json.loads(line)["reference"] for line in lines if line.strip())
    problems = [f"{ref}: given to {n} submissions" for ref, n in given.items() if n > 1]
    with psycopg.connect(database_url, autocommit=True) as db:
        rows = db.execute(
            "SELECT reference, id, state FROM cases_application WHERE reference = ANY(%s)", (list(given),)
        ).fetchall()
        found = Counter(reference for reference, _, _ in rows)
        applications = {reference: (pk, state) for reference, pk, state in rows}
        ids = [pk for pk, _ in applications.values()]
        documents: dict[int, list[tuple[str, str, str]]] = {}
        for application_id, kind, name, sha in db.execute(
            "SELECT application_id, kind, file, sha256 FROM cases_document WHERE application_id = ANY(%s)",
            (ids,),
        ):
            documents.setdefault(application_id, []).append((kind, name, sha))
        received = Counter(
            key
            for (key,) in db.execute(
                "SELECT dedupe_key FROM notify_outboxmessage WHERE dedupe_key = ANY(%s)",
                ([f"cases:{pk}:submitted" for pk in ids],),
            )
        )
        (submitted_in_db,) = db.execute(
            "SELECT count(*) FROM cases_application WHERE reference IS NOT NULL"
        ).fetchone() or (0,)
    for reference in sorted(given):
        if found[reference] != 1:
            problems.append(f"{reference}: accepted, but {found[reference]} applications have this reference")
            continue
        pk, state = applications[reference]
        if state == "draft":
            problems.append(f"{reference}: still a draft")
        mine = documents.get(pk, [])
        if len(mine) != DOCUMENTS_PER_APPLICATION:
            problems.append(f"{reference}: {len(mine)} documents, expected {DOCUMENTS_PER_APPLICATION}")
        for kind, name, sha in mine:
            try:
                digest = hashlib.sha256((media / name).read_bytes()).hexdigest()
            except OSError:
                problems.append(f"{reference}: document {kind} missing on disk")
                continue
            if digest != sha:
                problems.append(f"{reference}: document {kind} differs from its recorded SHA-256")
        if received[f"cases:{pk}:submitted"] != 1:
            problems.append(
                f"{reference}: {received[f'cases:{pk}:submitted']} 'application received' SMS, expected 1"
            )
    return sum(given.values()), int(submitted_in_db), problems


def read_stats(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _rps(rows: list[dict[str, str]], name: str) -> float:
    row = next((r for r in rows if r["Name"] == name), None)
    return float(row["Requests/s"]) if row else 0.0


def print_stats(title: str, rows: list[dict[str, str]]) -> int:
    """Print one locust run's figures; return its failed requests."""
    print(f"\n{title}")
    print(
        f"  {'endpoint':<40} {'requests':>8} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    )
    for row in rows:
        name = row["Name"] if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(
            f"  {name[:40]:<40} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>8.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    return sum(int(r["Failure Count"]) for r in rows if r["Name"] != "Aggregated")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--references", type=Path, required=True)
    parser.add_argument("--stats", type=Path, nargs="+", required=True, help="locust's *_stats.csv files")
    parser.add_argument(
        "--media", type=Path, default=Path(os.environ.get("GOVREACH_VAR_DIR", "var")) / "media"
    )
    parser.add_argument("--min-submissions", type=int, default=1)
    parser.add_argument("--max-errors", type=int, default=None, help="failed requests allowed (default: any)")
    parser.add_argument("--min-ratio", type=float, default=None, help="eligibility API rps / healthz rps")
    args = parser.parse_args()

    failed = False
    rows: list[dict[str, str]] = []
    errors = 0
    for path in args.stats:
        these = read_stats(path)
        errors += print_stats(f"Requests per endpoint ({path.name})", these)
        rows += [r for r in these if r["Name"] != "Aggregated"]
    health, api = _rps(rows, CAPACITY_HEALTH), _rps(rows, CAPACITY_API)
    ratio = api / health if health else 0.0
    print(
        f"\neligibility API {api:.1f} req/s / trivial view {health:.1f} req/s = ratio {ratio:.2f} "
        "(target >= 0.5)"
    )
    if args.min_ratio is not None and ratio < args.min_ratio:
        print(f"FAIL: ratio {ratio:.2f} below {args.min_ratio}")
        failed = True
    if args.max_errors is not None and errors > args.max_errors:
        print(f"FAIL: {errors} failed requests (allowed {args.max_errors})")
        failed = True

    accepted, in_db, problems = check_submissions(
        args.references, args.media, os.environ["LOADTEST_DATABASE_URL"]
    )
    print(
        f"\n{accepted} accepted submissions checked ({in_db} submitted in the database): "
        f"{len(problems)} problem(s)"
    )
    for problem in problems[:50]:
        print(f"  {problem}")
    if problems:
        failed = True
    if accepted < args.min_submissions:
        print(f"FAIL: {accepted} accepted submissions, expected at least {args.min_submissions}")
        failed = True
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        "FAIL"
        if failed
        else "OK: every accepted submission exists exactly once, with its documents and its SMS"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
