"""The one-off db-setup task against a real PostgreSQL and the emulator's Secrets Manager.

The server stands in for RDS as closely as a local PostgreSQL can: the master user is not a superuser (it has
CREATEROLE and owns the database, as the RDS master user does), and where the test says so a NOLOGIN role
`rds_iam` stands in for RDS's predefined one. IAM auth tokens cannot be checked locally: after the setup the test
gives the login a password to sign in with, which is the only difference from ECS.
"""

import json
import os
import pwd
import subprocess
import sys
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pytest
import yaml
from psycopg2 import sql

from dagster_ecs.db_setup import DatabaseSetupError, MasterCredentials, master_credentials, validate_username
from tests.support.moto_server import MotoServer
from tests.support.postgres import SERVER_USER, PostgresServer, running_postgres

pytestmark = pytest.mark.e2e

MASTER = "dbadmin"
LOGIN = "dagster"


@pytest.fixture
def rds_like() -> Iterator[PostgresServer]:
    """A server whose master user `dbadmin` owns the `dagster` database, with CREATEROLE and no superuser."""
    with running_postgres(database="dagster", user=MASTER) as server:
        with _superuser(server) as cursor:
            cursor.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(MASTER)))
        yield server


@contextmanager
def _superuser(server: PostgresServer) -> Generator[Any]:
    """A cursor of the server's superuser over its socket, autocommitting, in the database `dagster`."""
    user = SERVER_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    connection = psycopg2.connect(host=str(server.socket_dir), port=server.port, user=user, dbname=server.database)
    connection.autocommit = True
    try:
        yield connection.cursor()
    finally:
        connection.close()


def _instance_dir(tmp_path: Path, server: PostgresServer, user: str, password: str) -> Path:
    home = tmp_path / f"home-{user}"
    home.mkdir(exist_ok=True)
    storage = {
        "postgres": {
            "postgres_db": {
                "hostname": server.host,
                "port": server.port,
                "username": user,
                "password": password,
                "db_name": server.database,
            }
        }
    }
    (home / "dagster.yaml").write_text(yaml.safe_dump({"telemetry": {"enabled": False}, "storage": storage}))
    return home


def _master_secret(aws: MotoServer, server: PostgresServer) -> str:
    """A secret in the shape RDS keeps the master password it manages in: username and password only (named like
    RDS's, rds!db-<uuid>, which only RDS may create on AWS)."""
    client = boto3.client("secretsmanager", endpoint_url=aws.endpoint_url)
    value = {"username": MASTER, "password": server.password}
    return client.create_secret(Name=f"rds!db-{uuid.uuid4()}", SecretString=json.dumps(value))["ARN"]


def _db_setup(
    aws: MotoServer, secret_arn: str, server: PostgresServer | None = None
) -> subprocess.CompletedProcess[str]:
    """The task as roles/services/tasks/db_setup.yml defines it: the endpoint in its environment."""
    # The local server has no TLS; on ECS the task connects with sslmode=require (the default).
    command = [sys.executable, "-m", "dagster_ecs.db_setup", "--secret-arn", secret_arn, "--sslmode", "prefer"]
    env = {**os.environ, **aws.env()}
    for name in ("DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_PORT", "DAGSTER_POSTGRES_DB"):
        env.pop(name, None)
    if server is not None:
        env |= {
            "DAGSTER_POSTGRES_HOST": server.host,
            "DAGSTER_POSTGRES_PORT": str(server.port),
            "DAGSTER_POSTGRES_DB": server.database,
        }
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("on_rds", [True, False], ids=["with-rds_iam", "plain-postgresql"])
def test_setup_creates_the_login_once_and_dagster_runs_as_it(
    aws: MotoServer, rds_like: PostgresServer, tmp_path: Path, on_rds: bool
) -> None:
    from dagster import DagsterInstance
    from dagster._core.storage.dagster_run import DagsterRun

    if on_rds:
        with _superuser(rds_like) as cursor:
            cursor.execute("CREATE ROLE rds_iam NOLOGIN")
            cursor.execute(sql.SQL("GRANT rds_iam TO {} WITH ADMIN OPTION").format(sql.Identifier(MASTER)))
    # A deployment from before this fix: Dagster connected as the master user, which owns its tables.
    with DagsterInstance.from_config(str(_instance_dir(tmp_path, rds_like, MASTER, rds_like.password))) as old:
        old_run = old.add_run(DagsterRun(job_name="before_the_login", run_id=str(uuid.uuid4())))

    secret_arn = _master_secret(aws, rds_like)
    first = _db_setup(aws, secret_arn, rds_like)
    assert first.returncode == 0, first.stderr
    assert f"db-setup: created login {LOGIN}" in first.stdout
    assert ("granted rds_iam to dagster" in first.stdout) is on_rds, first.stdout
    assert "db-setup: granted CREATE on schema public to dagster" in first.stdout
    assert "ownership of" in first.stdout
    assert rds_like.password not in first.stdout + first.stderr

    second = _db_setup(aws, secret_arn, rds_like)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().endswith("already set up; nothing changed"), second.stdout
    assert second.stdout.count("db-setup:") == 1, second.stdout

    with _superuser(rds_like) as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s", (LOGIN,))
        assert cursor.fetchone() == (False, False, False)
        cursor.execute("""SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> %s""", (LOGIN,))
        assert cursor.fetchone() == (0,)
        if on_rds:
            cursor.execute("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", (LOGIN,))
            assert cursor.fetchone() == (True,)
        # Stands in for the IAM auth token RDS would accept.
        cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(LOGIN)), ("login-secret",))

    with DagsterInstance.from_config(str(_instance_dir(tmp_path, rds_like, LOGIN, "login-secret"))) as instance:
        instance.upgrade()  # Dagster's schema migration: alters the tables, which needs their ownership
        run = instance.add_run(DagsterRun(job_name="as_the_login", run_id=str(uuid.uuid4())))
        instance.add_dynamic_partitions("regions", ["eu"])
        assert instance.get_run_by_id(run.run_id) is not None
        assert instance.get_run_by_id(old_run.run_id) is not None
        assert instance.get_dynamic_partitions("regions") == ["eu"]


