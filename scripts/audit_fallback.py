"""The dependency audit's fallback when pip-audit's advisory service cannot be reached.

pip-audit reads PyPI's per-version JSON (``/pypi/NAME/VERSION/json``) or OSV; where neither answers,
PyPI's project JSON (``/pypi/NAME/json``) often still does. That document lists the advisories of the
project's *latest* release only (``vulnerabilities``, for ``info.version``), so it can honestly audit a
package locked at its latest release, and nothing else:

- locked at the latest release: checked; any advisory listed (not withdrawn) is a known vulnerability,
  printed with its id, aliases and fixed versions, and the audit fails;
- locked at another release: NOT checked (the advisories of older releases are not in this data). It is
  listed as such, with the latest release's advisories, which may or may not concern the locked
  version, and whether a fix newer than the locked version is listed;
- no answer for a package: not checked either.

Exit status: 1 when a known vulnerability is found, 3 when no project JSON could be fetched at all (the
caller says the audit was not done), else 0. Usage: ``python scripts/audit_fallback.py REQUIREMENTS``
(the output of ``uv export --format requirements-txt --no-hashes``).
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PROJECT_URL = "https://pypi.org/pypi/{name}/json"
TIMEOUT_SECONDS = 15
PARALLEL = 8
VULNERABLE, UNREACHABLE = 1, 3


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]

    def describe(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fixed = ", ".join(self.fixed_in) or "no fixed version listed"
        return f"{self.id}{aliases}, fixed in {fixed}"


@dataclass(frozen=True)
class Finding:
    """What the project JSON says about one locked package."""

    name: str
    locked: str
    latest: str | None  # None: no answer
    advisories: tuple[Advisory, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def is_checked(self) -> bool:
        return self.latest is not None and _same(self.locked, self.latest)

    @property
    def is_vulnerable(self) -> bool:
        return self.is_checked and bool(self.advisories)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _newer(fixed: str, than: str) -> bool:
    a, b = _version(fixed), _version(than)
    return a is not None and b is not None and a > b


def _same(a: str, b: str) -> bool:
    va, vb = _version(a), _version(b)
    return va == vb if va is not None and vb is not None else a == b


def locked_packages(requirements: str) -> list[tuple[str, str]]:
    """(name, version) of every ``name==version`` line, markers dropped; a package locked at two versions
    (one per Python version, say) appears twice."""
    found: set[tuple[str, str]] = set()
    for line in requirements.splitlines():
        line = line.split(";", 1)[0].strip()
        if not line or line.startswith(("#", "-")) or "==" not in line:
            continue
        name, version = (part.strip() for part in line.split("==", 1))
        found.add((canonicalize_name(name.split("[", 1)[0]), version))
    return sorted(found)


def assess(name: str, locked: str, project: dict[str, Any] | None) -> Finding:
    """The decision for one package from its project JSON (None: PyPI did not answer)."""
    if project is None:
        return Finding(name, locked, None)
    latest = str(project["info"]["version"])
    advisories = tuple(
        Advisory(
            str(v.get("id", "")),
            tuple(str(a) for a in v.get("aliases") or ()),
            tuple(str(f) for f in v.get("fixed_in") or ()),
        )
        for v in project.get("vulnerabilities") or ()
        if not v.get("withdrawn")
    )
    if _same(locked, latest) or not advisories:
        return Finding(name, locked, latest, advisories)
    # Behind (or ahead of) the latest release: its advisories may or may not concern the locked version.
    notes = []
    for advisory in advisories:
        newer = [f for f in advisory.fixed_in if _newer(f, locked)]
        hint = f"a fix newer than {locked}: {', '.join(newer)}" if newer else f"no fix newer than {locked}"
        notes.append(f"advisory on {latest}, may or may not concern {locked}: {advisory.describe()} ({hint})")
    return Finding(name, locked, latest, advisories, tuple(notes))


def report(findings: list[Finding]) -> tuple[list[str], int]:
    """The lines to print and the exit status."""
    if findings and all(f.latest is None for f in findings):
        return [], UNREACHABLE
    lines = [
        "dependency audit (fallback): pip-audit's advisory service did not answer. PyPI's project JSON",
        "lists the advisories of each project's latest release: only packages locked there are checked.",
    ]
    for f in findings:
        if f.is_vulnerable:
            for advisory in f.advisories:
                lines.append(f"VULNERABLE {f.name} {f.locked}: {advisory.describe()}")
    unchecked = [f for f in findings if not f.is_checked]
    for f in unchecked:
        if f.latest is None:
            lines.append(f"not checked here: {f.name} {f.locked} (PyPI did not answer)")
        else:
            lines.append(f"not checked here: {f.name} (locked {f.locked}, latest {f.latest})")
        lines.extend(f"  {note}" for note in f.notes)
    checked = len(findings) - len(unchecked)
    names = ", ".join(f"{f.name} {f.locked}" for f in unchecked) or "none"
    lines.append(
        f"dependency audit: {checked} of {len(findings)} packages checked against PyPI advisories, "
        f"{len(unchecked)} not checkable here ({names})"
    )
    vulnerable = [f for f in findings if f.is_vulnerable]
    if vulnerable:
        lines.append(
            "dependency audit: known vulnerabilities found (above): upgrade the named packages in uv.lock"
        )
        return lines, VULNERABLE
    return lines, 0


def fetch_projects(names: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each project's JSON from PyPI, a few at a time; None for a project that did not answer."""
    import httpx

    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True) as client:

        def one(name: str) -> dict[str, Any] | None:
            try:
                response = client.get(PROJECT_URL.format(name=name))
                response.raise_for_status()
                data: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError):
                return None
            return data

        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            return dict(zip(names, pool.map(one, names), strict=True))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: audit_fallback.py REQUIREMENTS", file=sys.stderr)
        return 2
    packages = locked_packages(Path(argv[1]).read_text(encoding="utf-8"))
    projects = fetch_projects(sorted({name for name, _ in packages}))
    lines, status = report([assess(name, version, projects[name]) for name, version in packages])
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
