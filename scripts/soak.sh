#!/usr/bin/env bash
# `make soak`: 50 portal submitters and 20 staff readers for 2 minutes against gunicorn (2
# workers) + PostgreSQL + the Huey consumer, on loopback (issue 8, item 4; bench/soak.py).
#
#   SOAK_SUBMITTERS=50 SOAK_READERS=20 SOAK_SECONDS=120   the load (defaults)
#
# Every acknowledged submission must be stored exactly once and no response may be a 5xx; the
# p50/p95 of submissions and reads are printed and written to var/soak/latest.json.
#
# Then the crash tests, scripts/crash.sh (kill -9 of the Huey consumer mid-sweep and of gunicorn
# on SQLite WAL; `make crash` alone). SOAK_CRASH=0 skips them. Exit 1 if either fails; both run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-$PWD/.venv/bin/python}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export ANXIN_ENV=development DEBUG=0 ANXIN_DEMO=1
# The load comes from one loopback address on purpose: the public rate limits are switched off
# explicitly for the run (docs/configuration.md).
export ANXIN_RATE_LIMITS="portal_submit=off,portal_track=off,portal_booking=off,open311_post=off"
mkdir -p var/soak

# shellcheck source=scripts/pg-throwaway.sh
. scripts/pg-throwaway.sh
PG_THROWAWAY_DBNAME=anxin_soak pg_start
trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
t0=$SECONDS
rc=0
"$PY" manage.py migrate -v0 --noinput
"$PY" manage.py seed_demo --scale 0.2 >/dev/null
echo "== soak: database ready in $((SECONDS - t0)) s"
"$PY" -m bench.soak --submitters "${SOAK_SUBMITTERS:-50}" --readers "${SOAK_READERS:-20}" \
    --seconds "${SOAK_SECONDS:-120}" || rc=1
pg_stop
echo "== soak: $((SECONDS - t0)) s, $( ((rc == 0)) && echo PASS || echo FAIL)"
if [[ ${SOAK_CRASH:-1} == 1 ]]; then
    PY=$PY bash scripts/crash.sh || rc=1
fi
exit "$rc"
