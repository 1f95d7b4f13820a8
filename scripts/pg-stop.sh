#!/usr/bin/env bash
# Stop and delete the throw-away cluster started by scripts/pg-start.sh.
# Safe to run when nothing is running.
set -uo pipefail

STATE_FILE=${BM_PG_STATE_FILE:-/tmp/bm-pg.datadir}
log() { echo "pg-stop: $*" >&2; }

if [[ ! -f $STATE_FILE ]]; then
    log "nothing to stop ($STATE_FILE missing)"
    exit 0
fi
DATA=$(cat "$STATE_FILE")
TMP=$(dirname "$DATA")

PG_BIN=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [[ -x $d/pg_ctl ]] && PG_BIN=$d
done
PG_CTL=${PG_BIN:+$PG_BIN/pg_ctl}
PG_CTL=${PG_CTL:-$(command -v pg_ctl || true)}

as_owner() {
    local owner
    owner=$(stat -c %U "$DATA" 2>/dev/null || echo root)
    if [[ $(id -u) -eq 0 && $owner != root ]]; then
        (cd / && runuser -u "$owner" -- "$@")
    else
        (cd / && "$@")
    fi
}

if [[ -f $DATA/postmaster.pid ]]; then
    log "stopping postgres ($DATA)"
    if [[ -n $PG_CTL ]] && as_owner "$PG_CTL" -D "$DATA" -m fast -w -t 30 stop >&2; then
        :
    else
        pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
            log "pg_ctl stop failed; sending SIGQUIT to postmaster $pid"
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
fi

# Only ever delete directories this tooling created.
case $TMP in
    /tmp/bm-pg-*) rm -rf -- "$TMP" ;;
    *) log "not removing unexpected path $TMP" ;;
esac
rm -f -- "$STATE_FILE"
log "done"
