#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_service
short_description: Manage an Amazon ECS service, detecting every change of its configuration
version_added: 0.1.0
description:
  - Create, update or delete the ECS service O(name) in O(cluster), using the rolling-update (C(ECS))
    deployment controller.
  - Compares the task definition, desired count, launch type or capacity provider strategy, platform version,
    network configuration (subnets, security groups, public IP), deployment configuration (percentages and the
    deployment circuit breaker), load balancers, service registries, health check grace period, ECS Exec,
    managed tags, tag propagation and tags, and updates in place with UpdateService what AWS lets it update.
  - AWS cannot change a service's scheduling strategy, its deployment controller, or move it from one launch
    type to another or from a capacity provider strategy back to a launch type. When those differ the module
    fails naming them, or deletes and recreates the service when O(force_replace=true).
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) creates or updates the service.
      - V(absent) scales it to 0 and deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Service name.
    type: str
    required: true
  cluster:
    description: Cluster name or ARN.
    type: str
    required: true
  task_definition:
    description:
      - C(family:revision) or ARN of the task definition. A bare family is resolved to its latest active
        revision (one extra read).
      - Required when creating the service.
    type: str
  desired_count:
    description: Number of tasks to keep running.
    type: int
    default: 1
  launch_type:
    description: Launch type. Mutually exclusive with O(capacity_provider_strategy).
    type: str
    choices: [FARGATE, EC2, EXTERNAL]
  platform_version:
    description: Fargate platform version; not managed when unset.
    type: str
  network_configuration:
    description: The awsvpc network configuration.
    type: dict
    suboptions:
      subnets:
        description: Subnet IDs.
        type: list
        elements: str
        required: true
      security_groups:
        description: Security group IDs.
        type: list
        elements: str
        default: []
      assign_public_ip:
        description: Whether tasks get a public IP address.
        type: bool
        default: false
  deployment_configuration:
    description: Deployment configuration.
    type: dict
    default: {}
    suboptions:
      maximum_percent:
        description: Upper limit of running tasks during a deployment, in percent of O(desired_count).
        type: int
        default: 200
      minimum_healthy_percent:
        description: Lower limit of healthy tasks during a deployment, in percent of O(desired_count).
        type: int
        default: 100
      deployment_circuit_breaker:
        description: Stop a failing deployment, and optionally roll it back.
        type: dict
        default: {}
        suboptions:
          enable:
            description: Whether the circuit breaker is on.
            type: bool
            default: true
          rollback:
            description: Whether a failed deployment rolls back to the last completed one.
            type: bool
            default: true
  load_balancers:
    description: Load balancer target groups the tasks register with. V([]) removes them.
    type: list
    elements: dict
    default: []
    suboptions:
      target_group_arn:
        description: Target group ARN.
        type: str
      load_balancer_name:
        description: Classic load balancer name.
        type: str
      container_name:
        description: Container to register.
        type: str
        required: true
      container_port:
        description: Port of that container.
        type: int
        required: true
  service_registries:
    description: Cloud Map services the tasks register with. V([]) removes them.
    type: list
    elements: dict
    default: []
    suboptions:
      registry_arn:
        description: ARN of the Cloud Map service.
        type: str
        required: true
      port:
        description: Port for SRV records.
        type: int
      container_name:
        description: Container for SRV records.
        type: str
      container_port:
        description: Container port for SRV records.
        type: int
  health_check_grace_period_seconds:
    description: Seconds health checks are ignored after a task starts; not managed when unset.
    type: int
  enable_execute_command:
    description: Whether ECS Exec is allowed into the tasks.
    type: bool
    default: false
  enable_ecs_managed_tags:
    description: Whether ECS tags the tasks with the cluster and service names.
    type: bool
    default: false
  propagate_tags:
    description: Where tasks take their tags from.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: NONE
  scheduling_strategy:
    description: V(REPLICA) or V(DAEMON). Cannot be changed in place.
    type: str
    choices: [REPLICA, DAEMON]
    default: REPLICA
  force_new_deployment:
    description: Start a new deployment even when nothing changed (always reports a change).
    type: bool
    default: false
  force_replace:
    description: Delete and recreate the service when settings AWS cannot update in place differ.
    type: bool
    default: false
  wait:
    description:
      - Wait for the service to become stable after a change (and to become inactive after deletion).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - dagster_ecs.aws.capacity_provider_strategy
  - dagster_ecs.aws.require_tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Code server of repository main, private, discoverable through Cloud Map
  dagster_ecs.aws.ecs_service:
    name: dagster-ecs-dev-code-main
    cluster: dagster-ecs-dev
    task_definition: "{{ code_server_task.family_revision }}"
    desired_count: 1
    capacity_provider_strategy:
      - {capacity_provider: FARGATE, weight: 1, base: 1}
    network_configuration:
      subnets: "{{ private_subnet_ids }}"
      security_groups: ["{{ code_server_sg }}"]
      assign_public_ip: false
    deployment_configuration:
      deployment_circuit_breaker: {enable: true, rollback: true}
    service_registries:
      - registry_arn: "{{ discovery.service.arn }}"
    tags:
      Project: dagster-ecs
