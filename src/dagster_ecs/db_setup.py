"""Create the database login every Dagster process on ECS uses, so that none of them needs the master password.

Run once per deployment as the one-off ECS task `<prefix>-db-setup` (its task role alone may read the master
secret): `python -m dagster_ecs.db_setup --secret-arn ARN [--username dagster]`. It reads the master user's
name and password from Secrets Manager (the secret RDS manages for the instance holds only `username` and
`password`; the endpoint comes from DAGSTER_POSTGRES_HOST, DAGSTER_POSTGRES_PORT and DAGSTER_POSTGRES_DB, and a
secret that also has `host`, `port` and `dbname` is used without them), connects as the master user and makes
sure, changing only what is missing, that:

- the login exists (`CREATE ROLE ... WITH LOGIN`, no password);
- it is a member of `rds_iam` where that role exists, i.e. on RDS, so it signs in with IAM auth tokens only
  (RDS docs, "Creating a database account using IAM authentication": `GRANT rds_iam TO <user>`); a server
  without `rds_iam` (a local PostgreSQL) is left to its own authentication;
- it may connect to the database and use and create in schema `public` (PostgreSQL 15+ no longer lets every
  role create there);
- Dagster's storage schema exists (runs, event logs, schedules): made here, before any Dagster process starts,
  because every process creates it on first use, and of the errors two concurrent CREATE TABLEs raise,
  dagster-postgres retries only 42P07 (`retry_pg_creation_fn` in dagster_postgres/utils.py), not the 42710 of the
  table's row type: code servers starting together on a new database failed with `type "jobs" already exists`;
- it owns every table, view and sequence in `public`: Dagster's schema migrations alter its tables, which only
  their owner may do, and a deployment whose processes connected as the master user left them owned by it.
  The master user is made a member of the login first, as ALTER ... OWNER TO requires of a non-superuser (the
  RDS master user is not a superuser).

It prints one line per change, or that nothing changed, and never prints the password.
"""

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
from botocore.exceptions import BotoCoreError, ClientError
from psycopg2 import sql

# A PostgreSQL identifier the role and IAM policies can name without quoting (the IAM dbuser ARN is case
# sensitive and matches the login's name exactly).
_IDENTIFIER_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")
DEFAULT_USERNAME = "dagster"
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# relkind: ordinary and partitioned tables, views, materialized views. Sequences are handled after the tables:
# ALTER TABLE OWNER moves the sequences the table's columns own, and those refuse a separate ALTER SEQUENCE.
_RELATION_KINDS = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}


class DatabaseSetupError(RuntimeError):
    """The setup cannot run as asked; the message says what to fix."""


@dataclass(frozen=True)
class MasterCredentials:
    username: str
    password: str
    host: str
    port: int
    dbname: str

    def __repr__(self) -> str:  # never show the password in a traceback or a log line
        where = f"host={self.host!r}, port={self.port}, dbname={self.dbname!r}"
        return f"MasterCredentials(username={self.username!r}, {where})"


def validate_username(username: str, master_username: str | None = None) -> None:
    """The app login's name: a plain lowercase PostgreSQL identifier, not the master user, not an RDS role."""
    if not _IDENTIFIER_RE.fullmatch(username):
        raise DatabaseSetupError(
            f"username={username!r} is not a lowercase PostgreSQL identifier (a letter, then up to 62 lowercase "
            "letters, digits or underscores)"
        )
    if username.startswith(("pg_", "rds")):
        raise DatabaseSetupError(f"username={username!r} is a name PostgreSQL or RDS reserves (pg_*, rds*)")
    if master_username is not None and username == master_username.lower():
        raise DatabaseSetupError(
            f"username={username!r} is the master user: the Dagster login must be a separate, non-master login"
        )


# Where each setting comes from when the secret lacks it: the task definition's environment.
_ENDPOINT_VARIABLES = {
    "host": "DAGSTER_POSTGRES_HOST",
    "port": "DAGSTER_POSTGRES_PORT",
    "dbname": "DAGSTER_POSTGRES_DB",
}


