"""The Dagster instance (dagster.yaml) and workspace (workspace.yaml) the ECS services run with.

Generated from the inventory and dags/ by the `dagster_ecs.aws.dagster_config` lookup, handed to the
containers as environment variables and written in place by `dagster_ecs.container`.

How a run gets its repository's task role and EFS directory: `dagster_ecs.run_launcher.DagsterEcsRunLauncher`
starts a run of code location L as a task of the code server's own task definition family
`<code_task_definition_prefix>L`, overriding only the command (and cpu/memory from the `ecs/cpu` / `ecs/memory`
tags); a run tagged to change the task otherwise is refused. The code server's task definition already has the
repository's task role, its EFS access point volume and the PostgreSQL settings, so the launcher registers no
task definitions and needs no `ecs:RegisterTaskDefinition`. The launcher's own network settings put the run in
the private subnets with the run security group and no public IP.
"""

import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dagster_ecs.instance import postgres_iam_storage
from dagster_ecs.names import validate_repository_name
from dagster_ecs.settings import is_valid_bucket_name
from dagster_ecs.workspace import CODE_SERVER_PORT, grpc_workspace

# The tag Dagster puts on every run launched from a code location (dagster._core.storage.tags
# CODE_LOCATION_TAG); one code location is one repository, so limiting per unique value of this tag limits
# runs per repository.
CODE_LOCATION_TAG = "dagster/code_location"
COMPUTE_LOG_PREFIX = "compute_logs"
CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