"""

RETURN = r"""
service:
  description: The service after the task (in check mode, as it was), snake_case; empty when absent.
  returned: always
  type: dict
  contains:
    service_arn:
      description: ARN of the service.
      type: str
    task_definition:
      description: ARN of its task definition.
      type: str
    tags:
      description: Tags as a dict.
      type: dict
differences:
  description: What differed, one line per field.
  returned: always
  type: list
  elements: str
replaced:
  description: Whether the service was (or, in check mode, would be) deleted and recreated.
  returned: always
  type: bool
"""

import time
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import (
    AWS_ERRORS,
    STRATEGY_ITEM_OPTIONS,
    Client,
    Description,
    client,
    differences,
    ecs_tag_list,
    ensure_tags,
    lacks_required_tags,
    predict_tags,
    strategy,
    strategy_request,
    tags_to_dict,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "cluster": {"required": True},
    "task_definition": {},
    "desired_count": {"type": "int", "default": 1},
    "launch_type": {"choices": ["FARGATE", "EC2", "EXTERNAL"]},
    "capacity_provider_strategy": {"type": "list", "elements": "dict", "options": STRATEGY_ITEM_OPTIONS},
    "platform_version": {},
    "network_configuration": {
        "type": "dict",
        "options": {
            "subnets": {"type": "list", "elements": "str", "required": True},
            "security_groups": {"type": "list", "elements": "str", "default": []},
            "assign_public_ip": {"type": "bool", "default": False},
        },
    },
    "deployment_configuration": {
        "type": "dict",
        "default": {},
        "options": {
            "maximum_percent": {"type": "int", "default": 200},
            "minimum_healthy_percent": {"type": "int", "default": 100},
            "deployment_circuit_breaker": {
                "type": "dict",
                "default": {},
                "options": {
                    "enable": {"type": "bool", "default": True},
                    "rollback": {"type": "bool", "default": True},
                },
            },
        },
    },
    "load_balancers": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "target_group_arn": {},
            "load_balancer_name": {},
            "container_name": {"required": True},
            "container_port": {"type": "int", "required": True},
        },
    },
    "service_registries": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "registry_arn": {"required": True},
            "port": {"type": "int"},
            "container_name": {},
            "container_port": {"type": "int"},
        },
    },
    "health_check_grace_period_seconds": {"type": "int"},
    "enable_execute_command": {"type": "bool", "default": False},
    "enable_ecs_managed_tags": {"type": "bool", "default": False},
    "propagate_tags": {"default": "NONE", "choices": ["SERVICE", "TASK_DEFINITION", "NONE"]},
    "scheduling_strategy": {"default": "REPLICA", "choices": ["REPLICA", "DAEMON"]},
    "force_new_deployment": {"type": "bool", "default": False},
    "force_replace": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 600},
    "require_tags": {"type": "dict"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

# Option-form keys that UpdateService cannot change; see summarize().
IMMUTABLE = ("scheduling_strategy", "deployment_controller")
POLL_INTERVAL = 5


def task_definition_name(value: str | None) -> str | None:
    """'arn:...:task-definition/family:3' and 'family:3' both as 'family:3'."""
    return value.split("task-definition/")[-1] if value else None


def load_balancers(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    result = []
    for item in items or []:
        snake = camel_dict_to_snake_dict(item) if "containerName" in item else item
        result.append(
            {
                "target_group_arn": snake.get("target_group_arn"),
                "load_balancer_name": snake.get("load_balancer_name"),
                "container_name": snake.get("container_name"),
                "container_port": snake.get("container_port"),
            }
        )
    return sorted(result, key=lambda lb: (str(lb["target_group_arn"]), str(lb["container_name"])))


def registries(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    result = []
    for item in items or []:
        snake = camel_dict_to_snake_dict(item) if "registryArn" in item else item
        result.append(
            {
                "registry_arn": snake.get("registry_arn"),
                "port": snake.get("port"),
                "container_name": snake.get("container_name"),
                "container_port": snake.get("container_port"),
            }
        )
    return sorted(result, key=lambda registry: registry["registry_arn"])


def summarize(service: Description | None) -> dict[str, Any]:
    """The managed settings of a described service, in option form."""
    if not service:
        return {}
    network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    deployment = service.get("deploymentConfiguration") or {}
    breaker = deployment.get("deploymentCircuitBreaker") or {}
    return {
        "name": service["serviceName"],
        "task_definition": task_definition_name(service.get("taskDefinition")),
        "desired_count": service.get("desiredCount"),
        "launch_type": service.get("launchType"),
        "capacity_provider_strategy": strategy(service.get("capacityProviderStrategy")),
        "platform_version": service.get("platformVersion"),
        "network_configuration": {
            "subnets": sorted(network.get("subnets") or []),
            "security_groups": sorted(network.get("securityGroups") or []),
            "assign_public_ip": network.get("assignPublicIp") == "ENABLED",
        }
        if network
        else None,
        "deployment_configuration": {
            "maximum_percent": deployment.get("maximumPercent", 200),
            "minimum_healthy_percent": deployment.get("minimumHealthyPercent", 100),
            "deployment_circuit_breaker": {
                "enable": bool(breaker.get("enable")),
                "rollback": bool(breaker.get("rollback")),
            },
        },
        "load_balancers": load_balancers(service.get("loadBalancers")),
        "service_registries": registries(service.get("serviceRegistries")),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds", 0),
        "enable_execute_command": bool(service.get("enableExecuteCommand")),
        "enable_ecs_managed_tags": bool(service.get("enableECSManagedTags")),
        "propagate_tags": service.get("propagateTags") or "NONE",
        "scheduling_strategy": service.get("schedulingStrategy") or "REPLICA",
        "deployment_controller": (service.get("deploymentController") or {}).get("type", "ECS"),
        "tags": tags_to_dict(service.get("tags")),
    }


class ServiceTask:
    def __init__(self, module: AnsibleAWSModule, ecs: Client) -> None:
        self.module = module
        self.ecs = ecs
        self.params = module.params
        self.name: str = self.params["name"]
        self.cluster: str = self.params["cluster"]

    # ------------------------------------------------------------------------------------------- reads

    def find(self) -> Description | None:
        try:
            answer = self.ecs.describe_services(
                aws_retry=True, cluster=self.cluster, services=[self.name], include=["TAGS"]
            )
        except is_boto3_error_code("ClusterNotFoundException"):
            return None  # no cluster yet (check mode of a first deployment)
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to describe ECS service {self.name} in {self.cluster}")
        found = [s for s in answer.get("services", []) if s.get("status") not in ("INACTIVE", "DRAINING")]
        return found[0] if found else None

    def resolve_task_definition(self, value: str | None) -> str | None:
        name = task_definition_name(value)
        if not name or ":" in name:
            return name
        try:
            definition = self.ecs.describe_task_definition(aws_retry=True, taskDefinition=name)["taskDefinition"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to find the latest revision of task definition {name}")
        return f"{definition['family']}:{definition['revision']}"

    def wanted(self, current: dict[str, Any]) -> dict[str, Any]:
        """The managed settings once the task has run, in option form."""
        p = self.params
        wanted = dict(current) if current else {"name": self.name, "tags": {}, "platform_version": None}
        task_definition = self.resolve_task_definition(p["task_definition"])
        if task_definition:
            wanted["task_definition"] = task_definition
        elif not current:
            self.module.fail_json(msg=f"task_definition is required to create ECS service {self.name}")
        wanted["desired_count"] = p["desired_count"]
        if p["capacity_provider_strategy"]:
            wanted["capacity_provider_strategy"] = strategy(p["capacity_provider_strategy"])
            wanted["launch_type"] = None
        elif p["launch_type"]:
            wanted["launch_type"] = p["launch_type"]
            wanted["capacity_provider_strategy"] = []
        elif not current:
            wanted["launch_type"] = None
            wanted["capacity_provider_strategy"] = []
        if p["platform_version"]:
            wanted["platform_version"] = p["platform_version"]
        network = p["network_configuration"]
        wanted["network_configuration"] = (
            {
                "subnets": sorted(network["subnets"]),
                "security_groups": sorted(network["security_groups"] or []),
                "assign_public_ip": network["assign_public_ip"],
            }
            if network
            else current.get("network_configuration")
        )
        deployment = p["deployment_configuration"] or {}
        breaker = deployment.get("deployment_circuit_breaker") or {}
        wanted["deployment_configuration"] = {
            "maximum_percent": deployment.get("maximum_percent", 200),
            "minimum_healthy_percent": deployment.get("minimum_healthy_percent", 100),
            "deployment_circuit_breaker": {
                "enable": breaker.get("enable", True),
                "rollback": breaker.get("rollback", True),
            },
        }
        wanted["load_balancers"] = load_balancers(p["load_balancers"])
        wanted["service_registries"] = registries(p["service_registries"])
        if p["health_check_grace_period_seconds"] is not None:
            wanted["health_check_grace_period_seconds"] = p["health_check_grace_period_seconds"]
        elif not current:
            wanted["health_check_grace_period_seconds"] = 0
        wanted["enable_execute_command"] = p["enable_execute_command"]
        wanted["enable_ecs_managed_tags"] = p["enable_ecs_managed_tags"]
        wanted["propagate_tags"] = p["propagate_tags"]
        wanted["scheduling_strategy"] = p["scheduling_strategy"]
        wanted["deployment_controller"] = "ECS"
        wanted["tags"] = predict_tags(wanted.get("tags") or {}, p["tags"], p["purge_tags"])
        return wanted

    @staticmethod
    def needs_replacement(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
        """Differences UpdateService cannot apply."""
        found = [line for key in IMMUTABLE for line in differences(before.get(key), after.get(key), key)]
        if before.get("launch_type") and after.get("launch_type") and before["launch_type"] != after["launch_type"]:
            found.append(f"launch_type: {before['launch_type']!r} -> {after['launch_type']!r}")
        if before.get("capacity_provider_strategy") and after.get("launch_type"):
            found.append(f"capacity_provider_strategy -> launch_type {after['launch_type']!r}")
        return found

    # ------------------------------------------------------------------------------------------ writes

    def present(self) -> dict[str, Any]:
        service = self.find()
        before = summarize(service)
        after = self.wanted(before)
        changes = differences(before, after) if service else ["service: new"]
        replace = False
        if service:
            blocking = self.needs_replacement(before, after)
            if blocking and not self.params["force_replace"]:
                self.module.fail_json(
                    msg=f"ECS service {self.name} needs replacement: AWS cannot change in place "
                    f"{'; '.join(blocking)}. Use force_replace=true to delete and recreate it "
                    "(its tasks stop and are started again).",
                    differences=changes,
                )
            replace = bool(blocking)
        force_deployment = bool(service) and self.params["force_new_deployment"]
        changed = bool(changes) or force_deployment
        if changed and not self.module.check_mode:
            if service is None or replace:
                if service is not None:
                    self.delete(service, wait=True)
                self.create(after)
            else:
                self.update(service, before, after, force_deployment)
            if self.params["wait"]:
                self.wait_stable()
            service = self.find()
        result: dict[str, Any] = {
            "changed": changed,
            "differences": changes,
            "replaced": replace,
            "service": self.describe(service),
        }
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result

    def request(self, wanted: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
        """CreateService / UpdateService parameters for what differs from `before` (everything when None)."""

        def differs(key: str) -> bool:
            return before is None or before.get(key) != wanted.get(key)

        params: dict[str, Any] = {}
        if differs("task_definition"):
            params["taskDefinition"] = wanted["task_definition"]
        if differs("desired_count"):
            params["desiredCount"] = wanted["desired_count"]
        if differs("capacity_provider_strategy") and wanted["capacity_provider_strategy"]:
            params["capacityProviderStrategy"] = strategy_request(wanted["capacity_provider_strategy"])
        if differs("platform_version") and wanted.get("platform_version"):
            params["platformVersion"] = wanted["platform_version"]
        network = wanted.get("network_configuration")
        if differs("network_configuration") and network:
            params["networkConfiguration"] = {
                "awsvpcConfiguration": {
                    "subnets": network["subnets"],
                    "securityGroups": network["security_groups"],
                    "assignPublicIp": "ENABLED" if network["assign_public_ip"] else "DISABLED",
                }
            }
        if differs("deployment_configuration"):
            deployment = wanted["deployment_configuration"]
            params["deploymentConfiguration"] = {
                "maximumPercent": deployment["maximum_percent"],
                "minimumHealthyPercent": deployment["minimum_healthy_percent"],
                "deploymentCircuitBreaker": dict(deployment["deployment_circuit_breaker"]),
            }
        if differs("load_balancers") and (before is not None or wanted["load_balancers"]):
            params["loadBalancers"] = [
                {
                    key: value
                    for key, value in {
                        "targetGroupArn": lb["target_group_arn"],
                        "loadBalancerName": lb["load_balancer_name"],
                        "containerName": lb["container_name"],
                        "containerPort": lb["container_port"],
                    }.items()
                    if value is not None
                }
                for lb in wanted["load_balancers"]
            ]
        if differs("service_registries") and (before is not None or wanted["service_registries"]):
            params["serviceRegistries"] = [
                {
                    key: value
                    for key, value in {
                        "registryArn": registry["registry_arn"],
                        "port": registry["port"],
                        "containerName": registry["container_name"],
                        "containerPort": registry["container_port"],
                    }.items()
                    if value is not None
                }
                for registry in wanted["service_registries"]
            ]
        grace_period = wanted.get("health_check_grace_period_seconds")
        if differs("health_check_grace_period_seconds") and (before is not None or grace_period):
            params["healthCheckGracePeriodSeconds"] = grace_period
        if differs("enable_execute_command"):
            params["enableExecuteCommand"] = wanted["enable_execute_command"]
        if differs("enable_ecs_managed_tags"):
            params["enableECSManagedTags"] = wanted["enable_ecs_managed_tags"]
        if differs("propagate_tags"):
            params["propagateTags"] = wanted["propagate_tags"]
        return params

    def create(self, wanted: dict[str, Any]) -> None:
        params = self.request(wanted, None)
        params.update(cluster=self.cluster, serviceName=self.name, schedulingStrategy=wanted["scheduling_strategy"])
        params["deploymentController"] = {"type": "ECS"}
        if wanted.get("launch_type"):
            params["launchType"] = wanted["launch_type"]
        if wanted["scheduling_strategy"] == "DAEMON":
            params.pop("desiredCount", None)
        if wanted["tags"]:
            params["tags"] = ecs_tag_list(wanted["tags"])
        try:
            self.ecs.create_service(aws_retry=True, **params)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to create ECS service {self.name} in {self.cluster}")

    def update(self, service: Description, before: dict[str, Any], after: dict[str, Any], force: bool) -> None:
        params = self.request(after, before)
        if params or force:
            try:
                self.ecs.update_service(
                    aws_retry=True, cluster=self.cluster, service=self.name, forceNewDeployment=force, **params
                )
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Failed to update ECS service {self.name} in {self.cluster}")
        ensure_tags(
            self.module,
            self.ecs,
            service["serviceArn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
            lowercase_keys=True,
        )

    def absent(self) -> dict[str, Any]:
        service = self.find()
        if service is None or lacks_required_tags(
            self.module, f"ECS service {self.name}", tags_to_dict(service.get("tags"))
        ):
            result: dict[str, Any] = {"changed": False, "differences": [], "replaced": False, "service": {}}
        else:
            if not self.module.check_mode:
                self.delete(service, wait=self.params["wait"])
            result = {"changed": True, "differences": ["service: deleted"], "replaced": False, "service": {}}
        if self.module._diff:
            result["diff"] = {"before": summarize(service), "after": {}}
        return result

    def delete(self, service: Description, wait: bool) -> None:
        try:
            if service.get("desiredCount") and service.get("schedulingStrategy") != "DAEMON":
                self.ecs.update_service(aws_retry=True, cluster=self.cluster, service=self.name, desiredCount=0)
            self.ecs.delete_service(aws_retry=True, cluster=self.cluster, service=self.name)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to delete ECS service {self.name} in {self.cluster}")
        if wait:
            self.wait_inactive()

    def wait_stable(self) -> None:
        try:
            self.ecs.get_waiter("services_stable").wait(
                cluster=self.cluster,
                services=[self.name],
                WaiterConfig={
                    "Delay": POLL_INTERVAL,
                    "MaxAttempts": max(1, self.params["wait_timeout"] // POLL_INTERVAL),
                },
            )
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"ECS service {self.name} did not become stable")

    def wait_inactive(self) -> None:
        deadline = time.monotonic() + self.params["wait_timeout"]
        while self.find() is not None:
            if time.monotonic() > deadline:
                self.module.fail_json(msg=f"Timed out waiting for ECS service {self.name} to be deleted")
            time.sleep(POLL_INTERVAL)

    @staticmethod
    def describe(service: Description | None) -> dict[str, Any]:
        if not service:
            return {}
        result = camel_dict_to_snake_dict({k: v for k, v in service.items() if k not in ("tags", "events")})
        result["tags"] = tags_to_dict(service.get("tags"))
        return result


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("launch_type", "capacity_provider_strategy")],
    )
    task = ServiceTask(module, client(module, "ecs"))
    result = task.present() if module.params["state"] == "present" else task.absent()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
