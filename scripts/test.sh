#!/usr/bin/env bash
# Anxin's test run: `make test` (all stages) or one stage: `make lint|test-pg|test-sqlite|
# test-browser`, i.e. `scripts/test.sh [all|lint|pg|sqlite|browser|soak]...`.
#
# Stages (each with a time budget; the run fails if any stage fails, after running the rest):
#   lint     ruff check, ruff format --check, mypy, makemigrations --check
#   pg       the full suite except browser tests, on PostgreSQL, 2 xdist workers; it includes
#            the schemathesis run over /api/v1/openapi.json (5 examples per operation, then every
#            read with real ids: no 5xx, no undeclared status, no body off its schema), which is
#            anxin/core/tests/test_openapi_schemathesis.py
#   sqlite   tests marked dbdep or smoke, on SQLite (DATABASE_URL unset), 2 xdist workers
#   browser  tests marked browser (Playwright + /usr/bin/chromium), once, on PostgreSQL
#   soak     `make soak`: 2 minutes of load on gunicorn + PostgreSQL + Huey, then the crash
#            tests (kill -9 of the Huey consumer mid-sweep, of gunicorn on SQLite WAL); its own
#            throwaway PostgreSQL clusters and temporary directories (scripts/soak.sh, crash.sh)
#
# PostgreSQL: $DATABASE_URL if set (must be postgres://...), else a throwaway cluster on a
# private unix socket (scripts/pg-throwaway.sh), removed at exit.
# Missing Debian packages (postgresql, chromium, fonts-noto-cjk, gettext) are installed first.
#
# Environment knobs: BUDGET_{LINT,MESSAGES,PG,SQLITE,BROWSER,SOAK} (seconds), PYTEST_WORKERS (2),
# ANXIN_FAIL_FAST=1 (skip the remaining stages after a failure), PYTEST_ADDOPTS (pytest's own).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SELF=$ROOT/scripts/test.sh
VENV=$ROOT/.venv
export PATH="$VENV/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PYTHONUNBUFFERED=1
export PYTHONDONTWRITEBYTECODE=1

# --- internal: the lint commands, run under one `timeout` by the lint stage ------------------
if [[ ${1:-} == _lint ]]; then
    # Settings are imported by mypy's django plugin and by makemigrations: test profile,
    # in-memory SQLite, so linting writes nothing under var/ and needs no database.
    export ANXIN_TESTING=1 DATABASE_URL='sqlite://:memory:'
    rc=0
    step() {
        local t0=$SECONDS r=0
        echo "+ $*"
        "$@" || r=$?
        echo "  -> exit $r in $((SECONDS - t0))s"
        ((r == 0)) || rc=1
    }
    step ruff check .
    step ruff format --check .
    step mypy
    step python manage.py makemigrations --check --dry-run
    exit "$rc"
fi

BUDGET_LINT=${BUDGET_LINT:-240}
BUDGET_MESSAGES=${BUDGET_MESSAGES:-60}
BUDGET_PG=${BUDGET_PG:-780}
BUDGET_SQLITE=${BUDGET_SQLITE:-300}
BUDGET_BROWSER=${BUDGET_BROWSER:-300}
BUDGET_SOAK=${BUDGET_SOAK:-900}
PYTEST_WORKERS=${PYTEST_WORKERS:-2}
RESULTS=$ROOT/var/test-results

# --- which stages --------------------------------------------------------------------------
STAGES=()
for arg in "${@:-all}"; do
    case $arg in
        all) STAGES+=(lint pg sqlite browser soak) ;;
        lint | pg | sqlite | browser | soak) STAGES+=("$arg") ;;
        *)
            echo "usage: $0 [all|lint|pg|sqlite|browser|soak]..." >&2
            exit 2
            ;;
    esac
done
wants() {
    local s
    for s in "${STAGES[@]}"; do [[ $s == "$1" ]] && return 0; done
    return 1
}
wants_pytest() { wants pg || wants sqlite || wants browser; }
wants_postgres() { wants pg || wants browser; }

RUN_START=$SECONDS
SUMMARY=()
OVERALL=0
CHILD=""
PG_BROKEN=0

