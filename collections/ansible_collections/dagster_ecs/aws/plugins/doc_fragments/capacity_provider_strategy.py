# An ECS capacity provider strategy option, shared by ecs_service (capacity_provider_strategy, the default
# variable) and ecs_cluster (default_capacity_provider_strategy: dagster_ecs.aws.capacity_provider_strategy.cluster).
# The two options differ only in name and description; their items are built from one text below.

_ITEMS = r"""
    type: list
    elements: dict
    suboptions:
      capacity_provider:
        description: Capacity provider name.
        type: str
        required: true
      weight:
        description: Relative share of tasks.
        type: int
        default: 0
      base:
        description: Tasks that run on this provider before weights apply.
        type: int
        default: 0
"""


class ModuleDocFragment:
    DOCUMENTATION = (
        r"""
options:
  capacity_provider_strategy:
    description:
      - Capacity provider strategy. When neither it nor O(launch_type) is set, the cluster's default strategy
        applies at creation and the strategy is not managed afterwards."""
        + _ITEMS
    )

    CLUSTER = (
        r"""
options:
  default_capacity_provider_strategy:
    description: Strategy used by services and tasks that name neither a launch type nor a strategy."""
        + _ITEMS
    )
