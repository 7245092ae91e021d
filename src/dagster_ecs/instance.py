"""The Dagster instance configuration (dagster.yaml), generated rather than hand-kept.

Local runs and ECS use the same storage keys: PostgreSQL connection settings come from the
`DAGSTER_POSTGRES_*` environment variables, resolved by Dagster at start-up, so no password is ever written
into the file.
"""

from collections.abc import Mapping
from typing import Any

POSTGRES_REQUIRED_ENV = (
    "DAGSTER_POSTGRES_HOST",
    "DAGSTER_POSTGRES_USER",
    "DAGSTER_POSTGRES_PASSWORD",
    "DAGSTER_POSTGRES_DB",
)
POSTGRES_PORT_ENV = "DAGSTER_POSTGRES_PORT"
DEFAULT_POSTGRES_PORT = "5432"


def postgres_configured(env: Mapping[str, str]) -> bool:
    """True when the environment names a PostgreSQL server; raises if it names one only in part."""
    present = [name for name in POSTGRES_REQUIRED_ENV if env.get(name)]
    if not present:
        return False
    missing = [name for name in POSTGRES_REQUIRED_ENV if not env.get(name)]
    if missing:
        raise ValueError(
            f"PostgreSQL storage is half-configured: {', '.join(missing)} not set "
            f"(set all of {', '.join(POSTGRES_REQUIRED_ENV)})"
        )
    return True


def postgres_storage() -> dict[str, Any]:
    """The `storage` block: every connection setting is an environment reference."""
    return {
        "postgres": {
            "postgres_db": {
                "hostname": {"env": "DAGSTER_POSTGRES_HOST"},
                "port": {"env": POSTGRES_PORT_ENV},
                "username": {"env": "DAGSTER_POSTGRES_USER"},
                "password": {"env": "DAGSTER_POSTGRES_PASSWORD"},
                "db_name": {"env": "DAGSTER_POSTGRES_DB"},
            }
        }
    }


def postgres_iam_storage(region: str) -> dict[str, Any]:
    """The `storage` block on ECS: the Dagster login signs in with an RDS IAM auth token over TLS, no password.

    dagster-postgres (0.29.27, auth.py AwsWifTokenProvider) generates the token with boto3 from the task role's
    credentials for `hostname`/`port`/`username` before every new connection; RDS accepts it only over TLS.
    """
    storage = postgres_storage()
    postgres = storage["postgres"]
    del postgres["postgres_db"]["password"]
    postgres["postgres_db"]["params"] = {"sslmode": "require"}
    postgres["auth_provider"] = {"aws_wif": {"region": region}}
    return storage


def local_instance_config(env: Mapping[str, str], max_concurrent_runs: int = 4) -> dict[str, Any]:
    """dagster.yaml for a laptop or a test: SQLite under DAGSTER_HOME, or PostgreSQL when configured."""
    config: dict[str, Any] = {
        "telemetry": {"enabled": False},
        "concurrency": {"runs": {"max_concurrent_runs": max_concurrent_runs}},
        "run_monitoring": {"enabled": True},
        # A cold code server imports dagster and every DAG file; on two cores that can take a while.
        "code_servers": {"local_startup_timeout": 180, "reload_timeout": 180},
    }
    if postgres_configured(env):
        config["storage"] = postgres_storage()
    return config


def compose_instance_config(max_concurrent_runs: int = 4) -> dict[str, Any]:
    """dagster.yaml of docker-compose.yml: PostgreSQL storage and S3 compute logs, named by environment variables.

    No run launcher: Dagster's default asks the repository's code server to start the run, so a run executes in
    that code server's container with its DAG files, as a run task does on ECS. Compute logs go to the S3
    emulator, where the webserver (another container) can read them.
    """
    config = local_instance_config({}, max_concurrent_runs)
    config["storage"] = postgres_storage()
    config["compute_logs"] = {
        "module": "dagster_aws.s3.compute_log_manager",
        "class": "S3ComputeLogManager",
        "config": {
            "bucket": {"env": "S3_BUCKET"},
            "prefix": "compute_logs",
            "region": {"env": "AWS_DEFAULT_REGION"},
            "skip_empty_files": True,
            "upload_interval": 30,
        },
    }
    return config