# --- cleanup: stop a running stage and the throwaway cluster --------------------------------
# shellcheck source=scripts/pg-throwaway.sh
. "$ROOT/scripts/pg-throwaway.sh"
on_exit() {
    if [[ -n $CHILD ]] && kill -0 "$CHILD" 2>/dev/null; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    pg_stop
}
trap on_exit EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

banner() { printf '\n==== %s ====\n' "$*"; }

# --- 1. the virtualenv -----------------------------------------------------------------------
banner "virtualenv"
if command -v make >/dev/null 2>&1; then
    make --no-print-directory -s -C "$ROOT" venv
elif [[ ! -x $VENV/bin/python ]]; then
    echo "make is missing and there is no .venv: run 'make venv' first" >&2
    exit 1
fi
"$VENV/bin/python" --version

# --- 2. Debian packages, only those missing --------------------------------------------------
dpkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
have_initdb() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
MISSING=()
if { (wants_postgres && [[ -z ${DATABASE_URL:-} ]]) || wants soak; } && ! have_initdb; then
    MISSING+=(postgresql)
fi
if wants browser; then
    [[ -x /usr/bin/chromium ]] || MISSING+=(chromium)
fi
# the pages' screenshots and the monthly reports' charts (anxin/reports/monthly.py) draw CJK text
if wants_pytest; then dpkg_ok fonts-noto-cjk || MISSING+=(fonts-noto-cjk); fi
if wants_pytest && ! command -v msgfmt >/dev/null 2>&1; then MISSING+=(gettext); fi
if ((${#MISSING[@]})); then
    banner "installing Debian packages: ${MISSING[*]}"
    SUDO=()
    if [[ $EUID -ne 0 ]]; then SUDO=(sudo -n); fi
    t0=$SECONDS
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${MISSING[@]}"
    echo "installed in $((SECONDS - t0))s"
fi

# --- stage runner ----------------------------------------------------------------------------
# run_stage NAME DATABASE BUDGET ALLOW_NO_TESTS CMD...
run_stage() {
    local name=$1 db=$2 budget=$3 allow5=$4
    shift 4
    if [[ ${ANXIN_FAIL_FAST:-0} == 1 && $OVERALL -ne 0 ]]; then
        SUMMARY+=("$(printf '%-8s %6s / %4ss  %-9s %s' "$name" "-" "$budget" SKIPPED "$db")")
        return 0
    fi
    banner "stage $name | database: $db | budget ${budget}s"
    if [[ $db == PostgreSQL* && $PG_BROKEN == 1 ]]; then
        echo "---- stage $name: FAILED: no PostgreSQL"
        SUMMARY+=("$(printf '%-8s %5ss / %4ss  %-9s %s' "$name" 0 "$budget" "FAILED" "$db")")
        OVERALL=1
        return 0
    fi
    echo "\$ $*"
    local t0=$SECONDS rc=0 status
    # In the background so that a signal to this script can stop the stage (see on_exit);
    # timeout kills the whole process group (xdist workers, Chromium) when the budget runs out.
    timeout -k 30 "$budget" "$@" &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    local dt=$((SECONDS - t0))
    case $rc in
        0) status=ok ;;
        5)
            if [[ $allow5 == yes ]]; then
                status=ok
                echo "note: no tests collected in stage $name (none are marked for it yet)"
                rc=0
            else
                status="FAILED: no tests collected"
            fi
            ;;
        124 | 137) status="FAILED: over the ${budget}s budget" ;;
        *) status="FAILED: exit $rc" ;;
    esac
    ((rc == 0)) || OVERALL=1
    echo "---- stage $name: $status in ${dt}s"
    SUMMARY+=("$(printf '%-8s %5ss / %4ss  %-9s %s' "$name" "$dt" "$budget" "$status" "$db")")
}

# --- 3. stages -------------------------------------------------------------------------------
mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.xml

if wants lint; then
    run_stage lint "SQLite in memory (makemigrations/mypy only)" "$BUDGET_LINT" no \
        bash "$SELF" _lint
fi