def test_on_a_new_database_it_creates_dagsters_schema_for_the_login_before_any_dagster_process(
    aws: MotoServer, rds_like: PostgresServer, tmp_path: Path
) -> None:
    """Every Dagster process creates the schema on first use, and processes starting together on an empty
    database race (dagster-postgres does not retry `type "jobs" already exists`): the setup makes it first."""
    from dagster import DagsterInstance
    from dagster._core.storage.dagster_run import DagsterRun

    secret_arn = _master_secret(aws, rds_like)
    first = _db_setup(aws, secret_arn, rds_like)
    assert first.returncode == 0, first.stderr
    assert "db-setup: created Dagster's storage schema" in first.stdout, first.stdout
    assert "ownership of" in first.stdout, first.stdout

    second = _db_setup(aws, secret_arn, rds_like)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().endswith("already set up; nothing changed"), second.stdout

    with _superuser(rds_like) as cursor:
        cursor.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")
        owners = dict(cursor.fetchall())
        assert {"runs", "event_logs", "jobs", "alembic_version"} <= set(owners), owners
        assert set(owners.values()) == {LOGIN}, owners
        cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(LOGIN)), ("login-secret",))

    # The tables need no migration: the login's instance finds them current and writes to them.
    with DagsterInstance.from_config(str(_instance_dir(tmp_path, rds_like, LOGIN, "login-secret"))) as instance:
        run = instance.add_run(DagsterRun(job_name="first", run_id=str(uuid.uuid4())))
        assert instance.get_run_by_id(run.run_id) is not None


def test_a_missing_secret_fails_naming_it(aws: MotoServer) -> None:
    arn = "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:missing-AbCdEf"
    result = _db_setup(aws, arn)
    assert result.returncode == 1
    assert "db-setup failed" in result.stderr, result.stderr
    assert "ResourceNotFoundException" in result.stderr, result.stderr


def test_without_the_endpoint_it_fails_naming_the_variables(aws: MotoServer, rds_like: PostgresServer) -> None:
    result = _db_setup(aws, _master_secret(aws, rds_like))
    assert result.returncode == 1
    assert "set DAGSTER_POSTGRES_HOST and DAGSTER_POSTGRES_DB" in result.stderr, result.stderr
    assert rds_like.password not in result.stdout + result.stderr


def test_the_secret_must_hold_username_and_password() -> None:
    endpoint = {"host": "db.internal", "port": "5432", "dbname": "dagster"}
    assert master_credentials(json.dumps({"username": MASTER, "password": "pw"}), endpoint) == MasterCredentials(
        username=MASTER, password="pw", host="db.internal", port=5432, dbname="dagster"
    )
    with pytest.raises(DatabaseSetupError, match="lacks password"):
        master_credentials(json.dumps({"username": MASTER}), endpoint)
    with pytest.raises(DatabaseSetupError, match="not a JSON object with username and password"):
        master_credentials("not json", endpoint)


@pytest.mark.parametrize(
    ("username", "master", "message"),
    [
        ("Dagster", None, "lowercase PostgreSQL identifier"),
        ("1dagster", None, "lowercase PostgreSQL identifier"),
        ("rds_iam", None, "reserves"),
        ("pg_monitor", None, "reserves"),
        ("dbadmin", "dbadmin", "is the master user"),
    ],
)
def test_bad_login_names_are_refused(username: str, master: str | None, message: str) -> None:
    with pytest.raises(DatabaseSetupError, match=message):
        validate_username(username, master)
