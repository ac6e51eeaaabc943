#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
# The cluster lives in a fresh `mktemp -d` directory, listens ONLY on a unix socket in that
# directory (no TCP), runs with fsync off, and is removed by pg_stop.
#
# Source it and use the functions (the caller owns the EXIT trap):
#     . scripts/pg-throwaway.sh
#     pg_start                 # exports DATABASE_URL, PG_THROWAWAY_{DIR,USER,BIN}
#     trap pg_stop EXIT
#     ... psql -h "$PG_THROWAWAY_DIR" -U "$PG_THROWAWAY_USER" anxin_test ...
#
# Or run it:
#     scripts/pg-throwaway.sh -- CMD [ARGS...]   run CMD with DATABASE_URL set, then clean up
#     scripts/pg-throwaway.sh --self-test        start, `select 1` over the socket, stop, check
#
# When running as root, the server runs as the `postgres` system user if it exists, else as
# `nobody` (PostgreSQL refuses to run as root); PG_THROWAWAY_RUN_AS=USER picks another.
# PG_THROWAWAY_DBNAME (default anxin_test) names the database created. Needs Debian's
# postgresql package (binaries under /usr/lib/postgresql/*/bin).

PG_THROWAWAY_DBNAME=${PG_THROWAWAY_DBNAME:-anxin_test}

# Directory holding initdb/pg_ctl/psql: the newest /usr/lib/postgresql/*/bin, else $PATH.
pg_bindir() {
    local d best=""
    # Newest version first when several are installed (sort -V: 16 > 9).
    while IFS= read -r d; do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && best=$d
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
    if [[ -z $best ]] && command -v initdb >/dev/null 2>&1; then
        best=$(dirname "$(command -v initdb)")
    fi
    if [[ -z $best ]]; then
        echo "pg-throwaway: initdb not found (install Debian's postgresql package)" >&2
        return 1
    fi
    echo "$best"
}

# Run a command as the cluster's owner.
_pg_as_owner() {
    if [[ $EUID -eq 0 && $PG_THROWAWAY_USER != root ]]; then
        (cd "$PG_THROWAWAY_DIR" && runuser -u "$PG_THROWAWAY_USER" -- "$@")
    else
        "$@"
    fi
}

pg_start() {
    if [[ -n ${PG_THROWAWAY_DIR:-} && -d ${PG_THROWAWAY_DIR:-} ]]; then
        echo "pg-throwaway: already running in $PG_THROWAWAY_DIR" >&2
        return 0
    fi
    local bindir
    bindir=$(pg_bindir) || return 1

    local user
    if [[ $EUID -eq 0 ]]; then
        if [[ -n ${PG_THROWAWAY_RUN_AS:-} ]]; then
            user=$PG_THROWAWAY_RUN_AS
        elif id -u postgres >/dev/null 2>&1; then
            user=postgres
        else
            user=nobody
        fi
    else
        user=$(id -un)
    fi

    # /tmp rather than $TMPDIR: a unix socket path must stay under ~100 bytes.
    local dir
    dir=$(mktemp -d /tmp/anxin-pg.XXXXXXXX) || return 1
    export PG_THROWAWAY_DIR=$dir PG_THROWAWAY_USER=$user PG_THROWAWAY_BIN=$bindir
    if [[ $EUID -eq 0 ]]; then
        chown "$user" "$dir" || { pg_stop; return 1; }
    fi

    if ! _pg_as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust \
        --encoding=UTF8 --no-locale --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
        echo "pg-throwaway: initdb failed:" >&2
        cat "$dir/initdb.log" >&2
        pg_stop
        return 1
    fi

    cat >>"$dir/data/postgresql.conf" <<EOF

# --- pg-throwaway: private, fast, disposable ---
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0700
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
EOF

    if ! _pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        start >/dev/null; then
        echo "pg-throwaway: server did not start:" >&2
        cat "$dir/server.log" >&2 2>/dev/null
        pg_stop
        return 1
    fi

    if ! _pg_as_owner "$bindir/createdb" -h "$dir" -U "$user" "$PG_THROWAWAY_DBNAME"; then
        echo "pg-throwaway: createdb failed" >&2
        pg_stop
        return 1
    fi

    # dj-database-url reads a socket directory from a percent-encoded host
    # (postgresql://user@%2Ftmp%2Fdir/db), which becomes Django's HOST. The path holds only
    # [A-Za-z0-9./-], so encoding the slashes is enough.
    export DATABASE_URL="postgresql://${user}@${dir//\//%2F}/${PG_THROWAWAY_DBNAME}"
}

pg_stop() {
    local dir=${PG_THROWAWAY_DIR:-}
    [[ -n $dir ]] || return 0
    if [[ -f $dir/data/postmaster.pid ]]; then
        _pg_as_owner "${PG_THROWAWAY_BIN:-$(pg_bindir)}/pg_ctl" -D "$dir/data" -m immediate \
            -w -t 30 stop >/dev/null 2>&1 || true
    fi
    case $dir in
        /tmp/anxin-pg.*) rm -rf -- "$dir" ;;
        *) echo "pg-throwaway: refusing to remove unexpected dir $dir" >&2 ;;
    esac
    if [[ ${DATABASE_URL:-} == *"${dir//\//%2F}"* ]]; then unset DATABASE_URL; fi
    unset PG_THROWAWAY_DIR PG_THROWAWAY_USER PG_THROWAWAY_BIN
    return 0
}

_pg_self_test() {
    local started=$SECONDS dir out
    pg_start || return 1
    dir=$PG_THROWAWAY_DIR
    echo "started in $dir as $PG_THROWAWAY_USER; DATABASE_URL=$DATABASE_URL"
    out=$("$PG_THROWAWAY_BIN/psql" -h "$dir" -U "$PG_THROWAWAY_USER" -d "$PG_THROWAWAY_DBNAME" \
        -XAtc 'select 1') || { pg_stop; return 1; }
    [[ $out == 1 ]] || { echo "unexpected psql output: $out" >&2; pg_stop; return 1; }
    echo "psql over the socket: select 1 -> $out"
    if ss -ltnp 2>/dev/null | grep -q "postgres.*pid=$(head -n1 "$dir/data/postmaster.pid")"; then
        echo "FAIL: the server listens on TCP" >&2
        pg_stop
        return 1
    fi
    pg_stop
    if [[ -e $dir ]]; then
        echo "FAIL: $dir still exists" >&2
        return 1
    fi
    echo "stopped; $dir removed; self-test ok in $((SECONDS - started))s"
}

# Executed rather than sourced.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    case ${1:-} in
        --self-test)
            _pg_self_test
            ;;
        --)
            shift
            [[ $# -gt 0 ]] || { echo "usage: $0 -- CMD [ARGS...]" >&2; exit 2; }
            pg_start
            trap pg_stop EXIT
            trap 'exit 130' INT
            trap 'exit 143' TERM
            rc=0
            "$@" || rc=$?
            exit "$rc"
            ;;
        *)
            echo "usage: $0 --self-test | -- CMD [ARGS...]   (or source it: pg_start/pg_stop)" >&2
            exit 2
            ;;
    esac
fi