if wants_pytest; then
    # Translations: compile .po -> .mo (skips up-to-date files), so pages render in Chinese.
    if find . \( -path ./.venv -o -path ./var -o -path ./.git -o -path ./node_modules \) -prune \
        -o -name '*.po' -print -quit | grep -q .; then
        run_stage messages "none" "$BUDGET_MESSAGES" no env ANXIN_TESTING=1 \
            python manage.py compilemessages -v0 -i .venv -i var -i node_modules
    fi
fi

PG_DESC=""
if wants_postgres; then
    if [[ -n ${DATABASE_URL:-} ]]; then
        case $DATABASE_URL in
            postgres://* | postgresql://* | pgsql://*) ;;
            *)
                echo "DATABASE_URL must be a PostgreSQL URL for the pg/browser stages" >&2
                exit 1
                ;;
        esac
        PG_DESC="PostgreSQL from \$DATABASE_URL ($(sed -E 's#//[^@/]*@#//…@#' <<<"$DATABASE_URL"))"
    else
        banner "starting a throwaway PostgreSQL cluster"
        if pg_start; then
            PG_DESC="PostgreSQL $("$PG_THROWAWAY_BIN/postgres" --version | awk '{print $3}')"
            PG_DESC+=" (throwaway, socket $PG_THROWAWAY_DIR)"
            echo "$PG_DESC"
            echo "DATABASE_URL=$DATABASE_URL"
        else
            PG_DESC="PostgreSQL (throwaway cluster FAILED to start)"
            PG_BROKEN=1
        fi
    fi
fi

if wants pg; then
    run_stage pg "$PG_DESC" "$BUDGET_PG" no \
        pytest -p no:cacheprovider --junitxml="$RESULTS/pg.xml" -n "$PYTEST_WORKERS" \
        -m "not browser"
fi

if wants sqlite; then
    # No tests marked dbdep/smoke yet is not an error (exit 5 is accepted here only).
    run_stage sqlite "SQLite (DATABASE_URL unset)" "$BUDGET_SQLITE" yes \
        env -u DATABASE_URL \
        pytest -p no:cacheprovider --junitxml="$RESULTS/sqlite.xml" -n "$PYTEST_WORKERS" \
        -m "(dbdep or smoke) and not browser"
fi

if wants browser; then
    rm -f "$ROOT"/var/e2e/FAILED-*.png # screenshots of failed browser tests, from e2e/conftest.py
    run_stage browser "$PG_DESC" "$BUDGET_BROWSER" no \
        pytest -p no:cacheprovider --junitxml="$RESULTS/browser.xml" -m browser
fi

if wants soak; then
    # Its own clusters: not the one of the pg/browser stages (stopped now, they are done) nor
    # $DATABASE_URL; the stage's budget SIGTERMs the scripts, whose traps stop the servers and
    # remove the clusters.
    pg_stop
    run_stage soak "PostgreSQL + SQLite (own throwaway clusters)" "$BUDGET_SOAK" no \
        env -u DATABASE_URL -u PG_THROWAWAY_DIR -u PG_THROWAWAY_USER -u PG_THROWAWAY_BIN \
        PY="$VENV/bin/python" bash "$ROOT/scripts/soak.sh"
fi

# --- 4. summary ------------------------------------------------------------------------------
banner "summary"
printf '%-8s %6s / %5s  %-9s %s\n' stage took budget result database
for line in "${SUMMARY[@]}"; do echo "$line"; done
echo "total: $((SECONDS - RUN_START))s"
if ((OVERALL)); then
    echo "RESULT: FAILED"
else
    echo "RESULT: ok"
fi
if compgen -G "$RESULTS/*.xml" >/dev/null; then
    # One plain closing line over all pytest stages, e.g. "tests: 812 passed, 0 failed, 3 skipped".
    "$VENV/bin/python" - "$RESULTS"/*.xml <<'EOF' || true
import sys
import xml.etree.ElementTree as ET

tests = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        continue
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    for s in suites:
        tests += int(s.get("tests", 0))
        failed += int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped += int(s.get("skipped", 0))
print(f"tests: {tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
EOF
fi
exit "$OVERALL"
