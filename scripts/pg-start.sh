#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster for the test suite.
#
# stdout: exactly one line, meant for `eval`:
#   export BUDGET_MONITOR_TEST_POSTGRES_URL=postgresql+psycopg://bmtest@127.0.0.1:PORT/postgres
# stderr: progress / diagnostics.
#
# The cluster lives in a fresh temp dir (/tmp/bm-pg-XXXXXX) owned by a non-root
# OS user (bmtest, created when run as root). Its path is recorded in
# $BM_PG_STATE_FILE (default /tmp/bm-pg.datadir) for scripts/pg-stop.sh.
# Running this again stops and removes the previous cluster first.
set -euo pipefail

PG_USER=${BM_PG_USER:-bmtest}          # OS user and database superuser
STATE_FILE=${BM_PG_STATE_FILE:-/tmp/bm-pg.datadir}
FIRST_PORT=${BM_PG_PORT:-54329}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "pg-start: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- locate server binaries (prefer Debian's versioned dir, newest version) ---
PG_BIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [[ -x $d/pg_ctl && -x $d/initdb ]] && PG_BIN=$d
done
if [[ -z $PG_BIN ]]; then
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        PG_BIN=$(dirname "$(command -v pg_ctl)")
    else
        die "no PostgreSQL server binaries found (apt-get install postgresql)"
    fi
fi
log "using $PG_BIN"

# --- replace a previous cluster, if any ---
if [[ -e $STATE_FILE ]]; then
    log "stopping previous cluster ($(cat "$STATE_FILE" 2>/dev/null || true))"
    BM_PG_STATE_FILE=$STATE_FILE bash "$HERE/pg-stop.sh" >&2 || true
fi

# --- run commands as the non-root cluster owner ---
if [[ $(id -u) -eq 0 ]]; then
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        log "creating system user $PG_USER"
        useradd -r -m -s /bin/bash "$PG_USER"
    fi
    as_owner() {
        if command -v runuser >/dev/null; then
            (cd / && runuser -u "$PG_USER" -- "$@")
        else
            (cd / && su -s /bin/sh "$PG_USER" -c "$(printf '%q ' "$@")")
        fi
    }
else
    # Not root: the cluster is owned by the current user; the database
    # superuser is still called $PG_USER (initdb -U).
    as_owner() { (cd / && "$@"); }
fi

TMP=$(mktemp -d /tmp/bm-pg-XXXXXX)
DATA=$TMP/data
SOCK=$TMP/sock
LOGFILE=$TMP/server.log
mkdir -p "$SOCK"
if [[ $(id -u) -eq 0 ]]; then chown -R "$PG_USER": "$TMP"; fi
chmod 700 "$TMP"
echo "$DATA" > "$STATE_FILE"

cleanup_on_error() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        [[ -f $LOGFILE ]] && { log "server log:"; tail -n 50 "$LOGFILE" >&2 || true; }
        BM_PG_STATE_FILE=$STATE_FILE bash "$HERE/pg-stop.sh" >&2 || true
    fi
}
trap cleanup_on_error EXIT

log "initdb in $DATA"
as_owner "$PG_BIN/initdb" -D "$DATA" -U "$PG_USER" \
    --auth-local=trust --auth-host=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$TMP/initdb.log" 2>&1 \
    || { cat "$TMP/initdb.log" >&2; die "initdb failed"; }

cat >> "$DATA/postgresql.conf" <<CONF

# --- throw-away test cluster (scripts/pg-start.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF

port_in_use() {
    # true if something accepts connections on 127.0.0.1:$1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

PORT=""
for p in $(seq "$FIRST_PORT" $((FIRST_PORT + 50))); do
    port_in_use "$p" && continue
    log "starting postgres on 127.0.0.1:$p"
    if as_owner "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
            -o "-F -p $p -h 127.0.0.1 -k $SOCK" start >&2; then
        PORT=$p
        break
    fi
    log "start on port $p failed, trying the next one"
    tail -n 5 "$LOGFILE" >&2 || true
done
[[ -n $PORT ]] || die "could not start postgres on any port from $FIRST_PORT"

for _ in $(seq 1 60); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$PG_USER" -d postgres; then
        break
    fi
    sleep 0.5
done
"$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" -d postgres >&2 \
    || die "server did not become ready"

trap - EXIT
log "ready (data dir $DATA, log $LOGFILE)"
echo "export BUDGET_MONITOR_TEST_POSTGRES_URL=postgresql+psycopg://$PG_USER@127.0.0.1:$PORT/postgres"
