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

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import (
    AWS_ERRORS,
    STRATEGY_ITEM_OPTIONS,
    Client,
    Description,
    client,
    ecs_tag_list,
    ensure_tags,
    predict_tags,
    strategy,
    strategy_request,
    tags_to_dict,
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


class ClusterTask:
    def __init__(self, module: AnsibleAWSModule, ecs: Client) -> None:
        self.module = module
        self.ecs = ecs
        self.params = module.params
        self.name: str = self.params["name"]

    def find(self) -> Description | None:
        try:
            answer = self.ecs.describe_clusters(
                aws_retry=True, clusters=[self.name], include=["SETTINGS", "TAGS", "CONFIGURATIONS"]
            )
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to describe ECS cluster {self.name}")
        found = [c for c in answer.get("clusters", []) if c.get("status") != "INACTIVE"]
        return found[0] if found else None

    def wanted(self, current: dict[str, Any]) -> dict[str, Any]:
        p = self.params
        result = dict(current) if current else {"name": self.name, "tags": {}}
        if p["capacity_providers"] is not None:
            result["capacity_providers"] = sorted(p["capacity_providers"])
        if p["default_capacity_provider_strategy"] is not None:
            result["default_capacity_provider_strategy"] = strategy(p["default_capacity_provider_strategy"])
        if p["container_insights"] is not None:
            result["container_insights"] = p["container_insights"]
        result["tags"] = predict_tags(result.get("tags") or {}, p["tags"], p["purge_tags"])
        return result

    def present(self) -> dict[str, Any]:
        cluster = self.find()
        before = summarize(cluster)
        after = self.wanted(before)
        changed = before != after
        if changed and not self.module.check_mode:
            if cluster is None:
                self.create(after)
            else:
                self.update(cluster, before, after)
            cluster = self.find()
        return self.result(changed, before, after, cluster)

    def create(self, wanted: dict[str, Any]) -> None:
        params: dict[str, Any] = {"clusterName": self.name}
        if "capacity_providers" in wanted:
            params["capacityProviders"] = wanted["capacity_providers"]
        if wanted.get("default_capacity_provider_strategy"):
            params["defaultCapacityProviderStrategy"] = strategy_request(wanted["default_capacity_provider_strategy"])
        if "container_insights" in wanted:
            params["settings"] = [{"name": "containerInsights", "value": wanted["container_insights"]}]
        if wanted["tags"]:
            params["tags"] = ecs_tag_list(wanted["tags"])
        try:
            self.ecs.create_cluster(aws_retry=True, **params)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to create ECS cluster {self.name}")

    def update(self, cluster: Description, before: dict[str, Any], after: dict[str, Any]) -> None:
        try:
            if (
                before["capacity_providers"] != after["capacity_providers"]
                or before["default_capacity_provider_strategy"] != after["default_capacity_provider_strategy"]
            ):
                self.ecs.put_cluster_capacity_providers(
                    aws_retry=True,
                    cluster=self.name,
                    capacityProviders=after["capacity_providers"],
                    defaultCapacityProviderStrategy=strategy_request(after["default_capacity_provider_strategy"]),
                )
            if before["container_insights"] != after["container_insights"]:
                self.ecs.update_cluster_settings(
                    aws_retry=True,
                    cluster=self.name,
                    settings=[{"name": "containerInsights", "value": after["container_insights"]}],
                )
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to update ECS cluster {self.name}")
        ensure_tags(
            self.module,
            self.ecs,
            cluster["clusterArn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
            lowercase_keys=True,
        )

    def absent(self) -> dict[str, Any]:
        cluster = self.find()
        if cluster is None:
            return self.result(False, {}, {}, None)
        if not self.module.check_mode:
            try:
                self.ecs.delete_cluster(aws_retry=True, cluster=self.name)
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Failed to delete ECS cluster {self.name}")
        return self.result(True, summarize(cluster), {}, None)

    def result(
        self, changed: bool, before: dict[str, Any], after: dict[str, Any], cluster: Description | None
    ) -> dict[str, Any]:
        described: dict[str, Any] = {}
        if cluster:
            described = camel_dict_to_snake_dict({k: v for k, v in cluster.items() if k != "tags"})
            described["tags"] = tags_to_dict(cluster.get("tags"))
        result: dict[str, Any] = {"changed": changed, "cluster": described}
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = ClusterTask(module, client(module, "ecs"))
    result = task.present() if module.params["state"] == "present" else task.absent()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
