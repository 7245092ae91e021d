"""The Dagster instance (dagster.yaml) for each place the platform runs: a laptop or test, compose, ECS.

Every target that stores runs in PostgreSQL takes the connection settings from the `DAGSTER_POSTGRES_*`
environment variables, resolved by Dagster at start-up, so no password is ever written into the file; on ECS
the login signs in with an RDS IAM auth token and there is no password at all.

How a run on ECS gets its repository's task role and EFS directory: `dagster_ecs.run_launcher.DagsterEcsRunLauncher`
starts a run of code location L as a task of the code server's own task definition family
`<code_task_definition_prefix>L`, overriding only the command (and cpu/memory from the `ecs/cpu` / `ecs/memory`
tags); a run tagged to change the task otherwise is refused. The code server's task definition already has the
repository's task role, its EFS access point volume and the PostgreSQL settings, so the launcher registers no
task definitions and needs no `ecs:RegisterTaskDefinition`. The launcher's own network settings put the run in
the private subnets with the run security group and no public IP.
"""

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster_ecs.config import DeployConfigError
from dagster_ecs.config.ecs_settings import COMPUTE_LOG_PREFIX, EcsInstanceSettings

# dagster-postgres's `postgres_db` settings, each read from this environment variable.
POSTGRES_ENV = {
    "hostname": "DAGSTER_POSTGRES_HOST",
    "port": "DAGSTER_POSTGRES_PORT",
    "username": "DAGSTER_POSTGRES_USER",
    "password": "DAGSTER_POSTGRES_PASSWORD",
    "db_name": "DAGSTER_POSTGRES_DB",
}
POSTGRES_PORT_ENV = POSTGRES_ENV["port"]
# A value Dagster reads from an environment variable at start-up: {"env": NAME}.
type EnvReference = dict[str, str]
DEFAULT_POSTGRES_PORT = "5432"
# What names a server; the port has a default (`dagster-ecs dev` sets DEFAULT_POSTGRES_PORT).
POSTGRES_REQUIRED_ENV = tuple(name for setting, name in POSTGRES_ENV.items() if setting != "port")

# The tag Dagster puts on every run launched from a code location (dagster._core.storage.tags
# CODE_LOCATION_TAG); one code location is one repository, so limiting per unique value of this tag limits
# runs per repository.
CODE_LOCATION_TAG = "dagster/code_location"
# dagster-aws's manager stores every log under <prefix>/storage/; the platform's own puts the code location after
# the prefix, the only compute-log prefix a repository's role may write (dagster_ecs.compute_logs).
S3_COMPUTE_LOG_MANAGER = ("dagster_aws.s3.compute_log_manager", "S3ComputeLogManager")
CODE_LOCATION_COMPUTE_LOG_MANAGER = ("dagster_ecs.compute_logs", "CodeLocationS3ComputeLogManager")


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
    return {"postgres": {"postgres_db": {setting: {"env": name} for setting, name in POSTGRES_ENV.items()}}}


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


def s3_compute_logs(
    manager: tuple[str, str], bucket: str | EnvReference, region: str | EnvReference, prefix: str
) -> dict[str, Any]:
    """The `compute_logs` block: `manager` (module, class) storing logs in S3 under `prefix`."""
    module, class_name = manager
    return {
        "module": module,
        "class": class_name,
        "config": {
            "bucket": bucket,
            "prefix": prefix,
            "region": region,
            "skip_empty_files": True,
            # Upload partial logs while a step runs, so the UI (in another task or container) shows progress.
            "upload_interval": 30,
        },
    }


def run_queue(max_concurrent_runs: int, max_runs_per_code_location: int | None = None) -> dict[str, Any]:
    """The `concurrency` block: runs in progress at once, overall and (when given) per code location."""
    runs: dict[str, Any] = {"max_concurrent_runs": max_concurrent_runs}
    if max_runs_per_code_location is not None:
        runs["tag_concurrency_limits"] = [
            {
                "key": CODE_LOCATION_TAG,
                "value": {"applyLimitPerUniqueValue": True},
                "limit": max_runs_per_code_location,
            }
        ]
    return {"runs": runs}


