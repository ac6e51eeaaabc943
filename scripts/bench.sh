#!/usr/bin/env bash
# `make bench`: Anxin's figures at city scale, on PostgreSQL and SQLite (docs/performance.md).
#
#   BENCH_SCALE=small   (default) 100,000 petitions + 30,000 hazards; under 10 minutes here
#   BENCH_SCALE=full    1,000,000 petitions + 300,000 hazards (issue 7's targets apply)
#   BENCH_DBS="postgresql sqlite"   which databases, in order
#   BENCH_REPEAT=20     requests per timed page
#   BENCH_IMPORT_ROWS   rows of the generated hazard ledger imported (100,000; tiny: 2,000)
#
# PostgreSQL is a throwaway cluster (scripts/pg-throwaway.sh), SQLite a file in var/bench/.
# Each database gets: migrate, load_units, seed_bulk, bench.measure (in-process pages),
# bench.intake (gunicorn + concurrent clients). Results: bench/results/latest.json — a list of
# {name, db, items, value, unit, target, ok} plus the machine's description.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-$PWD/.venv/bin/python}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export ANXIN_ENV=development DEBUG=0
# Benchmarks switch the public rate limits off explicitly (docs/configuration.md): the load
# comes from one loopback address on purpose.
export ANXIN_RATE_LIMITS=${ANXIN_RATE_LIMITS:-"portal_submit=off,portal_track=off,portal_booking=off,open311_post=off"}

SCALE=${BENCH_SCALE:-small}
case $SCALE in
    small) PETITIONS=100000 HAZARDS=30000 ESCALATE=${BENCH_ESCALATE:-"5000"} HD_LIST=100000 IMPORT=100000 ;;
    full) PETITIONS=1000000 HAZARDS=300000 ESCALATE=${BENCH_ESCALATE:-"5000 50000"} HD_LIST=100000 IMPORT=100000 ;;
    tiny) PETITIONS=5000 HAZARDS=1500 ESCALATE=${BENCH_ESCALATE:-"500"} HD_LIST=5000 IMPORT=2000 ;;  # the harness
    *) echo "BENCH_SCALE is small, full or tiny" >&2; exit 2 ;;
