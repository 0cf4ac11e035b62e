#!/usr/bin/env bash
# A sample Tollgate cluster on one machine:
#   PostgreSQL (Debian package, own data folder, 127.0.0.1 only, run as the postgres user)
#   one control plane on that PostgreSQL (portals, REST, OAuth2, sample echo backend)
#   two gateway nodes following the control plane
#   HAProxy (Debian package) in TCP mode in front of the gateways: ws://HOST:9099 and wss://HOST:8099
#
#   deploy/cluster.sh          starts it (installs postgresql/haproxy with apt when missing; builds Release)
#   deploy/cluster.sh stop     stops every process it started, by the process ids it recorded
#   deploy/cluster.sh status   shows what runs
#
# State (databases, logs, pids, the node secret and admin password, mode 0600) lives in $TOLLGATE_CLUSTER_DIR
# (default deploy/.cluster). Ports can be changed with the environment variables below; SKIP_BUILD=1 uses the
# server already built (TOLLGATE_SERVER_DLL names another build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${TOLLGATE_CLUSTER_DIR:-$ROOT/deploy/.cluster}"
PG_PORT="${PG_PORT:-15432}"
CP_PORT="${CP_PORT:-9443}"
ECHO_PORT="${ECHO_PORT:-9098}"
LB_PORT="${LB_PORT:-9099}"
LB_TLS_PORT="${LB_TLS_PORT:-8099}"
GW_PORTS=(${GW_PORTS:-9101 9102})
GW_TLS_PORTS=(${GW_TLS_PORTS:-8101 8102})
HOST="${TOLLGATE_PUBLIC_HOST:-localhost}"
SERVER_DLL="${TOLLGATE_SERVER_DLL:-$ROOT/src/Tollgate.Server/bin/Release/net10.0/Tollgate.Server.dll}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() { # stop_pid NAME SIGNAL: stops the process whose id was recorded in $STATE/pids/NAME.pid
  local file="$STATE/pids/$1.pid" sig="${2:-TERM}" pid
  [ -f "$file" ] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid)"
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "$1 did not stop in 10 s: killing it"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$file"
}

cmd_stop() {
  stop_pid haproxy TERM
  for i in "${!GW_PORTS[@]}"; do stop_pid "gateway$((i + 1))"; done
  stop_pid control-plane
  stop_pid postgres INT
  log "stopped"
}

cmd_status() {
  local name
  for name in postgres control-plane gateway1 gateway2 haproxy; do
    if pid_alive "$STATE/pids/$name.pid"; then echo "$name: running (pid $(cat "$STATE/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
}

apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "install ${missing[*]} first (sudo apt-get install ${missing[*]}), or run as root"
  log "apt-get install ${missing[*]}"
  # Our PostgreSQL and HAProxy run from this script: keep the packages from starting their own services.
  local added=0
  [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added=1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  local ok=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || ok=1
  [ "$added" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$ok" -eq 0 ] || die "apt-get install ${missing[*]} failed"
}

as_postgres() { # PostgreSQL refuses to run as root: run it as the postgres user the Debian package created.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() { # wait_for NAME SECONDS COMMAND...: polls until COMMAND succeeds
  local name="$1" seconds="$2"; shift 2
  for _ in $(seq 1 $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$name did not come up in ${seconds}s (see $STATE/logs/)"
}

start_postgres() {
  local bin; bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$bin" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
  mkdir -p "$STATE/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$STATE/pg" && chmod 700 "$STATE/pg"
  if [ ! -f "$STATE/pg/PG_VERSION" ]; then
    log "initdb $STATE/pg"
    as_postgres "$bin/initdb" -D "$STATE/pg" -U postgres --auth=trust -E UTF8 >"$STATE/logs/initdb.log" 2>&1 || die "initdb failed (see $STATE/logs/initdb.log)"
  fi
  pid_alive "$STATE/pids/postgres.pid" && return 0
  log "postgres on 127.0.0.1:$PG_PORT"
  touch "$STATE/logs/postgres.log"; [ "$(id -u)" -eq 0 ] && chown postgres "$STATE/logs/postgres.log"
  as_postgres "$bin/postgres" -D "$STATE/pg" -p "$PG_PORT" -k "$STATE/pg" -c listen_addresses=127.0.0.1 >>"$STATE/logs/postgres.log" 2>&1 &
  echo $! > "$STATE/pids/postgres.pid"
  wait_for postgres 30 as_postgres "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -U postgres
  # runuser stays the parent of postgres; record the postmaster itself so stop signals reach it.
  head -1 "$STATE/pg/postmaster.pid" > "$STATE/pids/postgres.pid"
  as_postgres "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='tollgate'" | grep -q 1 \
    || as_postgres "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres tollgate
}

secret() { # secret FILE: a random value kept (mode 0600) in the state folder
  [ -s "$1" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1")
  cat "$1"
}

start_server() { # start_server NAME ARGS...: Tollgate in the background, logs in $STATE/logs/NAME.log
  local name="$1"; shift
  pid_alive "$STATE/pids/$name.pid" && { log "$name already runs"; return 0; }
  log "$name: tollgate $*"
  (cd "$STATE" && exec dotnet "$SERVER_DLL" "$@" >>"$STATE/logs/$name.log" 2>&1) &
  echo $! > "$STATE/pids/$name.pid"
}

wait_ready() { # wait_ready NAME: until the log says "Tollgate is ready"
  for _ in $(seq 1 600); do
    grep -q "Tollgate is ready" "$STATE/logs/$1.log" 2>/dev/null && return 0
    pid_alive "$STATE/pids/$1.pid" || die "$1 exited (see $STATE/logs/$1.log)"
    sleep 0.1
  done
  die "$1 was not ready in 60 s (see $STATE/logs/$1.log)"
}

cmd_start() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is needed (dotnet not found)"
  apt_install postgresql haproxy
  mkdir -p "$STATE/pids" "$STATE/logs"
  chmod 711 "$STATE"
  if [ "${SKIP_BUILD:-0}" = 1 ]; then
    [ -f "$SERVER_DLL" ] || die "SKIP_BUILD=1 but $SERVER_DLL does not exist: build first"
  else
    log "dotnet build -c Release"
    dotnet build "$ROOT/src/Tollgate.Server/Tollgate.Server.csproj" -c Release --nologo -v q >"$STATE/logs/build.log" 2>&1 || die "build failed (see $STATE/logs/build.log)"
  fi

  start_postgres
  local node_secret admin_password store
  node_secret="$(secret "$STATE/node-secret")"
  admin_password="$(secret "$STATE/admin-password")"
  store="Host=127.0.0.1;Port=$PG_PORT;Database=tollgate;Username=postgres"

  # Secrets go through the environment, never the command line (visible in ps).
  TOLLGATE_STORE="$store" TOLLGATE_NODE_SECRET="$node_secret" TOLLGATE_ADMIN_PASSWORD="$admin_password" \
    start_server control-plane --role control-plane --data "$STATE/cp" --https-port "$CP_PORT" --echo-port "$ECHO_PORT" \
      --public-host "$HOST" --gateway-port "$LB_PORT" --gateway-tls-port "$LB_TLS_PORT"
  wait_ready control-plane

  for i in "${!GW_PORTS[@]}"; do
    TOLLGATE_NODE_SECRET="$node_secret" start_server "gateway$((i + 1))" --role gateway --data "$STATE/gw$((i + 1))" \
      --control-plane "https://localhost:$CP_PORT" --control-plane-accept-any-certificate \
      --node-name "gateway$((i + 1))" --gateway-port "${GW_PORTS[$i]}" --gateway-tls-port "${GW_TLS_PORTS[$i]}" --public-host "$HOST"
  done
  for i in "${!GW_PORTS[@]}"; do wait_ready "gateway$((i + 1))"; done

  {
    echo "global"
    echo "  maxconn 4000"
    echo "defaults"
    echo "  mode tcp"
    echo "  timeout connect 5s"
    echo "  timeout client 1h"
    echo "  timeout server 1h"
    echo "frontend ws"
    echo "  bind 127.0.0.1:$LB_PORT"
    echo "  default_backend gateways"
    echo "frontend wss"
    echo "  bind 127.0.0.1:$LB_TLS_PORT"
    echo "  default_backend gateways_tls"
    echo "backend gateways"
    echo "  balance leastconn"
    for i in "${!GW_PORTS[@]}"; do echo "  server gateway$((i + 1)) 127.0.0.1:${GW_PORTS[$i]} check"; done
    echo "backend gateways_tls"
    echo "  balance leastconn"
    for i in "${!GW_TLS_PORTS[@]}"; do echo "  server gateway$((i + 1)) 127.0.0.1:${GW_TLS_PORTS[$i]} check"; done
  } > "$STATE/haproxy.cfg"
  if ! pid_alive "$STATE/pids/haproxy.pid"; then
    log "haproxy (TCP) on 127.0.0.1:$LB_PORT and :$LB_TLS_PORT"
    haproxy -f "$STATE/haproxy.cfg" -db >>"$STATE/logs/haproxy.log" 2>&1 &
    echo $! > "$STATE/pids/haproxy.pid"
    sleep 0.5
    pid_alive "$STATE/pids/haproxy.pid" || die "haproxy exited (see $STATE/logs/haproxy.log)"
  fi

  cat <<INFO

Tollgate cluster is up.
  Portals and REST:  https://$HOST:$CP_PORT      (admin / $(cat "$STATE/admin-password"))
  Gateway (HAProxy): ws://$HOST:$LB_PORT   wss://$HOST:$LB_TLS_PORT   -> gateway nodes on ${GW_PORTS[*]}
  Sample backend:    ws://$HOST:$ECHO_PORT/echo
  PostgreSQL:        127.0.0.1:$PG_PORT (database tollgate)
  Logs:              $STATE/logs/
Stop it with: deploy/cluster.sh stop
INFO
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "unknown command '$1': use start, stop or status" ;;
esac
