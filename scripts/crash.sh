#!/usr/bin/env bash
# `make crash` (also run at the end of `make soak`): kill -9 tests on loopback (issue 8, item 5;
# bench/crash.py).
#
#   huey  a throwaway PostgreSQL; the Huey consumer is killed (SIGKILL, whole process group)
#         in the middle of an escalation sweep, then restarted: every step escalated, notified
#         and e-mailed exactly once
#   web   gunicorn (2 workers) on a SQLite file in WAL mode is killed (SIGKILL, master and
#         workers) while clients post petitions: integrity_check ok, every acknowledged
#         petition stored exactly once; then restarted and written to again
#
#   CRASH_PARTS="huey web"   which parts, in order
#   CRASH_CLOCKS=12000       overdue clocks of the huey part (4 escalation steps each)
#
# Each part runs in its own temporary ANXIN_VAR_DIR (Huey queue, SQLite file, keys), removed
# at exit with the PostgreSQL cluster and any process left; results in var/crash/*.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-$PWD/.venv/bin/python}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export ANXIN_ENV=development DEBUG=0
export ANXIN_RATE_LIMITS="portal_submit=off,portal_track=off,portal_booking=off,open311_post=off"
export CRASH_OUT=$PWD/var/crash
# the word segmenter's dictionary cache is shared with the other runs (it is rebuilt otherwise)
export JIEBA_CACHE=${JIEBA_CACHE:-$PWD/var/jieba.cache}
mkdir -p "$CRASH_OUT"
rm -f "$CRASH_OUT"/*.json

# shellcheck source=scripts/pg-throwaway.sh
. scripts/pg-throwaway.sh
WORK=$(mktemp -d "$PWD/var/crash/run.XXXXXXXX")
cleanup() {
    # bench/crash.py stops what it starts; this is for an interrupted run: any process still
    # using the run's directory (a consumer or gunicorn started from it) is killed first
    local pids
    pids=$(grep -l -s "ANXIN_VAR_DIR=$WORK" /proc/[0-9]*/environ 2>/dev/null \
        | sed -E 's#/proc/([0-9]+)/environ#\1#' | grep -vx "$$" || true)
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
    pg_stop
    case $WORK in "$PWD"/var/crash/run.*) rm -rf -- "$WORK" ;; esac
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# `timeout --foreground`: the parts stay in this script's process group, so that a SIGTERM to
# the group (the CI stage's budget) reaches them; they stop their servers when it does.
rc=0
for part in ${CRASH_PARTS:-huey web}; do
    export ANXIN_VAR_DIR=$WORK/$part
    mkdir -p "$ANXIN_VAR_DIR/static"
    t0=$SECONDS
    case $part in
        huey)
            PG_THROWAWAY_DBNAME=anxin_crash pg_start
            "$PY" manage.py migrate -v0 --noinput
            "$PY" manage.py load_units -v0
            timeout --foreground -k 10 600 "$PY" -m bench.crash huey --clocks "${CRASH_CLOCKS:-12000}" || rc=1
            pg_stop
            ;;
        web)
            (
                unset DATABASE_URL
                "$PY" manage.py migrate -v0 --noinput
                "$PY" manage.py load_units -v0
                timeout --foreground -k 10 300 "$PY" -m bench.crash web
            ) || rc=1
            ;;
        *)
            echo "unknown part $part (huey, web)" >&2
            rc=2
            ;;
    esac
    echo "== crash $part: $((SECONDS - t0)) s"
done
((rc == 0)) && echo "crash tests: PASS" || echo "crash tests: FAIL"
exit "$rc"