esac
DBS=${BENCH_DBS:-"postgresql sqlite"}
REPEAT=${BENCH_REPEAT:-20}
OUT=var/bench
mkdir -p "$OUT" bench/results
rm -f "$OUT"/*.json

run_db() {  # $1 = postgresql | sqlite; DATABASE_URL set
    local db=$1 started
    started=$(date +%s)
    echo "== $db: migrate, seed_bulk --petitions $PETITIONS --hazards $HAZARDS"
    "$PY" manage.py migrate -v0 --noinput
    "$PY" manage.py load_units -v0
    "$PY" manage.py seed_bulk --petitions "$PETITIONS" --hazards "$HAZARDS" --seed 1 \
        | tee "$OUT/seed-$db.txt"
    # bulk rows bypass the services, so the dashboards' daily rollups are rebuilt from them
    /usr/bin/time -f "rebuild_rollups: %e s, max RSS %M KB" "$PY" manage.py rebuild_rollups \
        2>&1 | tail -2 | tee -a "$OUT/seed-$db.txt"
    echo "== $db: pages"
    "$PY" -m bench.measure --db "$db" --items "$PETITIONS" --repeat "$REPEAT" \
        --import-rows "${BENCH_IMPORT_ROWS:-$IMPORT}" --out "$OUT/measure-$db.json"
    echo "== $db: intake under gunicorn"
    # with a Huey consumer beside gunicorn: the deferred intake's follow-up competes for the cores
    "$PY" -m bench.intake --db "$db" --items "$PETITIONS" --consumer --out "$OUT/intake-$db.json"
    echo "== $db: done in $(($(date +%s) - started)) s"
}

# django-helpdesk 2.6.1 in its own virtualenv, for the side-by-side escalation (issue 7, item 3)
helpdesk_venv() {
    local venv=var/bench/helpdesk-venv
    if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import helpdesk' 2>/dev/null; then
        echo "== installing django-helpdesk 2.6.1 in $venv"
        "${PYTHON:-python3.11}" -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "django-helpdesk==2.6.1" \
            "psycopg[binary]"
    fi
    HELPDESK_PY=$PWD/$venv/bin/python
}

# Each side on a fresh database of the same cluster, helpdesk first, then Anxin right after it
# (the machine's load is as alike as it gets); both check their end state: N items escalated
# once, N notices recorded, N e-mails handed to the dummy backend (docs/performance.md).
escalation_compare() {  # PostgreSQL running (pg_start); one fresh database per side and size
    local n base=${DATABASE_URL%/*}
    helpdesk_venv
    for n in $ESCALATE; do
        echo "== escalation of $n overdue items: django-helpdesk, then Anxin"
        "$PG_THROWAWAY_BIN/createdb" -h "$PG_THROWAWAY_DIR" -U "$PG_THROWAWAY_USER" "hd_$n"
        "$HELPDESK_PY" bench/helpdesk/escalate.py --items "$n" --database-url "$base/hd_$n" \
            > "$OUT/helpdesk-$n.json"
        "$PG_THROWAWAY_BIN/createdb" -h "$PG_THROWAWAY_DIR" -U "$PG_THROWAWAY_USER" "esc_$n"
        DATABASE_URL="$base/esc_$n" "$PY" manage.py migrate -v0 --noinput
        DATABASE_URL="$base/esc_$n" "$PY" manage.py load_units -v0
        DATABASE_URL="$base/esc_$n" "$PY" -m bench.escalation --items "$n" \
            --helpdesk-json "$OUT/helpdesk-$n.json" --out "$OUT/escalation-$n.json"
    done
}

# helpdesk's staff ticket list over $HD_LIST tickets (list page + its datatable request, first
# page and page 500) beside Anxin's city ledger list as bench.measure timed it on this cluster
helpdesk_list_compare() {  # PostgreSQL running; after run_db postgresql (measure-postgresql.json)
    local base=${DATABASE_URL%/*} rows page
    # the deep page bench.measure timed: page 500 of the city's ledger (50 rows a page), or
    # its last page when the ledger is shorter; helpdesk is read at the same row
    rows=$((PETITIONS < HD_LIST ? PETITIONS : HD_LIST))
    page=$(((rows - 1) / 50 + 1))
    page=$((page > 500 ? 500 : page))
    helpdesk_venv
    echo "== django-helpdesk ticket list over $HD_LIST tickets"
    "$PG_THROWAWAY_BIN/createdb" -h "$PG_THROWAWAY_DIR" -U "$PG_THROWAWAY_USER" hd_list
    "$HELPDESK_PY" bench/helpdesk/ticket_list.py --items "$HD_LIST" --repeat "$REPEAT" \
        --page "$page" --database-url "$base/hd_list" > "$OUT/helpdesk-list.json"
    "$PY" -m bench.listcompare --helpdesk-json "$OUT/helpdesk-list.json" \
        --measure-json "$OUT/measure-postgresql.json" --out "$OUT/listcompare-postgresql.json"
}

for db in $DBS; do
    case $db in
        postgresql)
            # shellcheck source=scripts/pg-throwaway.sh
            . scripts/pg-throwaway.sh
            PG_THROWAWAY_DBNAME=anxin_bench pg_start
            trap pg_stop EXIT
            run_db postgresql
            escalation_compare
            helpdesk_list_compare
            pg_stop
            trap - EXIT
            ;;
        sqlite)
            rm -f "$OUT"/bench.sqlite3*
            DATABASE_URL="sqlite:///$PWD/$OUT/bench.sqlite3" run_db sqlite
            ;;
        *) echo "unknown database $db" >&2; exit 2 ;;
    esac
done

"$PY" -m bench.collect --scale "$SCALE" --out bench/results/latest.json "$OUT"/measure-*.json \
    "$OUT"/intake-*.json "$OUT"/escalation-*.json "$OUT"/listcompare-*.json
