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
#   TOLLGATE_VARIANTS='loop1=TOLLGATE_RELAY_LOOPS=1 stream=TOLLGATE_RELAY_LOOPS=0' bench/run-shared.sh ...
#       # A/B in one run: one more Tollgate server per NAME=ENV (ENV: comma-separated VAR=VALUE), target "tollgate-NAME";
#       # TOLLGATE_DLL=PATH in ENV runs that variant from another build (e.g. a worktree of an older commit)
#   The report ends with per-round ratios of every Tollgate target to every other target, and the CPU the hypervisor
#   took (bench/paired-ratios.py): read those before the medians on a shared machine.
#   NGINX_TOKEN_REFERENCE=1 bench/run-shared.sh ...  # one more target, "nginx-token": the same nginx, sent Tollgate's
#       # bearer token header, so the client does the work it does for Tollgate's target (its CPU column is 0)
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
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PIDS=(); DATAS=(); TARGET_ARGS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  for d in "${DATAS[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

# start_tollgate NAME "VAR=VALUE ..." — starts one server, provisions the bench API, adds its --target arguments.
start_tollgate() {
  local name=$1 env_extra=$2 dll=$DLL
  local https_port gw_port data password log pid
  if [[ " $env_extra " =~ " TOLLGATE_DLL="([^ ]+)" " ]]; then dll=${BASH_REMATCH[1]}; fi
  https_port=$(free_port); gw_port=$(free_port)
  data=$(mktemp -d /tmp/tollgate-bench-XXXXXX); DATAS+=("$data")
  password="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  log=$data/server.log
  # Warning level: no access-log line per connection during the measurement (the gateway still records analytics).
  env ${TOLLGATE_SERVER_ENV:-} $env_extra TOLLGATE_ADMIN_PASSWORD=$password Logging__LogLevel__Default=Warning \
    dotnet "$dll" --data "$data" --https-port "$https_port" --gateway-port "$gw_port" --gateway-tls-port 0 \
    --echo-port 0 --max-connections-per-client 0 ${TOLLGATE_EXTRA_ARGS:-} >"$log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  for _ in $(seq 1 120); do
    grep -q "Tollgate is ready" "$log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "server $name exited" >&2; exit 1; }
    sleep 0.5
  done
  grep -q "Tollgate is ready" "$log" || { cat "$log" >&2; echo "server $name did not start in 60 s" >&2; exit 1; }

  local base=https://127.0.0.1:$https_port admin
  admin=$(curl -sk "$base/oauth2/token" -d grant_type=password -d username=admin --data-urlencode "password=$password" | jq -r .access_token)
  post() { # path json -> response body; fails loudly on a non-2xx answer
    local out code
    out=$(curl -sk -w '\n%{http_code}' -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "$2" "$base/$1")
    code=${out##*$'\n'}; out=${out%$'\n'*}
    [[ $code == 2* ]] || { echo "POST $1 -> $code $out" >&2; exit 1; }
    printf '%s' "$out"
  }
  local api app keys ck cs token
  api=$(post api/publisher/apis '{"name":"BenchEcho","context":"/benchecho","version":"1","endpoint":{"production":"ws://127.0.0.1:9001/echo"},"plans":["Unlimited"],"publish":true}' | jq -r .id)
  app=$(post api/devportal/applications '{"name":"BenchApp"}' | jq -r .id)
  keys=$(post "api/devportal/applications/$app/keys" '{"keyType":"production"}')
  post api/devportal/subscriptions "{\"apiId\":\"$api\",\"applicationId\":\"$app\",\"plan\":\"Unlimited\"}" >/dev/null
  ck=$(jq -r '.consumerKey // .consumer_key' <<<"$keys"); cs=$(jq -r '.consumerSecret // .consumer_secret' <<<"$keys")
  # The client_credentials grant, as an application would get its token.
  token=$(curl -sk "$base/oauth2/token" -u "$ck:$cs" -d grant_type=client_credentials -d validity_period=86400 | jq -r .access_token)
  [ -n "$token" ] && [ "$token" != null ] || { echo "no token (keys: $keys)" >&2; exit 1; }
  echo "Tollgate ($name) pid $pid, gateway ws://127.0.0.1:$gw_port/benchecho/1" >&2
  TARGET_ARGS+=(--target "$name=ws://127.0.0.1:$gw_port/benchecho/1" --target-pid "$pid" --header "Authorization: Bearer $token")
  FIRST_TOKEN=${FIRST_TOKEN:-$token}
}

start_tollgate tollgate ""
for variant in ${TOLLGATE_VARIANTS:-}; do
  start_tollgate "tollgate-${variant%%=*}" "$(tr ',' ' ' <<<"${variant#*=}")"
done
PAIRS=() # more ratios for bench/paired-ratios.py at the end
if [ "${NGINX_TOKEN_REFERENCE:-0}" = 1 ]; then
  # run.sh's nginx listens on 9002 and passes the header on to the backend, as Tollgate passes its identity headers.
  TARGET_ARGS+=(--target "nginx-token=ws://127.0.0.1:9002/echo" --header "Authorization: Bearer $FIRST_TOKEN")
  PAIRS=(--pair nginx-token/nginx)
fi

# run.sh's output folder: the caller's --out, or one named here so the per-round ratios can be added to its report.
OUT_DIR=/tmp/wsbench-$(date +%Y%m%d-%H%M%S); OUT_ARGS=(--out "$OUT_DIR")
args=("$@")
for i in "${!args[@]}"; do
  if [ "${args[i]}" = --out ]; then OUT_DIR=${args[i+1]:-}; OUT_ARGS=(); fi
done
"$SHARED/run.sh" "$@" "${OUT_ARGS[@]}" "${TARGET_ARGS[@]}"
if [ -f "$OUT_DIR/results.txt" ]; then
  # The medians above come from whichever round gave them; the ratios inside each round, and the steal, say how far
  # this run can be trusted (bench/README.md, "Reading a run").
  { echo; python3 "$ROOT/bench/paired-ratios.py" "$OUT_DIR/results.txt" "${PAIRS[@]}"; } | tee -a "$OUT_DIR/report.md" || true
fi
