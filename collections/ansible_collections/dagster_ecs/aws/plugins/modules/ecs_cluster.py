#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_cluster
short_description: Manage an Amazon ECS cluster, its capacity providers, settings and tags
version_added: 0.1.0
description:
  - Create, update or delete the ECS cluster O(name).
  - Converges the capacity providers and the default capacity provider strategy (PutClusterCapacityProviders),
    the C(containerInsights) setting (UpdateClusterSettings) and the tags (TagResource / UntagResource).
    community.aws.ecs_cluster manages neither settings nor tags.
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description: V(present) creates or updates the cluster; V(absent) deletes it (it must have no services).
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Cluster name.
    type: str
    required: true
  capacity_providers:
    description: Capacity providers of the cluster, e.g. V([FARGATE, FARGATE_SPOT]). Unset leaves them alone.
    type: list
    elements: str
  container_insights:
    description: The C(containerInsights) setting. Unset leaves it alone.
    type: str
    choices: [enabled, enhanced, disabled]
extends_documentation_fragment:
  - dagster_ecs.aws.capacity_provider_strategy.cluster
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fargate cluster with Container Insights
  dagster_ecs.aws.ecs_cluster:
    name: dagster-ecs-dev
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - {capacity_provider: FARGATE, weight: 1, base: 1}
    container_insights: enabled
    tags:
      Project: dagster-ecs
"""

RETURN = r"""
cluster:
  description: The cluster after the task (in check mode, as it was); empty when absent.
  returned: always
  type: dict
  contains:
    cluster_arn:
      description: ARN of the cluster.
      type: str
    cluster_name:
      description: Name of the cluster.
      type: str
    capacity_providers:
      description: Capacity providers.
      type: list
    default_capacity_provider_strategy:
      description: Default strategy.
      type: list
    settings:
      description: Cluster settings.
      type: list
    tags:
      description: Tags as a dict.
      type: dict
"""

from typing import Any

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    predict_tags,
    result,
    retrying_client,
    snake_description,
    tags_to_dict,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import (
    ECS_TAGS,
    STRATEGY_ITEM_OPTIONS,
    AnsibleECSError,
    create_cluster,
    delete_cluster,
    describe_cluster,
    ecs_tag_list,
    put_cluster_capacity_providers,
    strategy,
    update_cluster_settings,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "capacity_providers": {"type": "list", "elements": "str"},
    "default_capacity_provider_strategy": {"type": "list", "elements": "dict", "options": STRATEGY_ITEM_OPTIONS},
    "container_insights": {"choices": ["enabled", "enhanced", "disabled"]},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}


def summarize(cluster: Description | None) -> dict[str, Any]:
    if not cluster:
        return {}
    settings = {setting["name"]: setting["value"] for setting in cluster.get("settings") or []}
    return {
        "name": cluster["clusterName"],
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": strategy(cluster.get("defaultCapacityProviderStrategy")),
        "container_insights": settings.get("containerInsights", "disabled"),
        "tags": tags_to_dict(cluster.get("tags")),
    }


def container_insights(value: str) -> list[dict[str, str]]:
    """The cluster settings that set containerInsights to `value`."""
    return [{"name": "containerInsights", "value": value}]


def create_request(wanted: dict[str, Any]) -> dict[str, Any]:
    """CreateCluster's parameters (but the name) for the summary `wanted`."""
    request: dict[str, Any] = {}
    if "capacity_providers" in wanted:
        request["capacity_providers"] = wanted["capacity_providers"]
    if wanted.get("default_capacity_provider_strategy"):
        request["default_capacity_provider_strategy"] = wanted["default_capacity_provider_strategy"]
    request = snake_dict_to_camel_dict(request)
    if "container_insights" in wanted:
        request["settings"] = container_insights(wanted["container_insights"])
    if wanted["tags"]:
        request["tags"] = ecs_tag_list(wanted["tags"])
    return request


def capacity_providers_request(wanted: dict[str, Any]) -> dict[str, Any]:
    """PutClusterCapacityProviders' parameters (but the cluster) for the summary `wanted`."""
    return snake_dict_to_camel_dict(
        {
            "capacity_providers": wanted["capacity_providers"],
            "default_capacity_provider_strategy": wanted["default_capacity_provider_strategy"],
        }
    )


class ClusterTask:
    def __init__(self, module: AnsibleAWSModule, ecs: Client) -> None:
        self.module = module
        self.ecs = ecs
        self.params = module.params
        self.name: str = self.params["name"]

    def find(self) -> Description | None:
        return describe_cluster(self.ecs, self.name)

    def wanted(self, current: dict[str, Any]) -> dict[str, Any]:
        p = self.params
        wanted = dict(current) if current else {"name": self.name, "tags": {}}
        if p["capacity_providers"] is not None:
            wanted["capacity_providers"] = sorted(p["capacity_providers"])
        if p["default_capacity_provider_strategy"] is not None:
            wanted["default_capacity_provider_strategy"] = strategy(p["default_capacity_provider_strategy"])
        if p["container_insights"] is not None:
            wanted["container_insights"] = p["container_insights"]
        wanted["tags"] = predict_tags(wanted.get("tags") or {}, p["tags"], p["purge_tags"])
        return wanted

    def present(self) -> dict[str, Any]:
        cluster = self.find()
        before = summarize(cluster)
        after = self.wanted(before)
        changed = before != after
        if changed and not self.module.check_mode:
            if cluster is None:
                create_cluster(self.ecs, self.name, create_request(after))
            else:
                self.update(cluster, before, after)
            cluster = self.find()
        return self.result(changed, before, after, cluster)

    def update(self, cluster: Description, before: dict[str, Any], after: dict[str, Any]) -> None:
        if (
            before["capacity_providers"] != after["capacity_providers"]
            or before["default_capacity_provider_strategy"] != after["default_capacity_provider_strategy"]
        ):
            put_cluster_capacity_providers(self.ecs, self.name, capacity_providers_request(after))
        if before["container_insights"] != after["container_insights"]:
            update_cluster_settings(self.ecs, self.name, container_insights(after["container_insights"]))
        converge_tags(
            self.module,
            self.ecs,
            ECS_TAGS,
            cluster["clusterArn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
        )

    def absent(self) -> dict[str, Any]:
        cluster = self.find()
        if cluster is None:
            return self.result(False, {}, {}, None)
        if not self.module.check_mode:
            delete_cluster(self.ecs, self.name)
        return self.result(True, summarize(cluster), {}, None)

    def result(
        self, changed: bool, before: dict[str, Any], after: dict[str, Any], cluster: Description | None
    ) -> dict[str, Any]:
        return result(self.module, changed, before, after, cluster=snake_description(cluster))


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = ClusterTask(module, retrying_client(module, "ecs"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