def local_instance_config(env: Mapping[str, str], max_concurrent_runs: int = 4) -> dict[str, Any]:
    """dagster.yaml for a laptop or a test: SQLite under DAGSTER_HOME, or PostgreSQL when configured."""
    config: dict[str, Any] = {
        "telemetry": {"enabled": False},
        "concurrency": run_queue(max_concurrent_runs),
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
    config["compute_logs"] = s3_compute_logs(
        S3_COMPUTE_LOG_MANAGER, {"env": "S3_BUCKET"}, {"env": "AWS_DEFAULT_REGION"}, COMPUTE_LOG_PREFIX
    )
    return config


def ecs_instance_config(settings: EcsInstanceSettings) -> dict[str, Any]:
    """dagster.yaml for the webserver, the daemon and the run workers on ECS. It holds no secret."""
    run_monitoring: dict[str, Any] = {
        "enabled": True,
        "start_timeout_seconds": settings.run_start_timeout_seconds,
        "cancel_timeout_seconds": settings.run_cancel_timeout_seconds,
        "poll_interval_seconds": 60,
    }
    if settings.max_runtime_seconds:
        run_monitoring["max_runtime_seconds"] = settings.max_runtime_seconds
    config: dict[str, Any] = {
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
        # The Dagster login with an RDS IAM auth token from the task role: no task holds a database password.
        "storage": postgres_iam_storage(settings.region),
        "concurrency": run_queue(settings.max_concurrent_runs, settings.max_runs_per_repository),
        "run_launcher": {
            "module": "dagster_ecs.run_launcher",
            "class": "DagsterEcsRunLauncher",
            "config": _run_launcher_config(settings),
        },
        # Stored under <prefix>/<code location>/, the only compute-log prefix a repository's role may write.
        "compute_logs": s3_compute_logs(
            CODE_LOCATION_COMPUTE_LOG_MANAGER, settings.bucket, settings.region, settings.compute_log_prefix
        ),
        "run_monitoring": run_monitoring,
        "code_servers": {"reload_timeout": settings.reload_timeout_seconds},
    }
    if settings.run_retries:
        config["run_retries"] = {
            "enabled": True,
            "max_retries": settings.run_retries,
            # Op and asset failures have their own retry policies; retry only runs whose worker died.
            "retry_on_asset_or_op_failure": False,
        }
    return config


def _run_launcher_config(settings: EcsInstanceSettings) -> dict[str, Any]:
    run_task_kwargs: dict[str, Any] = {
        "cluster": settings.cluster,
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(settings.subnets),
                "securityGroups": list(settings.security_groups),
                "assignPublicIp": "DISABLED",
            }
        },
        # The run task carries the code server task definition's tags (Project, Environment, Repository).
        "propagateTags": "TASK_DEFINITION",
        "enableECSManagedTags": True,
    }
    if settings.capacity_provider == "FARGATE":
        run_task_kwargs["launchType"] = "FARGATE"
    else:
        run_task_kwargs["capacityProviderStrategy"] = [{"capacityProvider": settings.capacity_provider, "weight": 1}]
    return {
        # Network and cluster come from this file, not from the launching task's own ENI: that path needs
        # ec2:Describe* and the ECS metadata endpoint, and fails for capacity-provider tasks in 0.29.
        "use_current_ecs_task_config": False,
        # Runs of code location L run as the latest revision of <prefix>L; tags that would change it are refused.
        "code_task_definition_prefix": settings.code_family_prefix,
        "container_name": settings.container_name,
        "run_task_kwargs": run_task_kwargs,
        # The default ('dagster') makes every launch list tagged secrets: needs secretsmanager:ListSecrets
        # and could mount secrets nobody asked for.
        "secrets_tag": None,
        "propagate_tags": {"allow_list": [CODE_LOCATION_TAG]},
    }


def validate_instance_directory(directory: Path) -> None:
    """Check `directory`/dagster.yaml as a starting Dagster process would, without connecting to anything.

    The instance schema, then every configurable class it names (storage, run launcher, compute logs, run
    coordinator, ...) against that class's own config schema, with `env:` references resolved from this
    process's environment, so a missing DAGSTER_POSTGRES_HOST is reported here by name.
    """
    from dagster._config import process_config, resolve_to_config_type
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes.config_class import ConfigurableClassData

    try:
        ref = InstanceRef.from_dir(str(directory))
    except DagsterInvalidConfigError as error:
        raise DeployConfigError(f"dagster.yaml does not match Dagster's instance schema: {error}") from None
    except Exception as error:  # incompatible settings are reported as plain check errors
        raise DeployConfigError(f"dagster.yaml is not a usable instance: {type(error).__name__}: {error}") from None
    for field, data in ref._asdict().items():
        if not isinstance(data, ConfigurableClassData):
            continue
        where = f"{field.removesuffix('_data')} ({data.module_name}.{data.class_name})"
        try:
            klass = getattr(importlib.import_module(data.module_name), data.class_name)
        except (ImportError, AttributeError) as error:
            raise DeployConfigError(f"dagster.yaml {where}: cannot be imported: {error}") from None
        result = process_config(resolve_to_config_type(klass.config_type()), data.config_dict)
        if not result.success:
            # Post-processing errors (an unset env var) append a stack trace that says nothing to an operator.
            messages = "; ".join(error.message.split("\n\nStack Trace:")[0] for error in result.errors or [])
            raise DeployConfigError(f"dagster.yaml {where}: {messages}")