def master_credentials(secret_string: str, overrides: Mapping[str, str] | None = None) -> MasterCredentials:
    """The master credentials from the secret's JSON (username, password; host, port, dbname when it has them);
    `overrides` (host, port, dbname, from the environment) win when given."""
    try:
        value = json.loads(secret_string)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise DatabaseSetupError("the master secret is not a JSON object with username and password")
    merged: dict[str, Any] = {**value, **{key: item for key, item in (overrides or {}).items() if item}}
    missing = [key for key in ("username", "password") if not merged.get(key)]
    if missing:
        raise DatabaseSetupError(f"the master secret lacks {', '.join(missing)}")
    unset = [_ENDPOINT_VARIABLES[key] for key in ("host", "dbname") if not merged.get(key)]
    if unset:
        raise DatabaseSetupError(f"set {' and '.join(unset)}: the master secret does not name the database")
    return MasterCredentials(
        username=str(merged["username"]),
        password=str(merged["password"]),
        host=str(merged["host"]),
        port=int(merged.get("port") or 5432),
        dbname=str(merged["dbname"]),
    )


def read_secret(secret_arn: str, region: str | None = None) -> str:
    """The secret's current string, read with this task's own role (boto3 honours AWS_ENDPOINT_URL)."""
    import boto3

    client = boto3.client("secretsmanager", region_name=region)
    return client.get_secret_value(SecretId=secret_arn)["SecretString"]


def set_up_login(master: MasterCredentials, username: str, sslmode: str = "require") -> list[str]:
    """Converge the login and its privileges as described in the module docstring; returns what changed."""
    validate_username(username, master.username)
    connection = _connect(master, sslmode)
    try:
        with connection, connection.cursor() as cursor:  # one transaction: all of it or nothing
            return _converge(cursor, master, username)
    finally:
        connection.close()


def create_dagster_schema(master: MasterCredentials, sslmode: str = "require") -> list[str]:
    """Dagster's PostgreSQL storage tables, created as the master user if missing; returns what changed.

    `set_up_login` then hands them to the login. The same code path as a Dagster process's first start
    (DagsterPostgresStorage with should_autocreate_tables), run once instead of by every process at once.
    """
    from dagster_postgres import DagsterPostgresStorage
    from dagster_postgres.utils import get_conn_string

    if _has_dagster_tables(master, sslmode):
        return []
    url = get_conn_string(
        master.username, master.password, master.host, master.dbname, str(master.port), params={"sslmode": sslmode}
    )
    storage = DagsterPostgresStorage(postgres_url=url, should_autocreate_tables=True)
    for part in (storage.run_storage, storage.event_log_storage, storage.schedule_storage):
        part.dispose()
    return ["created Dagster's storage schema (runs, event logs, schedules)"]


def _connect(master: MasterCredentials, sslmode: str) -> Any:
    return psycopg2.connect(
        host=master.host,
        port=master.port,
        user=master.username,
        password=master.password,
        dbname=master.dbname,
        sslmode=sslmode,
        connect_timeout=30,
        application_name="dagster-ecs db-setup",
    )


def _has_dagster_tables(master: MasterCredentials, sslmode: str) -> bool:
    connection = _connect(master, sslmode)
    try:
        with connection, connection.cursor() as cursor:
            tables = ("runs", "event_logs", "jobs")  # one of each storage: runs, event log, schedules
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)", (list(tables),)
            )
            return cursor.fetchone()[0] == len(tables)
    finally:
        connection.close()


