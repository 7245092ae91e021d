"""dagster_ecs.aws.ecs_service run through PlaybookRunner against the emulator, checked with boto3."""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.network import Network, make_network
from tests.ansible_modules.playbook import PlaybookRunner, task

# The emulator with every correction, and a runner that refuses write calls in check mode.

MODULE = "dagster_ecs.aws.ecs_service"
CLUSTER = "svc-test"
REGISTRY = "arn:aws:servicediscovery:ap-southeast-2:123456789012:service/srv-main"
TARGET_GROUP = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/web/0123456789abcdef"


@pytest.fixture
def setup(playbook: PlaybookRunner) -> Network:
    ecs: Any = boto3.client("ecs")
    ecs.create_cluster(
        clusterName=CLUSTER,
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
    )
    for _ in range(2):
        ecs.register_task_definition(
            family="web",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "web", "image": "img:1", "portMappings": [{"containerPort": 3000}]}],
        )
    return make_network("ap-southeast-2")


def spec(network: Network, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "web",
        "cluster": CLUSTER,
        "task_definition": "web:1",
        "desired_count": 1,
        "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}],
        "network_configuration": {
            "subnets": network.subnet_ids[:2],
            "security_groups": network.security_group_ids[:1],
            "assign_public_ip": False,
        },
        "deployment_configuration": {"deployment_circuit_breaker": {"enable": True, "rollback": True}},
        "service_registries": [{"registry_arn": REGISTRY}],
        "health_check_grace_period_seconds": 30,
        "propagate_tags": "SERVICE",
        "tags": {"Project": "dagster-ecs"},
        **overrides,
    }


def described(ecs: Any) -> dict[str, Any]:
    [service] = ecs.describe_services(cluster=CLUSTER, services=["web"], include=["TAGS"])["services"]
    return service


def test_service_is_created_with_every_setting_and_second_run_changes_nothing(playbook: PlaybookRunner, setup: Network):
    ecs: Any = boto3.client("ecs")
    [predicted] = playbook.run([task(MODULE, spec(setup))], check=True)
    assert (predicted["changed"], predicted["service"]) == (True, {})

    created, again = playbook.run([task(MODULE, spec(setup)), task(MODULE, spec(setup))])
    assert created["changed"] is True
    assert (again["changed"], again["differences"]) == (False, [])
    service = described(ecs)
    assert service["taskDefinition"].endswith("task-definition/web:1")
    assert service["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    assert "launchType" not in service
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(network["subnets"]) == sorted(setup.subnet_ids[:2])
    assert network["securityGroups"] == setup.security_group_ids[:1]
    assert network["assignPublicIp"] == "DISABLED"
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["serviceRegistries"] == [{"registryArn": REGISTRY}]
    assert service["healthCheckGracePeriodSeconds"] == 30
    assert service["enableExecuteCommand"] is False
    assert service["propagateTags"] == "SERVICE"
    assert service["tags"] == [{"key": "Project", "value": "dagster-ecs"}]


def test_out_of_band_changes_are_reported_in_check_mode_and_repaired(playbook: PlaybookRunner, setup: Network):
    ecs: Any = boto3.client("ecs")
    playbook.run([task(MODULE, spec(setup))])
    ecs.update_service(
        cluster=CLUSTER,
        service="web",
        desiredCount=3,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": setup.subnet_ids[:2],
                "securityGroups": [setup.default_security_group_id],
                "assignPublicIp": "ENABLED",
            }
        },
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": False, "rollback": False}},
        enableExecuteCommand=True,
    )
    writes = playbook.write_count()
    [checked] = playbook.run([task(MODULE, spec(setup))], check=True)
    assert checked["changed"] is True
    changed_fields = {line.split(":")[0] for line in checked["differences"]}
    assert {
        "desired_count",
        "network_configuration.security_groups",
        "network_configuration.assign_public_ip",
        "deployment_configuration.deployment_circuit_breaker.enable",
        "deployment_configuration.deployment_circuit_breaker.rollback",
        "enable_execute_command",
    } <= changed_fields
    assert playbook.write_count() == writes

    repaired, settled = playbook.run([task(MODULE, spec(setup)), task(MODULE, spec(setup))])
    assert (repaired["changed"], settled["changed"]) == (True, False)
    service = described(ecs)
    assert service["desiredCount"] == 1
    assert service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == setup.security_group_ids[:1]
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert service["enableExecuteCommand"] is False


