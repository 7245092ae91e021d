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

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict, snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    differences,
    lacks_required_tags,
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
    create_service,
    delete_service,
    describe_service,
    describe_task_definition,
    ecs_tag_list,
    strategy,
    update_service,
    wait_service_stable,
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


def service_request(wanted: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """CreateService / UpdateService parameters for what in the summary `wanted` differs from `before` (everything
    when None)."""

    def differs(key: str) -> bool:
        return before is None or before.get(key) != wanted.get(key)

    request: dict[str, Any] = {}
    if differs("task_definition"):
        request["task_definition"] = wanted["task_definition"]
    if differs("desired_count"):
        request["desired_count"] = wanted["desired_count"]
    if differs("capacity_provider_strategy") and wanted["capacity_provider_strategy"]:
        request["capacity_provider_strategy"] = wanted["capacity_provider_strategy"]
    if differs("platform_version") and wanted.get("platform_version"):
        request["platform_version"] = wanted["platform_version"]
    network = wanted.get("network_configuration")
    if differs("network_configuration") and network:
        request["network_configuration"] = {
            "awsvpc_configuration": {
                "subnets": network["subnets"],
                "security_groups": network["security_groups"],
                "assign_public_ip": "ENABLED" if network["assign_public_ip"] else "DISABLED",
            }
        }
    if differs("deployment_configuration"):
        request["deployment_configuration"] = wanted["deployment_configuration"]
    for key in ("load_balancers", "service_registries"):
        if differs(key) and (before is not None or wanted[key]):
            request[key] = [{name: value for name, value in item.items() if value is not None} for item in wanted[key]]
    grace_period = wanted.get("health_check_grace_period_seconds")
    if differs("health_check_grace_period_seconds") and (before is not None or grace_period):
        request["health_check_grace_period_seconds"] = grace_period
    if differs("enable_execute_command"):
        request["enable_execute_command"] = wanted["enable_execute_command"]
    if differs("propagate_tags"):
        request["propagate_tags"] = wanted["propagate_tags"]
    request = snake_dict_to_camel_dict(request)
    if differs("enable_ecs_managed_tags"):
        request["enableECSManagedTags"] = wanted["enable_ecs_managed_tags"]  # not enableEcsManagedTags
    return request


def create_request(wanted: dict[str, Any]) -> dict[str, Any]:
    """CreateService's parameters (but the cluster and the name) for the summary `wanted`."""
    request = service_request(wanted, None)
    request.update(
        snake_dict_to_camel_dict(
            {"scheduling_strategy": wanted["scheduling_strategy"], "deployment_controller": {"type": "ECS"}}
        )
    )
    if wanted.get("launch_type"):
        request["launchType"] = wanted["launch_type"]
    if wanted["scheduling_strategy"] == "DAEMON":
        request.pop("desiredCount", None)
    if wanted["tags"]:
        request["tags"] = ecs_tag_list(wanted["tags"])
    return request


class ServiceTask:
    def __init__(self, module: AnsibleAWSModule, ecs: Client) -> None:
        self.module = module
        self.ecs = ecs
        self.params = module.params
        self.name: str = self.params["name"]
        self.cluster: str = self.params["cluster"]

    # ------------------------------------------------------------------------------------------- reads

    def find(self) -> Description | None:
        """The service; None also when there is no cluster yet (check mode of a first deployment)."""
        return describe_service(self.ecs, self.cluster, self.name)

    def resolve_task_definition(self, value: str | None) -> str | None:
        name = task_definition_name(value)
        if not name or ":" in name:
            return name
        definition = describe_task_definition(self.ecs, name)
        if definition is None:
            self.module.fail_json(
                msg=f"Failed to find the latest revision of task definition {name}: it has no active one"
            )
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
        if before.get("launch_type") and after.get("launch_type"):
            found.extend(differences(before["launch_type"], after["launch_type"], "launch_type"))
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
        return result(
            self.module, changed, before, after, differences=changes, replaced=replace, service=self.describe(service)
        )

    def create(self, wanted: dict[str, Any]) -> None:
        create_service(self.ecs, self.cluster, self.name, create_request(wanted))

    def update(self, service: Description, before: dict[str, Any], after: dict[str, Any], force: bool) -> None:
        request = service_request(after, before)
        if request or force:
            update_service(self.ecs, self.cluster, self.name, {**request, "forceNewDeployment": force})
        converge_tags(
            self.module,
            self.ecs,
            ECS_TAGS,
            service["serviceArn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
        )

    def absent(self) -> dict[str, Any]:
        service = self.find()
        deleted = service is not None and not lacks_required_tags(
            self.module, f"ECS service {self.name}", tags_to_dict(service.get("tags"))
        )
        if service is not None and deleted and not self.module.check_mode:
            self.delete(service, wait=self.params["wait"])
        return result(
            self.module,
            deleted,
            summarize(service),
            {},
            differences=["service: deleted"] if deleted else [],
            replaced=False,
            service={},
        )

    def delete(self, service: Description, wait: bool) -> None:
        scale_in = bool(service.get("desiredCount")) and service.get("schedulingStrategy") != "DAEMON"
        delete_service(self.ecs, self.cluster, self.name, scale_in)
        if wait:
            self.wait_inactive()

    def wait_stable(self) -> None:
        attempts = max(1, self.params["wait_timeout"] // POLL_INTERVAL)
        wait_service_stable(self.ecs, self.cluster, self.name, POLL_INTERVAL, attempts)

    def wait_inactive(self) -> None:
        deadline = time.monotonic() + self.params["wait_timeout"]
        while self.find() is not None:
            if time.monotonic() > deadline:
                self.module.fail_json(msg=f"Timed out waiting for ECS service {self.name} to be deleted")
            time.sleep(POLL_INTERVAL)

    @staticmethod
    def describe(service: Description | None) -> dict[str, Any]:
        return snake_description(service, omit=("events",))


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("launch_type", "capacity_provider_strategy")],
    )
    task = ServiceTask(module, retrying_client(module, "ecs"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