def _converge(cursor: Any, master: MasterCredentials, username: str) -> list[str]:
    login = sql.Identifier(username)
    done: list[str] = []

    cursor.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (username,))
    row = cursor.fetchone()
    if row is None:
        cursor.execute(sql.SQL("CREATE ROLE {} WITH LOGIN").format(login))
        done.append(f"created login {username}")
    elif not row[0]:
        cursor.execute(sql.SQL("ALTER ROLE {} WITH LOGIN").format(login))
        done.append(f"allowed {username} to log in")

    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'")
    if cursor.fetchone() is not None:
        cursor.execute("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", (username,))
        if not cursor.fetchone()[0]:
            cursor.execute(sql.SQL("GRANT rds_iam TO {}").format(login))
            done.append(f"granted rds_iam to {username} (IAM authentication)")

    cursor.execute("SELECT has_database_privilege(%s, current_database(), 'CONNECT')", (username,))
    if not cursor.fetchone()[0]:
        cursor.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(master.dbname), login))
        done.append(f"granted CONNECT on database {master.dbname} to {username}")

    for privilege in ("USAGE", "CREATE"):
        cursor.execute("SELECT has_schema_privilege(%s, 'public', %s)", (username, privilege))
        if not cursor.fetchone()[0]:
            cursor.execute(sql.SQL("GRANT {} ON SCHEMA public TO {}").format(sql.SQL(privilege), login))
            done.append(f"granted {privilege} on schema public to {username}")

    done += _transfer_ownership(cursor, master, username)
    return done


def _not_owned(cursor: Any, username: str, kinds: Sequence[str]) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = ANY(%s) AND pg_get_userbyid(c.relowner) <> %s
        ORDER BY c.relname
        """,
        (list(kinds), username),
    )
    return list(cursor.fetchall())


def _transfer_ownership(cursor: Any, master: MasterCredentials, username: str) -> list[str]:
    relations = _not_owned(cursor, username, list(_RELATION_KINDS))
    if not relations and not _not_owned(cursor, username, ["S"]):
        return []
    done: list[str] = []
    login = sql.Identifier(username)
    cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (username,))
    if not cursor.fetchone()[0]:
        cursor.execute(sql.SQL("GRANT {} TO {}").format(login, sql.Identifier(master.username)))
        done.append(f"made {master.username} a member of {username} (to hand it the existing tables)")
    for name, kind in relations:
        statement = sql.SQL("ALTER {} public.{} OWNER TO {}")
        cursor.execute(statement.format(sql.SQL(_RELATION_KINDS[kind]), sql.Identifier(name), login))
    # Sequences not linked to a column moved with their table above.
    sequences = _not_owned(cursor, username, ["S"])
    for name, _kind in sequences:
        cursor.execute(sql.SQL("ALTER SEQUENCE public.{} OWNER TO {}").format(sql.Identifier(name), login))
    if relations or sequences:
        done.append(
            f"gave {username} ownership of {len(relations)} table(s) or view(s) and {len(sequences)} sequence(s) "
            "in schema public"
        )
    return done


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m dagster_ecs.db_setup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret-arn", default=env.get("DAGSTER_ECS_DATABASE_SECRET_ARN"), help="master secret")
    parser.add_argument("--username", default=DEFAULT_USERNAME, help=f"the Dagster login (default {DEFAULT_USERNAME})")
    parser.add_argument("--sslmode", choices=SSL_MODES, default="require", help="libpq sslmode (default require)")
    args = parser.parse_args(argv)
    if not args.secret_arn:
        parser.error("--secret-arn (or DAGSTER_ECS_DATABASE_SECRET_ARN) is required")
    try:
        validate_username(args.username)
        overrides = {
            "host": env.get("DAGSTER_POSTGRES_HOST", ""),
            "port": env.get("DAGSTER_POSTGRES_PORT", ""),
            "dbname": env.get("DAGSTER_POSTGRES_DB", ""),
        }
        master = master_credentials(read_secret(args.secret_arn, env.get("AWS_DEFAULT_REGION")), overrides)
        validate_username(args.username, master.username)
        done = create_dagster_schema(master, args.sslmode) + set_up_login(master, args.username, args.sslmode)
    except (DatabaseSetupError, psycopg2.Error, BotoCoreError, ClientError) as error:
        print(f"db-setup failed: {error}", file=sys.stderr)
        return 1
    where = f"{master.host}:{master.port}/{master.dbname}"
    for line in done:
        print(f"db-setup: {line}")
    if not done:
        print(f"db-setup: login {args.username} on {where} already set up; nothing changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
