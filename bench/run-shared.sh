#!/usr/bin/env bash
# Side-by-side WebSocket benchmark: direct, nginx, HAProxy and Tollgate in one run of ../shared/bench/run.sh.
# Builds the server (Release), starts it on free loopback ports with a temporary data folder, publishes an API on
# the bench's echo backend (ws://127.0.0.1:9001/echo, started by run.sh), subscribes an application with the
# Unlimited plan, takes a client_credentials token, runs the shared bench with Tollgate as an extra target, and
# stops the server by its PID. Token auth, the throttling gate (not triggered) and analytics stay on.
#
#   bench/run-shared.sh --quick                      # ~2 min smoke run
#   bench/run-shared.sh                              # full run (3 rounds)
#   bench/run-shared.sh --scenarios small,idle ...   # any run.sh option is passed through
#   TOLLGATE_EXTRA_ARGS='--analytics off' bench/run-shared.sh ...   # extra server options
#   TOLLGATE_SERVER_ENV='DOTNET_gcServer=0' bench/run-shared.sh ...  # environment for the server only
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
[ -x "$SHARED/run.sh" ] || SHARED=/work/shared/bench
DLL=$ROOT/src/Tollgate.Server/bin/Release/net10.0/Tollgate.Server.dll

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building Tollgate (Release)..." >&2
  dotnet build "$ROOT/src/Tollgate.Server/Tollgate.Server.csproj" -c Release -v q -nologo >&2
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HTTPS_PORT=$(free_port); GW_PORT=$(free_port)
DATA=$(mktemp -d /tmp/tollgate-bench-XXXXXX)
PASSWORD="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
LOG=$DATA/server.log

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Warning level: no access-log line per connection during the measurement (the gateway still records analytics).
# TOLLGATE_SERVER_ENV='DOTNET_gcServer=0' sets variables for the server process only (not for run.sh's tools).
env ${TOLLGATE_SERVER_ENV:-} TOLLGATE_ADMIN_PASSWORD=$PASSWORD Logging__LogLevel__Default=Warning \
  dotnet "$DLL" --data "$DATA" --https-port "$HTTPS_PORT" --gateway-port "$GW_PORT" --gateway-tls-port 0 \
  --echo-port 0 --max-connections-per-client 0 ${TOLLGATE_EXTRA_ARGS:-} >"$LOG" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  grep -q "Tollgate is ready" "$LOG" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG" >&2; echo "server exited" >&2; exit 1; }
  sleep 0.5
done
grep -q "Tollgate is ready" "$LOG" || { cat "$LOG" >&2; echo "server did not start in 60 s" >&2; exit 1; }

BASE=https://127.0.0.1:$HTTPS_PORT
ADMIN=$(curl -sk "$BASE/oauth2/token" -d grant_type=password -d username=admin --data-urlencode "password=$PASSWORD" | jq -r .access_token)
post() { # path json -> response body; fails loudly on a non-2xx answer
  local out code
  out=$(curl -sk -w '\n%{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$2" "$BASE/$1")
  code=${out##*$'\n'}; out=${out%$'\n'*}
  [[ $code == 2* ]] || { echo "POST $1 -> $code $out" >&2; exit 1; }
  printf '%s' "$out"
}
API_ID=$(post api/publisher/apis '{"name":"BenchEcho","context":"/benchecho","version":"1","endpoint":{"production":"ws://127.0.0.1:9001/echo"},"plans":["Unlimited"],"publish":true}' | jq -r .id)
APP=$(post api/devportal/applications '{"name":"BenchApp"}' | jq -r .id)
KEYS=$(post "api/devportal/applications/$APP/keys" '{"keyType":"production"}')
post api/devportal/subscriptions "{\"apiId\":\"$API_ID\",\"applicationId\":\"$APP\",\"plan\":\"Unlimited\"}" >/dev/null
CK=$(jq -r '.consumerKey // .consumer_key' <<<"$KEYS"); CS=$(jq -r '.consumerSecret // .consumer_secret' <<<"$KEYS")
# The client_credentials grant, as an application would get its token.
TOKEN=$(curl -sk "$BASE/oauth2/token" -u "$CK:$CS" -d grant_type=client_credentials -d validity_period=86400 | jq -r .access_token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || { echo "no token (keys: $KEYS)" >&2; exit 1; }
echo "Tollgate pid $PID, gateway ws://127.0.0.1:$GW_PORT/benchecho/1" >&2

"$SHARED/run.sh" "$@" --target "tollgate=ws://127.0.0.1:$GW_PORT/benchecho/1" --target-pid "$PID" \
  --header "Authorization: Bearer $TOKEN"
