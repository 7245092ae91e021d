"""The inventory values the ECS dagster.yaml and workspace.yaml depend on, checked before anything is generated.

Each check raises DeployConfigError naming the setting, so a bad inventory value fails the Ansible lookup before
any AWS call.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dagster_ecs.config import DeployConfigError
from dagster_ecs.settings import is_valid_bucket_name

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
# awsvpcConfiguration accepts at most 16 subnets and 5 security groups.
_MAX_SUBNETS = 16
_MAX_SECURITY_GROUPS = 5


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
        object.__setattr__(self, "subnets", string_tuple("subnets", self.subnets))
        object.__setattr__(self, "security_groups", string_tuple("security_groups", self.security_groups))
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


def string_tuple(name: str, values: object) -> tuple[str, ...]:
    """`values` as a tuple when it is a list of strings; DeployConfigError naming `name` otherwise."""
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
