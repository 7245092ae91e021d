# The dagster.yaml and workspace.yaml the ECS services run with, generated and validated by the platform.

DOCUMENTATION = r"""
name: dagster_config
author: dagster-ecs
short_description: Render the Dagster instance (dagster.yaml) or workspace (workspace.yaml) for ECS
description:
  - C(instance) returns the dagster.yaml text for the webserver, the daemon and the run workers, with PostgreSQL
    storage whose connection settings are C(DAGSTER_POSTGRES_*) environment references and that signs in with an
    RDS IAM auth token generated from the task role (no password anywhere), a run queue with a global and
    a per-repository limit, dagster-aws's EcsRunLauncher running each run as a Fargate task in the given private
    subnets with no public IP, S3 compute logs, run monitoring, the code-server reload timeout, telemetry off.
  - C(workspace) returns the workspace.yaml text with one C(grpc_server) per repository at
    C(<repository>.<namespace>:<port>), its Cloud Map name.
  - Runs reuse the task definition of their repository's code server, which has the repository's task role and
    EFS access point; the code server reports it through C(python -m dagster_ecs.container code-server REPO).
  - Invalid input (a malformed subnet id, an empty list, a limit below 1) fails the lookup with a message
    naming the option, before any AWS call.
  - Requires the dagster-ecs package in the Python environment that runs Ansible (uv sync installs it).
options:
  _terms:
    description: What to render, C(instance) or C(workspace).
    required: true
    type: list
    elements: str
  region:
    description: AWS region of the cluster and bucket. Required for C(instance).
    type: str
  cluster:
    description: ECS cluster name or ARN that runs are launched in. Required for C(instance).
    type: str
  subnets:
    description: Private subnet ids of run tasks (at most 16). Required for C(instance).
    type: list
    elements: str
  security_groups:
    description: Security group ids of run tasks, normally the run security group. Required for C(instance).
    type: list
    elements: str
  bucket:
    description: The environment's S3 bucket; compute logs go under C(compute_log_prefix). Required for C(instance).
    type: str
  code_task_definition_prefix:
    description:
      - Family prefix of the code servers' task definitions (C(<name prefix>-code-)). A run of code location
        C(L) always runs as the latest revision of C(<prefix>L); run tags that would change its task definition,
        role, command or network are refused. Default C(<cluster name>-code-), the services role's naming.
    type: str
  max_concurrent_runs:
    description: Runs in progress at once across the deployment.
    type: int
    default: 10
  max_runs_per_repository:
    description: Runs in progress at once per repository (code location); at most O(max_concurrent_runs).
    type: int
    default: 4
  compute_log_prefix:
    description: S3 key prefix of compute logs.
    type: str
    default: compute_logs
  container_name:
    description: Container a run overrides when its code location does not name one.
    type: str
    default: dagster
  capacity_provider:
    description: Fargate capacity of run tasks.
    type: str
    choices: [FARGATE, FARGATE_SPOT]
    default: FARGATE
  run_start_timeout_seconds:
    description: Seconds a run may take to start before run monitoring fails it.
    type: int
    default: 600
  max_runtime_seconds:
    description: Seconds after which run monitoring stops a run; 0 for no limit.
    type: int
    default: 0
  run_retries:
    description: Retries of a run whose worker crashed; 0 turns run retries off.
    type: int
    default: 0
  reload_timeout_seconds:
    description: Seconds the webserver waits for a code server to reload.
    type: int
    default: 180
  repositories:
    description: DAG repository names. Required for C(workspace).
    type: list
    elements: str
  namespace:
    description: Cloud Map namespace the code servers register in. Required for C(workspace).
    type: str
  port:
    description: Port of the code servers.
    type: int
    default: 4000
"""

EXAMPLES = r"""
- name: Render the instance configuration of the services
  ansible.builtin.set_fact:
    services_instance_yaml: >-
      {{ lookup('dagster_ecs.aws.dagster_config', 'instance',
                region=dagster_ecs_region, cluster=cluster_name,
                subnets=network_private_subnet_ids_out, security_groups=[network_security_group_ids.run],
                bucket=storage_bucket_name_out,
                max_concurrent_runs=10, max_runs_per_repository=4) }}

- name: Render the workspace of the webserver and daemon
  ansible.builtin.set_fact:
    services_workspace_yaml: >-
      {{ lookup('dagster_ecs.aws.dagster_config', 'workspace',
                repositories=dagster_ecs_repositories, namespace=cluster_namespace_name_out, port=4000) }}
"""

RETURN = r"""
_raw:
  description: One YAML document per term, C(dagster.yaml) for C(instance) and C(workspace.yaml) for C(workspace).
  type: list
  elements: str
"""

from collections.abc import Sequence
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

INSTANCE_REQUIRED = ("region", "cluster", "subnets", "security_groups", "bucket")
INSTANCE_OPTIONAL = (
    "code_task_definition_prefix",
    "max_concurrent_runs",
    "max_runs_per_repository",
    "compute_log_prefix",
    "container_name",
    "capacity_provider",
    "run_start_timeout_seconds",
    "max_runtime_seconds",
    "run_retries",
    "reload_timeout_seconds",
)
WORKSPACE_REQUIRED = ("repositories", "namespace")


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        try:
            from dagster_ecs.config import DeployConfigError, to_yaml
            from dagster_ecs.config.ecs_settings import EcsInstanceSettings
            from dagster_ecs.config.instance import ecs_instance_config
            from dagster_ecs.config.workspace import ecs_workspace
        except ImportError as error:
            raise AnsibleLookupError(f"dagster_ecs is not importable from Ansible's Python: {error}") from error
        self.set_options(var_options=variables, direct=kwargs)
        rendered = []
        for term in terms:
            try:
                if term == "instance":
                    self._require(term, INSTANCE_REQUIRED)
                    values = {name: _plain(self.get_option(name)) for name in INSTANCE_REQUIRED + INSTANCE_OPTIONAL}
                    settings = EcsInstanceSettings(**values)
                    config = ecs_instance_config(settings)
                elif term == "workspace":
                    self._require(term, WORKSPACE_REQUIRED)
                    config = ecs_workspace(
                        _plain(self.get_option("repositories")),
                        _plain(self.get_option("namespace")),
                        _plain(self.get_option("port")),
                    )
                else:
                    raise AnsibleLookupError(f"dagster_config: unknown term {term!r}; use 'instance' or 'workspace'")
            except DeployConfigError as error:
                raise AnsibleLookupError(f"dagster_config {term}: {error}") from error
            rendered.append(to_yaml(config))
        return rendered

    def _require(self, term: str, names: Sequence[str]) -> None:
        missing = [name for name in names if self.get_option(name) in (None, "")]
        if missing:
            raise AnsibleLookupError(f"dagster_config {term}: missing option(s) {', '.join(missing)}")


def _plain(value: Any) -> Any:
    """Ansible hands over tagged str/int/list subclasses, which the YAML dumper refuses: use the builtins."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