_REGION_RE = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}")
_SUBNET_RE = re.compile(r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_SECURITY_GROUP_RE = re.compile(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_CLUSTER_RE = re.compile(r"[A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}")
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
_CONTAINER_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
# A family is at most 255 characters and a repository name at most 32.
_FAMILY_PREFIX_RE = re.compile(r"[A-Za-z0-9_-]{1,222}-")
_DNS_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# awsvpcConfiguration accepts at most 16 subnets and 5 security groups.
_MAX_SUBNETS = 16
_MAX_SECURITY_GROUPS = 5


class DeployConfigError(ValueError):
    """A setting cannot produce a working ECS configuration; the message names the setting."""


@dataclass(frozen=True)
class EcsInstanceSettings:
    """What the ECS dagster.yaml depends on; everything else is fixed by the platform.

    region: AWS region of the cluster and bucket. cluster: ECS cluster name or ARN that runs launch in.
    subnets / security_groups: the private subnets and the run security group of run tasks.
    bucket: the environment's S3 bucket (compute logs go under `compute_log_prefix`/).
    code_task_definition_prefix: family prefix of the code servers' task definitions: a run of code location L
    always runs as `<code_task_definition_prefix>L` (dagster_ecs.run_launcher). None means `<cluster name>-code-`,
    the services role's naming (cluster and task definitions share the name prefix).
    max_concurrent_runs: runs in progress at once across the deployment; max_runs_per_repository: per
    code location. container_name: the container a run overrides when its code location does not name one.
    capacity_provider: FARGATE or FARGATE_SPOT for run tasks.
    """

    region: str
    cluster: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    bucket: str
    max_concurrent_runs: int = 10
    max_runs_per_repository: int = 4
    compute_log_prefix: str = COMPUTE_LOG_PREFIX
    container_name: str = "dagster"
    capacity_provider: str = "FARGATE"
    # Fargate needs time to place a task, pull the image and mount EFS before the run worker reports in.
    run_start_timeout_seconds: int = 600
    run_cancel_timeout_seconds: int = 300
    # 0 means no limit on a run's duration.
    max_runtime_seconds: int = 0
    # 0 turns run retries off; otherwise a run whose worker crashed is retried that many times.
    run_retries: int = 0
    reload_timeout_seconds: int = 180
    code_task_definition_prefix: str | None = None

    def __post_init__(self) -> None:
        # Callers (an Ansible lookup, tests) may pass lists; keep the frozen value hashable and immutable.
        object.__setattr__(self, "subnets", _string_tuple("subnets", self.subnets))
        object.__setattr__(self, "security_groups", _string_tuple("security_groups", self.security_groups))
        _match("region", self.region, _REGION_RE, "an AWS region such as ap-southeast-2")
        _match("cluster", self.cluster, _CLUSTER_RE, "an ECS cluster name (letters, digits, - and _) or ARN")
        _ids("subnets", self.subnets, _SUBNET_RE, "subnet-0123456789abcdef0", _MAX_SUBNETS)
        _ids("security_groups", self.security_groups, _SECURITY_GROUP_RE, "sg-0123456789abcdef0", _MAX_SECURITY_GROUPS)
        if not isinstance(self.bucket, str) or not is_valid_bucket_name(self.bucket):
            raise DeployConfigError(
                f"bucket={self.bucket!r} is not a valid S3 bucket name (3-63 lowercase letters, digits, . and -)"
            )
        _positive("max_concurrent_runs", self.max_concurrent_runs)
        _positive("max_runs_per_repository", self.max_runs_per_repository)
        if self.max_runs_per_repository > self.max_concurrent_runs:
            raise DeployConfigError(
                f"max_runs_per_repository={self.max_runs_per_repository} exceeds "
                f"max_concurrent_runs={self.max_concurrent_runs}: a repository can never run more than the whole "
                "deployment"
            )
        _match("compute_log_prefix", self.compute_log_prefix, _PREFIX_RE, "an S3 key prefix without leading '/'")
        _match("container_name", self.container_name, _CONTAINER_NAME_RE, "an ECS container name")
        _match(
            "code_task_definition_prefix",
            self.code_family_prefix,
            _FAMILY_PREFIX_RE,
            "a task definition family prefix ending in '-' (letters, digits, - and _), such as dagster-ecs-dev-code-",
        )
        if self.capacity_provider not in CAPACITY_PROVIDERS:
            raise DeployConfigError(
                f"capacity_provider={self.capacity_provider!r} is not one of {', '.join(CAPACITY_PROVIDERS)}"
            )
        _positive("run_start_timeout_seconds", self.run_start_timeout_seconds)
        _positive("run_cancel_timeout_seconds", self.run_cancel_timeout_seconds)
        _positive("reload_timeout_seconds", self.reload_timeout_seconds)
        _positive("max_runtime_seconds", self.max_runtime_seconds, allow_zero=True)
        _positive("run_retries", self.run_retries, allow_zero=True)

    @property
    def code_family_prefix(self) -> str:
        """code_task_definition_prefix, or `<cluster name>-code-` when it is not set."""
        if self.code_task_definition_prefix is not None:
            return self.code_task_definition_prefix
        return f"{self.cluster.rsplit('/', 1)[-1]}-code-"


def ecs_instance_config(settings: EcsInstanceSettings) -> dict[str, Any]:
    """dagster.yaml for the webserver, the daemon and the run workers on ECS. It holds no secret."""
    # The Dagster login with an RDS IAM auth token from the task role: no task holds a database password.
    storage = postgres_iam_storage(settings.region)
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
        "storage": storage,
        "concurrency": {
            "runs": {
                "max_concurrent_runs": settings.max_concurrent_runs,
                "tag_concurrency_limits": [
                    {
                        "key": CODE_LOCATION_TAG,
                        "value": {"applyLimitPerUniqueValue": True},
                        "limit": settings.max_runs_per_repository,
                    }
                ],
            }
        },
        "run_launcher": {
            "module": "dagster_ecs.run_launcher",
            "class": "DagsterEcsRunLauncher",
            "config": _run_launcher_config(settings),
        },
        # Stored under <prefix>/<code location>/, the only compute-log prefix a repository's role may write
        # (dagster_ecs.compute_logs).
        "compute_logs": {
            "module": "dagster_ecs.compute_logs",
            "class": "CodeLocationS3ComputeLogManager",
            "config": {
                "bucket": settings.bucket,
                "prefix": settings.compute_log_prefix,
                "region": settings.region,
                "skip_empty_files": True,
                # Upload partial logs while a step runs, so the UI shows progress from another task.
                "upload_interval": 30,
            },
        },
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


def ecs_workspace(repositories: Sequence[str], namespace: str, port: int = CODE_SERVER_PORT) -> dict[str, Any]:
    """workspace.yaml for the webserver and daemon: each repository's code server by its Cloud Map name."""
    names = _string_tuple("repositories", repositories)
    if not names:
        raise DeployConfigError("repositories is empty: the workspace needs at least one DAG repository")
    for name in names:
        try:
            validate_repository_name(name)
        except ValueError as error:
            raise DeployConfigError(f"repositories: {error}") from None
    if len(set(names)) != len(names):
        raise DeployConfigError(f"repositories lists a repository twice: {sorted(names)}")
    labels = namespace.split(".") if isinstance(namespace, str) else []
    if not labels or len(namespace) > 253 or not all(_DNS_LABEL_RE.fullmatch(label) for label in labels):
        raise DeployConfigError(
            f"namespace={namespace!r} is not a DNS name (lowercase labels separated by dots, "
            "e.g. dagster-ecs-dev.local)"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DeployConfigError(f"port={port!r} is not a TCP port (1-65535)")
    return grpc_workspace({name: (f"{name}.{namespace}", port) for name in names})


def to_yaml(config: Mapping[str, Any]) -> str:
    """The YAML text of a generated configuration, keys in the order they were built."""
    return yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=False)


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


def _string_tuple(name: str, values: object) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise DeployConfigError(f"{name} must be a list of strings, got {values!r}")
    if not all(isinstance(value, str) for value in values):
        raise DeployConfigError(f"{name} must be a list of strings, got {list(values)!r}")
    return tuple(values)


def _match(name: str, value: object, pattern: re.Pattern[str], expected: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise DeployConfigError(f"{name}={value!r} is not {expected}")


def _ids(name: str, values: tuple[str, ...], pattern: re.Pattern[str], example: str, limit: int) -> None:
    if not values:
        raise DeployConfigError(f"{name} is empty: give at least one id such as {example}")
    if len(values) > limit:
        raise DeployConfigError(f"{name} has {len(values)} ids; ECS accepts at most {limit}")
    bad = [value for value in values if not pattern.fullmatch(value)]
    if bad:
        raise DeployConfigError(f"{name}: {', '.join(map(repr, bad))} is not an id such as {example}")


def _positive(name: str, value: object, *, allow_zero: bool = False) -> None:
    lowest = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
        raise DeployConfigError(f"{name}={value!r} must be an integer >= {lowest}")
