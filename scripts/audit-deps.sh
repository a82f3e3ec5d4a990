#!/usr/bin/env bash
# Dependency audit: every locked package (uv.lock) checked by pip-audit against the PyPI advisory database.
# A known vulnerability fails the build, naming the package, the advisory and the fixed version.
# When the advisory service cannot be reached (a machine whose package index serves packages but not the
# per-version JSON that carries advisories, nor OSV), scripts/audit_fallback.py audits what PyPI's project
# JSON can honestly tell: the packages locked at their latest release are checked against its advisories,
# the others are listed as not checked. When even that JSON does not answer, the audit says so loudly and
# does not pretend to pass or fail.
set -uo pipefail
UV=${UV:-uv}
req=$(mktemp)
trap 'rm -f "$req"' EXIT
$UV export --frozen --format requirements-txt --no-hashes --no-emit-project >"$req"
out=$($UV run --frozen pip-audit -r "$req" --no-deps --disable-pip --progress-spinner off 2>&1)
status=$?
total=$(grep -cE '^[A-Za-z0-9]' "$req")
unreachable=$(grep -c "could not be audited" <<<"$out")
offline="requests\.exceptions\.(ConnectionError|ProxyError|ConnectTimeout|ReadTimeout|SSLError)"
if [ "$status" -ne 0 ] && grep -qE "$offline" <<<"$out"; then
  unreachable=$total  # pip-audit gave up on its first request: no network to its service at all
fi
if [ "$status" -ne 0 ] && grep -qE "^Name +Version +ID" <<<"$out"; then
  echo "$out"
  echo "dependency audit: known vulnerabilities found (above): upgrade the named packages in uv.lock"
  exit 1
fi
if [ "$unreachable" -gt 0 ]; then
  $UV run --frozen python "$(dirname "$0")/audit_fallback.py" "$req"
  fallback=$?
  [ "$fallback" -ne 3 ] && exit "$fallback"  # 3: PyPI's project JSON did not answer either
  echo "dependency audit NOT DONE for $unreachable of $total packages: the advisory service did not answer"
  echo "(pip-audit needs PyPI's per-version JSON API; run 'make audit-deps' where it is reachable)."
  exit 0
fi
echo "$out" | tail -3
exit "$status"
