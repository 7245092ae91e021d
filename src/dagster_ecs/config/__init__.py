"""Every configuration file Dagster reads, generated here for each place the platform runs.

- `instance`: dagster.yaml for a laptop or test (`local_instance_config`), docker-compose.yml
  (`compose_instance_config`) and ECS (`ecs_instance_config`); the storage, compute-log and run-queue sections
  are built once and shared.
- `workspace`: workspace.yaml for a laptop (`local_workspace`), docker-compose.yml (`compose_workspace`) and
  ECS (`ecs_workspace`), and the command a repository's code server runs (`code_server_command`).
- `ecs_settings`: the inventory values the ECS files depend on, checked before anything is generated.

Nothing here imports Dagster at module level: the Ansible lookup `dagster_ecs.aws.dagster_config` and the
container entrypoint import these modules and must stay quick to load.
"""

from collections.abc import Mapping
from typing import Any

import yaml


class DeployConfigError(ValueError):
    """A setting cannot produce a working configuration; the message names the setting."""


def to_yaml(config: Mapping[str, Any]) -> str:
    """The YAML text of a generated configuration, keys in the order they were built."""
    return yaml.safe_dump(dict(config), sort_keys=False, default_flow_style=False)
