"""ECS as AWS documents it, where moto 5.2.5 differs (docs/moto-deviations.md, section ECS).

- CreateService drops healthCheckGracePeriodSeconds, deploymentConfiguration, enableExecuteCommand,
  enableECSManagedTags and capacityProviderStrategy (UpdateService keeps them), and reports launchType EC2 for a
  service that runs on a capacity provider strategy. AWS returns what was asked for, fills the documented
  defaults (maximumPercent 200, minimumHealthyPercent 100, circuit breaker off, grace period 0, ECS Exec and
  managed tags off), omits launchType when a strategy is used, and applies the cluster's default capacity
  provider strategy when the request names neither a launch type nor a strategy.
- UpdateService with a capacityProviderStrategy keeps reporting the old launchType, and UpdateService stores
  the taskDefinition as given (`family:3`) where AWS reports the revision's full ARN.
- UpdateClusterSettings is not implemented (the server answers 500).
- RegisterTaskDefinition / DescribeTaskDefinition answer in an older shape than AWS does today: no
  `enableFaultInjection` (AWS: false unless the request enabled it), no `versionConsistency` on containers (AWS:
  `enabled` unless the request disabled it), port mappings without the `protocol` (tcp) and, under awsvpc or host
  networking, the `hostPort` (the container port) AWS fills in, health checks without the default interval (30),
  timeout (5) and retries (3), containers without `systemControls: []`, and no `registeredAt` / `registeredBy`.
  moto also drops `enableFaultInjection` from the request.
"""

from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

DEPLOYMENT_DEFAULTS = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}

_original_create_service = EC2ContainerServiceResponse.create_service
_original_update_service = EC2ContainerServiceBackend.update_service


def create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _original_create_service(self)
    payload: Any = result.result
    service: Service = payload["service"]
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
    deployment = {**DEPLOYMENT_DEFAULTS, **(self._get_param("deploymentConfiguration") or {})}
    # The attribute names UpdateService sets (moto's serializer reads them back by these names).
    vars(service).update(
        deployment_configuration=deployment,
        health_check_grace_period_seconds=self._get_int_param("healthCheckGracePeriodSeconds") or 0,
        enable_execute_command=bool(self._get_param("enableExecuteCommand")),
        enable_ecs_managed_tags=bool(self._get_param("enableECSManagedTags")),
    )
    strategy = self._get_param("capacityProviderStrategy")
    if not strategy and not self._get_param("launchType"):
        strategy = cluster.default_capacity_provider_strategy
    if strategy:
        vars(service)["capacity_provider_strategy"] = strategy
        service.launch_type = None
        deployments: list[Any] = service.deployments
        for item in deployments:
            item["launchType"] = None
            item["capacityProviderStrategy"] = strategy
    return result


def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
    strategy = service_properties.get("capacity_provider_strategy")
    task_definition = service_properties.get("task_definition")
    service = _original_update_service(self, service_properties)
    if strategy:
        service.launch_type = None
    if task_definition:
        service.task_definition = self.describe_task_definition(task_definition).arn
    return service


def update_cluster_settings(self: EC2ContainerServiceResponse) -> ActionResult:
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster"))
    changed = {setting["name"]: setting["value"] for setting in self._get_param("settings") or []}
    settings = {setting["name"]: setting["value"] for setting in cluster.settings or []}
    settings.update(changed)
    cluster.settings = [{"name": name, "value": value} for name, value in settings.items()]
    return ActionResult({"cluster": cluster})


# Defaults the ECS API reference documents for a health check the request leaves them out of (HealthCheck).
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}

_original_register_task_definition = EC2ContainerServiceResponse.register_task_definition


def _container_as_aws_answers(container: dict[str, Any], network_mode: str | None) -> dict[str, Any]:
    answered = {**container}
    answered.setdefault("versionConsistency", "enabled")
    answered.setdefault("systemControls", [])
    mappings = []
    for mapping in answered.get("portMappings") or []:
        mapping = {**mapping}
        mapping.setdefault("protocol", "tcp")
        # awsvpc and host networking: "hostPort can be left blank or it must be the same value as the containerPort".
        if network_mode in ("awsvpc", "host") and "containerPort" in mapping:
            mapping.setdefault("hostPort", mapping["containerPort"])
        mappings.append(mapping)
    answered["portMappings"] = mappings
    if answered.get("healthCheck"):
        answered["healthCheck"] = {**HEALTH_CHECK_DEFAULTS, **answered["healthCheck"]}
    return answered


def register_task_definition(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _original_register_task_definition(self)
    payload: Any = result.result
    definition: TaskDefinition = payload["taskDefinition"]
    containers: list[dict[str, Any]] = definition.container_definitions
    definition.container_definitions = [_container_as_aws_answers(c, definition.network_mode) for c in containers]
    # Attribute names moto's serializer reads for enableFaultInjection, registeredAt and registeredBy.
    vars(definition).update(
        enable_fault_injection=bool(self._get_param("enableFaultInjection")),
        registered_at=datetime.now(UTC),
        registered_by=f"arn:aws:iam::{self.current_account}:root",
    )
    return result


def apply() -> None:
    EC2ContainerServiceResponse.register_task_definition = register_task_definition  # type: ignore[method-assign]
    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
    setattr(EC2ContainerServiceResponse, "update_cluster_settings", update_cluster_settings)  # noqa: B010 - new action
