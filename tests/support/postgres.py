"""A throwaway PostgreSQL server: initdb into a temp dir, pg_ctl on a free loopback port, removed afterwards.

PostgreSQL refuses to run as root, so when the tests run as root the server binaries run as the `postgres`
system user, which then owns the temporary data directory.
"""

import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

SERVER_USER = "postgres"
BIN_DIR_GLOB = "/usr/lib/postgresql/*/bin"
START_TIMEOUT = 60
STOP_TIMEOUT = 30


class PostgresUnavailableError(RuntimeError):
    """The machine has no PostgreSQL server binaries, or they cannot be run; the tests need them."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str
    socket_dir: Path
    log_path: Path

    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} password={self.password} dbname={self.database}"

    def dagster_env(self) -> dict[str, str]:
        """The DAGSTER_POSTGRES_* variables that make `local_instance_config` choose this server."""
        return {
            "DAGSTER_POSTGRES_HOST": self.host,
            "DAGSTER_POSTGRES_PORT": str(self.port),
            "DAGSTER_POSTGRES_USER": self.user,
            "DAGSTER_POSTGRES_PASSWORD": self.password,
            "DAGSTER_POSTGRES_DB": self.database,
        }

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)


def tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file, or a note that there is none."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def find_server_bin_dir() -> Path:
    """The directory holding initdb, pg_ctl and postgres: PATH first, else the newest /usr/lib/postgresql."""
    on_path = [shutil.which(name) for name in ("initdb", "pg_ctl")]
    if all(on_path):
        directory = Path(os.path.realpath(on_path[0] or "")).parent
        if (directory / "pg_ctl").exists() and (directory / "postgres").exists():
            return directory

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.name))

    for candidate in sorted(glob.glob(BIN_DIR_GLOB), key=version, reverse=True):
        directory = Path(candidate)
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    raise PostgresUnavailableError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were found neither on PATH nor under "
        f"{BIN_DIR_GLOB}: install them (e.g. `apt-get install postgresql`) to run the end-to-end tests"
    )


def _as_server_user(command: list[str]) -> list[str]:
    """`command`, run as the postgres system user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", SERVER_USER, "--", *command]
    setpriv = shutil.which("setpriv")
    if setpriv:
        entry = pwd.getpwnam(SERVER_USER)
        return [setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", *command]
    raise PostgresUnavailableError("running as root, but neither runuser nor setpriv is available to drop to postgres")


def _run(command: list[str], cwd: Path, env: Mapping[str, str], what: str, timeout: float) -> None:
    result = subprocess.run(
        _as_server_user(command), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise PostgresUnavailableError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{result.stdout}\n{result.stderr}"
        )


@contextmanager
def running_postgres(database: str = "dagster", user: str = "dagster") -> Generator[PostgresServer]:
    """A fresh PostgreSQL server on 127.0.0.1 with `database` owned by `user` (password auth over TCP)."""
    password = secrets.token_urlsafe(16)
    import psycopg2  # installed with dagster-postgres
    from psycopg2 import sql

    bin_dir = find_server_bin_dir()
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PostgresUnavailableError(
                f"running as root, and there is no {SERVER_USER!r} system user to run PostgreSQL as"
            ) from None
    # Not under pytest's tmp_path: that is private to the test user, and the server user must reach it.
    # Short, too: the unix socket path has a ~100 byte limit.
    root = Path(tempfile.mkdtemp(prefix="pg-"))
    data_dir, socket_dir, log_path = root / "data", root / "sock", root / "postgres.log"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        for path in (root, socket_dir):
            os.chown(path, server_user.pw_uid, server_user.pw_gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    env.pop("PGDATA", None)
    superuser = SERVER_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    started = False
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                superuser,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            root,
            env,
            "initdb",
            120,
        )
        port = free_port()
        options = (
            f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        start = [str(bin_dir / "pg_ctl"), "start", "-D", str(data_dir), "-l", str(log_path), "-w"]
        start += ["-t", str(START_TIMEOUT), "-o", options]
        try:
            _run(start, root, env, "pg_ctl start", START_TIMEOUT + 10)
        except PostgresUnavailableError as error:
            raise PostgresUnavailableError(f"{error}\n--- server log ---\n{tail(log_path)}") from None
        started = True
        admin = psycopg2.connect(host=str(socket_dir), port=port, user=superuser, dbname="postgres")
        try:
            admin.autocommit = True
            with admin.cursor() as cursor:
                role, db = sql.Identifier(user), sql.Identifier(database)
                cursor.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(role), (password,))
                cursor.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, role))
        finally:
            admin.close()
        yield PostgresServer(
            host="127.0.0.1",
            port=port,
            user=user,
            password=password,
            database=database,
            socket_dir=socket_dir,
            log_path=log_path,
        )
    finally:
        if started:
            stop = [str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-w", "-t", str(STOP_TIMEOUT), "-m"]
            try:
                _run([*stop, "fast"], root, env, "pg_ctl stop", STOP_TIMEOUT + 10)
            except (PostgresUnavailableError, subprocess.TimeoutExpired):
                _run([*stop, "immediate"], root, env, "pg_ctl stop -m immediate", STOP_TIMEOUT + 10)
        shutil.rmtree(root, ignore_errors=True)