def test_task_definition_load_balancers_and_registries_update_in_place(playbook: PlaybookRunner, setup: Network):
    ecs: Any = boto3.client("ecs")
    playbook.run([task(MODULE, spec(setup))])
    arn = described(ecs)["serviceArn"]
    changed = spec(
        setup,
        task_definition="web:2",
        load_balancers=[{"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 3000}],
        service_registries=[],
        tags={"Project": "dagster-ecs", "Environment": "test"},
    )
    updated, settled = playbook.run([task(MODULE, changed), task(MODULE, changed)])
    assert (updated["changed"], updated["replaced"], settled["changed"]) == (True, False, False)
    service = described(ecs)
    assert service["serviceArn"] == arn
    assert service["taskDefinition"].endswith("task-definition/web:2")
    assert service["loadBalancers"] == [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 3000}]
    assert service["serviceRegistries"] == []
    assert {t["key"]: t["value"] for t in service["tags"]} == {"Project": "dagster-ecs", "Environment": "test"}


def test_a_family_without_revision_resolves_to_the_latest(playbook: PlaybookRunner, setup: Network):
    first, again = playbook.run([task(MODULE, spec(setup, task_definition="web")), task(MODULE, spec(setup))])
    assert first["service"]["task_definition"].endswith("task-definition/web:2")
    assert again["changed"] is True  # web:1 is older than the latest, web:2


def test_settings_aws_cannot_update_need_force_replace(playbook: PlaybookRunner, setup: Network):
    playbook.run([task(MODULE, spec(setup))])
    on_fargate = spec(setup, launch_type="FARGATE")
    del on_fargate["capacity_provider_strategy"]
    [refused] = playbook.run([task(MODULE, on_fargate, ignore_errors=True)])
    assert refused["failed"] is True
    assert "force_replace" in refused["msg"]
    assert "launch_type" in refused["msg"]
    [checked] = playbook.run([task(MODULE, {**on_fargate, "force_replace": True})], check=True)
    assert (checked["changed"], checked["replaced"]) == (True, True)
    replaced, settled = playbook.run(
        [task(MODULE, {**on_fargate, "force_replace": True}), task(MODULE, {**on_fargate, "force_replace": True})]
    )
    assert (replaced["replaced"], settled["changed"]) == (True, False)
    assert described(boto3.client("ecs"))["launchType"] == "FARGATE"


def test_absent_scales_to_zero_and_deletes(playbook: PlaybookRunner, setup: Network):
    ecs: Any = boto3.client("ecs")
    playbook.run([task(MODULE, spec(setup))])
    gone = {"name": "web", "cluster": CLUSTER, "state": "absent"}
    [checked] = playbook.run([task(MODULE, gone)], check=True)
    assert checked["changed"] is True
    removed, again = playbook.run([task(MODULE, gone), task(MODULE, gone)])
    assert (removed["changed"], again["changed"]) == (True, False)
    service = described(ecs)
    assert (service["status"], service["desiredCount"]) == ("INACTIVE", 0)


def test_absent_with_require_tags_leaves_a_service_it_did_not_create(playbook: PlaybookRunner, setup: Network):
    ecs: Any = boto3.client("ecs")
    playbook.run([task(MODULE, spec(setup, tags={"Project": "someone-else"}))])
    gone = {"name": "web", "cluster": CLUSTER, "state": "absent", "require_tags": {"Project": "dagster-ecs"}}
    [kept] = playbook.run([task(MODULE, gone)])
    assert kept["changed"] is False
    assert any("lacks the required tags" in warning for warning in kept.get("warnings", []))
    assert described(ecs)["status"] == "ACTIVE"
