# A throwaway PostgreSQL server for the tests: source this file, then
#
#   start_postgresql    installs Debian's `postgresql` package when its binaries are missing,
#                       runs initdb in a temporary folder, starts the server on a Unix socket
#                       in that folder (no TCP port to collide with) and exports its URL as
#                       ZANBOT_TEST_POSTGRESQL, which tests/storage/backends.py reads
#   stop_postgresql     stops it and deletes the folder
#
# PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the
# `postgres` system user that the Debian package creates. Durability is off (fsync): the data
# lives only as long as the test run.
# shellcheck shell=bash

_pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true
}

_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_postgresql() {
    local bin
    bin=$(_pg_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "postgresql.sh: no PostgreSQL server binaries; install Debian's postgresql" >&2
            return 1
        fi
        echo "postgresql.sh: installing Debian's postgresql package" >&2
        # DEBIAN_FRONTEND: no questions; the package's own cluster is not needed (ours is
        # made below), so it is stopped if the package started one.
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin=$(_pg_bin)
    fi
    ZANBOT_PG_DIR=$(mktemp -d /tmp/zanbot-pg.XXXXXX)
    export ZANBOT_PG_DIR
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$ZANBOT_PG_DIR"
    fi
    _pg_as_owner "$bin/initdb" -D "$ZANBOT_PG_DIR/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$ZANBOT_PG_DIR/initdb.log" 2>&1 || {
        cat "$ZANBOT_PG_DIR/initdb.log" >&2
        return 1
    }
    _pg_as_owner "$bin/pg_ctl" -D "$ZANBOT_PG_DIR/data" -l "$ZANBOT_PG_DIR/server.log" -w \
        -o "-c listen_addresses='' -k $ZANBOT_PG_DIR -c fsync=off -c full_page_writes=off \
-c synchronous_commit=off -c max_connections=200" start >/dev/null || {
        cat "$ZANBOT_PG_DIR/server.log" >&2
        return 1
    }
    export ZANBOT_TEST_POSTGRESQL="postgresql://postgres@/postgres?host=$ZANBOT_PG_DIR"
    echo "postgresql.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $ZANBOT_PG_DIR" >&2
}

stop_postgresql() {
    if [ -n "${ZANBOT_PG_DIR:-}" ] && [ -d "$ZANBOT_PG_DIR/data" ]; then
        _pg_as_owner "$(_pg_bin)/pg_ctl" -D "$ZANBOT_PG_DIR/data" -m fast -w stop >/dev/null || true
        rm -rf "$ZANBOT_PG_DIR"
    fi
    unset ZANBOT_PG_DIR ZANBOT_TEST_POSTGRESQL
}
