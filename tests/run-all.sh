#!/usr/bin/env bash
# Tollgate's single test command (run from anywhere; works from the repository root of a clean clone).
#   1. installs what the tests need, without asking (npm packages into tests/node, apt packages when missing);
#   2. builds the solution once (Release);
#   3. runs every test project of Tollgate.slnx (dotnet test --no-build), one TRX file per project;
#   4. counts the outcomes of ALL the TRX files and prints, as the last line:
#        N passed, N failed[, N skipped]
# Exits non-zero when the build fails, any test fails, or no test ran.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONFIGURATION="${CONFIGURATION:-Release}"
RESULTS_DIR="${TOLLGATE_TEST_RESULTS:-$ROOT/TestResults}"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false

log() { printf '\n==> %s\n' "$*" >&2; }

# apt_install PKG... : installs only the packages that are missing; runs `apt-get update` at most once.
APT_UPDATED=0
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && SUDO="sudo -n" || { echo "apt_install: need root to install ${missing[*]}" >&2; return 1; }
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq || return 1
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

need() { command -v "$1" >/dev/null 2>&1 || { echo "run-all.sh: '$1' is required but not found" >&2; exit 2; }; }
need dotnet
need node
need npm
need python3

# ---------------------------------------------------------------- 1. test dependencies
log "npm packages (ws, wscat) into tests/node"
(
  cd tests/node
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
) || { echo "run-all.sh: npm install in tests/node failed" >&2; echo "0 passed, 0 failed"; exit 1; }

# Debian's chromium for the portal's browser tests (Playwright never downloads a browser here).
apt_install chromium || { echo "run-all.sh: installing chromium failed" >&2; echo "0 passed, 0 failed"; exit 1; }

# PostgreSQL for the store and cluster tests, which start their own throw-away server as the postgres user on
# 127.0.0.1 (tests/Tollgate.Testing/PostgresServer.cs), and HAProxy for the deploy/cluster.sh test: a temporary
# policy-rc.d keeps the packages from starting their own services (a cluster on 5432, haproxy on its default config).
CLUSTER_PACKAGES=()
for pkg in postgresql haproxy; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || CLUSTER_PACKAGES+=("$pkg")
done
if [ "${#CLUSTER_PACKAGES[@]}" -gt 0 ]; then
  ADDED_POLICY=0
  if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && ADDED_POLICY=1
  fi
  apt_install "${CLUSTER_PACKAGES[@]}"; PKG_STATUS=$?
  [ "$ADDED_POLICY" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$PKG_STATUS" -eq 0 ] || { echo "run-all.sh: installing ${CLUSTER_PACKAGES[*]} failed" >&2; echo "0 passed, 0 failed"; exit 1; }
fi

# ---------------------------------------------------------------- 2. build once
log "dotnet build -c $CONFIGURATION"
if ! dotnet build Tollgate.slnx -c "$CONFIGURATION" --nologo; then
  echo "run-all.sh: the build failed" >&2
  echo "0 passed, 0 failed"
  exit 1
fi

# ---------------------------------------------------------------- 3. run the tests
# Every test project of the solution, each with its own TRX file: with one `dotnet test Tollgate.slnx`
# and a fixed LogFileName every project would overwrite the same file.
rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"
mapfile -t TEST_PROJECTS < <(dotnet sln Tollgate.slnx list 2>/dev/null | tr '\\' '/' | grep -E '^tests/.*\.Tests\.csproj$' | sort)
if [ "${#TEST_PROJECTS[@]}" -eq 0 ]; then
  echo "run-all.sh: Tollgate.slnx lists no test project under tests/" >&2
fi
TEST_EXIT=0
for proj in "${TEST_PROJECTS[@]}"; do
  name="$(basename "$proj" .csproj)"
  log "dotnet test $proj (results in $RESULTS_DIR/$name.trx)"
  dotnet test "$proj" --no-build -c "$CONFIGURATION" \
    --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=normal" \
    --results-directory "$RESULTS_DIR" \
    --blame-hang-timeout 10m || TEST_EXIT=1
done

# ---------------------------------------------------------------- 4. count outcomes from every TRX file
SUMMARY="$(python3 - "$RESULTS_DIR" <<'PY'
import sys, pathlib, xml.etree.ElementTree as ET
root = pathlib.Path(sys.argv[1])
passed = failed = skipped = 0
files = sorted(root.rglob("*.trx"))
for f in files:
    try:
        tree = ET.parse(f)
    except ET.ParseError as e:
        print(f"cannot parse {f}: {e}", file=sys.stderr)
        failed += 1
        continue
    for el in tree.iter():
        if el.tag.rsplit('}', 1)[-1] != "UnitTestResult":
            continue
        outcome = el.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome in ("NotExecuted", "Inconclusive", "Skipped"):
            skipped += 1
        else:  # Failed, Error, Timeout, Aborted, ...
            failed += 1
print(f"{len(files)} {passed} {failed} {skipped}")
PY
)" || SUMMARY="0 0 0 0"
read -r TRX_FILES PASSED FAILED SKIPPED <<<"$SUMMARY"

LINE="$PASSED passed, $FAILED failed"
[ "$SKIPPED" -gt 0 ] && LINE="$LINE, $SKIPPED skipped"

STATUS=0
if [ "$TRX_FILES" -eq 0 ]; then
  echo "run-all.sh: no TRX result file was written" >&2; STATUS=1
fi
if [ "$FAILED" -gt 0 ]; then STATUS=1; fi
if [ $((PASSED + FAILED)) -eq 0 ]; then
  echo "run-all.sh: no test ran" >&2; STATUS=1
fi
if [ "$TEST_EXIT" -ne 0 ] && [ "$STATUS" -eq 0 ]; then
  echo "run-all.sh: dotnet test exited with $TEST_EXIT" >&2; STATUS=1
fi
echo "$LINE"
exit "$STATUS"
