#!/bin/sh
# The official image's contract, in short: initialise PGDATA on first start (superuser POSTGRES_USER with
# POSTGRES_PASSWORD, database POSTGRES_DB), password authentication over TCP, then run the server as postgres.
set -eu
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ "${1:-}" = "postgres" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (the official image refuses to start without it)}"
    user="${POSTGRES_USER:-postgres}"
    database="${POSTGRES_DB:-$user}"
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        password_file="$(mktemp)"
        printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
        chown postgres "$password_file"
        as_postgres initdb --username="$user" --pwfile="$password_file" --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
        rm -f "$password_file"
        printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
        printf "listen_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
        if [ "$database" != "postgres" ]; then
            # A server on the unix socket only, for the one statement, as the official image does.
            as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
            as_postgres psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres --quiet \
                --command="CREATE DATABASE \"$database\""
            as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
        fi
        echo "PostgreSQL initialised: database $database, user $user"
    fi
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi
exec "$@"
