#!/usr/bin/env bash
# Starts Tollgate twice on loopback (analytics on, then --analytics off), provisions the demo API with the CLI,
# and runs bench/analytics-overhead.cs against each. Build first: dotnet build Tollgate.slnx
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=src/Tollgate.Server/bin/Debug/net10.0/Tollgate.Server.dll
CLI=src/Tollgate.Cli/bin/Debug/net10.0/tollgate.dll
export TOLLGATE_ADMIN_PASSWORD=Bench-$RANDOM$RANDOM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HTTPS=$(free_port); GW=$(free_port); ECHO=$(free_port)
for mode in on off; do
  data=$(mktemp -d /tmp/tollgate-bench-XXXX)
  dotnet "$SERVER" --data "$data" --https-port "$HTTPS" --gateway-port "$GW" --gateway-tls-port 0 --echo-port "$ECHO" --analytics "$mode" > "$data/server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true' EXIT
  until grep -q "Tollgate is ready" "$data/server.log"; do sleep 0.5; done
  export TOLLGATE_HOME="$data/cli"
  demo=$(dotnet "$CLI" --server https://127.0.0.1:$HTTPS demo --json --password "$TOLLGATE_ADMIN_PASSWORD")
  token=$(echo "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  gw=$(echo "$demo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["gatewayUrl"])' | sed 's/localhost/127.0.0.1/')
  sleep 1
  echo "== analytics $mode"
  dotnet run bench/analytics-overhead.cs -- "$gw" "$token" "${CONNECTIONS:-8}" "${MESSAGES:-5000}" "${ROUNDS:-3}"
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
done
