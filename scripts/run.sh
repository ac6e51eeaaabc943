#!/usr/bin/env bash
# Start Anxin locally: `make run`. Data persists in var/ between runs (or in $DATABASE_URL).
#
#   PORT=8000                      where gunicorn listens (127.0.0.1 only)
#   ANXIN_DEMO=1                   demo mode; on the first run also loads the demo data
#   ANXIN_DEMO_PASSWORD=...        password of the demo accounts (default anxin-demo-2026)
#   DATABASE_URL=postgres://...    PostgreSQL instead of SQLite at var/anxin.sqlite3
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=$PWD/.venv
PY=$VENV/bin/python
[[ -x $PY ]] || { echo "no .venv: run 'make run' (or 'make venv') first" >&2; exit 1; }
export PATH="$VENV/bin:$PATH"

export ANXIN_DEMO=${ANXIN_DEMO:-1}
export ANXIN_DEMO_PASSWORD=${ANXIN_DEMO_PASSWORD:-anxin-demo-2026}
PORT=${PORT:-8000}
DEMO_MARKER=var/.demo-loaded
DEMO_USERS=(admin secadmin auditor clerk handler leader reviewer city_leader supervisor
    inspector enterprise viewer)

mkdir -p var

# Translations: compile .po -> .mo when gettext is there (Django skips up-to-date files).
if find anxin -name '*.po' -print -quit 2>/dev/null | grep -q .; then
    if command -v msgfmt >/dev/null 2>&1; then
        python manage.py compilemessages -v0 -i .venv -i var -i node_modules
    else
        echo "note: gettext (msgfmt) is not installed; using the committed .mo files, if any" >&2
    fi
fi

python manage.py migrate --noinput
python manage.py collectstatic --noinput -v0

if [[ $ANXIN_DEMO == 1 && ! -e $DEMO_MARKER ]]; then
    echo "loading demo data (first run only; delete $DEMO_MARKER to load it again)"
    python manage.py seed_demo
    touch "$DEMO_MARKER"
fi

GUNICORN_PID=""
HUEY_PID=""
stop_all() {
    trap - INT TERM EXIT
    echo
    echo "stopping…"
    local pid
    for pid in $GUNICORN_PID $HUEY_PID; do
        # Each runs in its own session (setsid): signal its whole process group.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in $GUNICORN_PID $HUEY_PID; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all; exit 129' HUP
trap stop_all EXIT

# setsid: Ctrl-C reaches only this script, which then stops both gracefully (SIGTERM) instead
# of the terminal's SIGINT interrupting gunicorn's workers mid-request.
setsid gunicorn config.wsgi:application -b "127.0.0.1:$PORT" -w 2 &
GUNICORN_PID=$!
setsid python manage.py run_huey &
HUEY_PID=$!

sleep 1
cat <<EOF

  Anxin is running: http://127.0.0.1:$PORT/
EOF
if [[ $ANXIN_DEMO == 1 ]]; then
    echo "  Demo logins (password: $ANXIN_DEMO_PASSWORD):"
    echo "    ${DEMO_USERS[*]}"
fi
echo "  Ctrl-C stops gunicorn and huey; data stays in var/."
echo

# When either process dies, stop the other and exit with its status.
rc=0
wait -n "$GUNICORN_PID" "$HUEY_PID" || rc=$?
echo "a process exited (status $rc)" >&2
exit "$rc"
