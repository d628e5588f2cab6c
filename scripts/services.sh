#!/usr/bin/env bash
# Makes sure the services the tests talk to are up: PostgreSQL, Redis and NATS JetStream.
# Where one is down it is started with the same command this machine kind uses, then we wait
# (bounded) until each answers. Safe to run again: a service that is up is left alone.
set -euo pipefail

log() { printf '==> %s\n' "$*"; }

# wait_until DESCRIPTION SECONDS COMMAND...: retries COMMAND twice a second, bounded.
wait_until() {
  local what=$1 seconds=$2
  shift 2
  local tries=$((seconds * 2))
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then
      log "$what is up"
      return 0
    fi
    sleep 0.5
  done
  echo "error: $what did not come up within ${seconds}s" >&2
  return 1
}

postgres_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
nats_up() {
  # The server greets with an INFO line; JetStream is on when it says "jetstream":true.
  local info
  info=$(timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/4222 && head -n 1 <&3') || return 1
  [[ $info == *'"jetstream":true'* ]]
}

if ! postgres_up; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
fi
wait_until PostgreSQL 30 postgres_up

if ! redis_up; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_until Redis 30 redis_up

if ! nats_up; then
  log "starting NATS JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_until "NATS JetStream" 30 nats_up
