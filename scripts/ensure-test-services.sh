#!/usr/bin/env bash
# Install what the test suite needs beyond Python packages: a PostgreSQL server and Chromium
# (for the browser tests), from Debian's packages. Does nothing when they are already there.
set -euo pipefail

need=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "The tests need: ${need[*]}. Install them with your package manager" >&2
  echo "(Debian/Ubuntu: sudo apt-get install ${need[*]}), then run make test again." >&2
  exit 1
fi
echo "Installing ${need[*]} from Debian's packages (once per machine)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts a cluster of its own on install; the tests use a throwaway one instead.
service postgresql stop >/dev/null 2>&1 || true
