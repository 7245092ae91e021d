"""The request bodies the modules send, and the shared helpers of module_utils/common.py, without AWS.

The modules build their requests from snake_case option values with snake_dict_to_camel_dict (ECS lowerCamel,
EFS and Cloud Map UpperCamel); the keys AWS spells otherwise (enableECSManagedTags, sizeInGiB, TTL, SOA,
TransitionToIA) are checked here key by key, as are the errors the AWS calls raise.
"""

import sys
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ansible_modules.playbook import COLLECTIONS_PATH

if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))

from ansible_collections.dagster_ecs.aws.plugins.module_utils import common, ecs, efs, servicediscovery
from ansible_collections.dagster_ecs.aws.plugins.modules import (
    ecs_cluster,
    ecs_service,
    ecs_task_definition,
    efs_access_point,
    efs_file_system,
    servicediscovery_namespace,
    servicediscovery_service,
)

SUBNETS = ["subnet-1", "subnet-2"]
GROUPS = ["sg-1"]


def service_summary(**overrides: Any) -> dict[str, Any]:
    """An ECS service's managed settings in option form, as ServiceTask.wanted makes them."""
    return {
        "name": "main",
        "task_definition": "main:3",
        "desired_count": 1,
        "launch_type": None,
        "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}],
        "platform_version": "LATEST",
        "network_configuration": {"subnets": SUBNETS, "security_groups": GROUPS, "assign_public_ip": False},
        "deployment_configuration": {
            "maximum_percent": 200,
            "minimum_healthy_percent": 100,
            "deployment_circuit_breaker": {"enable": True, "rollback": True},
        },
        "load_balancers": [
            {
                "target_group_arn": "arn:tg",
                "load_balancer_name": None,
                "container_name": "webserver",
                "container_port": 3000,
            }
        ],
        "service_registries": [
            {"registry_arn": "arn:srv", "port": None, "container_name": None, "container_port": None}
        ],
        "health_check_grace_period_seconds": 60,
        "enable_execute_command": False,
        "enable_ecs_managed_tags": True,
        "propagate_tags": "SERVICE",
        "scheduling_strategy": "REPLICA",
        "deployment_controller": "ECS",
        "tags": {"Project": "dagster-ecs"},
        **overrides,
    }


def test_create_service_request_has_every_key_in_ecs_spelling():
    assert ecs_service.create_request(service_summary()) == {
        "taskDefinition": "main:3",
        "desiredCount": 1,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
        "platformVersion": "LATEST",
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": SUBNETS, "securityGroups": GROUPS, "assignPublicIp": "DISABLED"}
        },
        "deploymentConfiguration": {
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "webserver", "containerPort": 3000}],
        "serviceRegistries": [{"registryArn": "arn:srv"}],
        "healthCheckGracePeriodSeconds": 60,
        "enableExecuteCommand": False,
        "enableECSManagedTags": True,
        "propagateTags": "SERVICE",
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "tags": [{"key": "Project", "value": "dagster-ecs"}],
    }


def test_create_service_request_leaves_out_what_aws_defaults_and_daemons_have_no_count():
    wanted = service_summary(
        capacity_provider_strategy=[],
        launch_type="FARGATE",
        platform_version=None,
        network_configuration=None,
        load_balancers=[],
        service_registries=[],
        health_check_grace_period_seconds=0,
        scheduling_strategy="DAEMON",
        tags={},
    )
    request = ecs_service.create_request(wanted)
    assert request["launchType"] == "FARGATE"
    left_out = {
        "networkConfiguration",
        "capacityProviderStrategy",
        "platformVersion",
        "loadBalancers",
        "serviceRegistries",
        "healthCheckGracePeriodSeconds",
        "desiredCount",
        "tags",
    }
    assert left_out.isdisjoint(request)
    assert request["schedulingStrategy"] == "DAEMON"


def test_update_service_request_sends_only_what_differs_and_clears_lists():
    before = service_summary()
    after = service_summary(
        desired_count=2,
        enable_ecs_managed_tags=False,
        load_balancers=[],
        network_configuration=before["network_configuration"],
    )
    assert ecs_service.service_request(after, before) == {
        "desiredCount": 2,
        "loadBalancers": [],
        "enableECSManagedTags": False,
    }
    assert ecs_service.service_request(before, before) == {}


def test_cluster_requests():
    wanted = {
        "name": "dagster",
        "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
        "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}],
        "container_insights": "enabled",
        "tags": {"Project": "dagster-ecs"},
    }
    assert ecs_cluster.create_request(wanted) == {
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "tags": [{"key": "Project", "value": "dagster-ecs"}],
    }
    assert ecs_cluster.create_request({"name": "dagster", "tags": {}}) == {}
    assert ecs_cluster.capacity_providers_request({**wanted, "default_capacity_provider_strategy": []}) == {
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [],
    }


def test_task_definition_request_keeps_container_definitions_as_given():
    containers = [
        {
            "name": "app",
            "image": "dagster:1",
            "dockerLabels": {"com.example_team": "data"},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "mode_x": "y"}},
        }
    ]
    params = {
        "family": "dagster-code-main",
        "container_definitions": containers,
        "network_mode": "awsvpc",
        "task_role_arn": "arn:task",
        "execution_role_arn": None,
        "cpu": "256",
        "memory": "512",
        "requires_compatibilities": ["FARGATE"],
        "runtime_platform": {"cpu_architecture": "ARM64", "operating_system_family": None},
        "volumes": None,
        "ephemeral_storage_gib": 30,
    }
    assert ecs_task_definition.registration_request(params) == {
        "family": "dagster-code-main",
        "containerDefinitions": containers,
        "networkMode": "awsvpc",
        "taskRoleArn": "arn:task",
        "cpu": "256",
        "memory": "512",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"cpuArchitecture": "ARM64"},
        "ephemeralStorage": {"sizeInGiB": 30},
    }


def test_file_system_requests_are_upper_camel():
    params = {
        "name": "dagster",
        "creation_token": None,
        "encrypted": True,
        "kms_key_id": "alias/efs",
        "performance_mode": None,
        "throughput_mode": "provisioned",
        "provisioned_throughput_in_mibps": 10.0,
        "availability_zone_name": None,
        "backup": False,
        "tags": {"Project": "dagster-ecs"},
        "purge_tags": True,
    }
    module: Any = SimpleNamespace(params=params)
    task = efs_file_system.FileSystemTask(module, client=None)
    assert task.create_request() == {
        "CreationToken": "dagster",
        "Encrypted": True,
        "KmsKeyId": "alias/efs",
        "ThroughputMode": "provisioned",
        "ProvisionedThroughputInMibps": 10.0,
        "Backup": False,
        "Tags": [{"Key": "Project", "Value": "dagster-ecs"}, {"Key": "Name", "Value": "dagster"}],
    }
    elastic_module: Any = SimpleNamespace(params={**params, "throughput_mode": "elastic", "backup": None})
    elastic = efs_file_system.FileSystemTask(elastic_module, client=None)
    assert {"ProvisionedThroughputInMibps", "Backup"}.isdisjoint(elastic.create_request())


def test_lifecycle_policies_spell_ia_in_capitals():
    client = RecordingClient()
    efs.put_lifecycle(client, "fs-1", {"transition_to_ia": "AFTER_30_DAYS", "transition_to_archive": "AFTER_90_DAYS"})
    assert client.calls == [
        (
            "put_lifecycle_configuration",
            {
                "FileSystemId": "fs-1",
                "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToArchive": "AFTER_90_DAYS"}],
            },
        )
    ]


def test_access_point_request():
    settings = {
        "posix_user": {"uid": 1000, "gid": 0, "secondary_gids": []},
        "root_directory": {
            "path": "/dagster",
            "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "0750"},
        },
    }
    assert efs_access_point.create_request("fs-1", settings, {"Name": "home"}) == {
        "FileSystemId": "fs-1",
        "PosixUser": {"Uid": 1000, "Gid": 0},
        "RootDirectory": {
            "Path": "/dagster",
            "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"},
        },
        "Tags": [{"Key": "Name", "Value": "home"}],
    }
    bare = {"posix_user": None, "root_directory": {"path": "/", "creation_info": None}}
    assert efs_access_point.create_request("fs-1", bare, {"Name": "home"}) == {
        "FileSystemId": "fs-1",
        "RootDirectory": {"Path": "/"},
        "Tags": [{"Key": "Name", "Value": "home"}],
    }
    with_groups = {**settings, "posix_user": {"uid": 1, "gid": 2, "secondary_gids": [3, 4]}}
    request = efs_access_point.create_request("fs-1", with_groups, {})
    assert request["PosixUser"] == {"Uid": 1, "Gid": 2, "SecondaryGids": [3, 4]}


def test_cloud_map_requests_spell_ttl_and_soa_in_capitals():
    namespace = {"description": "", "soa_ttl": 60, "tags": {"Project": "dagster-ecs"}}
    request = servicediscovery_namespace.create_request("dagster.local", "vpc-1", namespace)
    assert request.pop("CreatorRequestId").startswith("dagster.local-")
    assert request == {
        "Vpc": "vpc-1",
        "Properties": {"DnsProperties": {"SOA": {"TTL": 60}}},
        "Tags": [{"Key": "Project", "Value": "dagster-ecs"}],
    }
    before = {"description": "", "soa_ttl": 15}
    assert servicediscovery_namespace.update_request(before, {"description": "d", "soa_ttl": 60}) == {
        "Description": "d",
        "Properties": {"DnsProperties": {"SOA": {"TTL": 60}}},
    }

    service = {
        "description": "code server",
        "dns_records": [{"type": "A", "ttl": 10}],
        "routing_policy": "MULTIVALUE",
        "health_check_custom_config": True,
        "tags": {},
    }
    request = servicediscovery_service.create_request("main", "ns-1", service)
    assert request.pop("CreatorRequestId").startswith("main-")
    assert request == {
        "NamespaceId": "ns-1",
        "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
        "Description": "code server",
        "HealthCheckCustomConfig": {"FailureThreshold": 1},
    }
    assert servicediscovery_service.update_request(service) == {
        "Description": "code server",
        "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 10}]},
    }


# ---------------------------------------------------------------------------------------------------- helpers


class RecordingClient:
    """A boto3 client stand-in: records calls, or raises `error` from each."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.error = error

    def __getattr__(self, operation: str) -> Any:
        def call(aws_retry: bool = False, **params: Any) -> dict[str, Any]:
            if self.error:
                raise self.error
            self.calls.append((operation, params))
            return {}

        return call


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} happened"}}, "Operation")


def test_converge_tags_writes_only_the_difference_and_nothing_in_check_mode():
    client = RecordingClient()
    module: Any = SimpleNamespace(check_mode=False)
    changed = common.converge_tags(module, client, ecs.ECS_TAGS, "arn:x", {"a": "1", "b": "2"}, {"a": "9"}, True)
    assert changed is True
    assert client.calls == [
        ("untag_resource", {"resourceArn": "arn:x", "tagKeys": ["b"]}),
        ("tag_resource", {"resourceArn": "arn:x", "tags": [{"key": "a", "value": "9"}]}),
    ]
    checking: Any = SimpleNamespace(check_mode=True)
    unwritten = RecordingClient()
    assert common.converge_tags(checking, unwritten, efs.EFS_TAGS, "fs-1", {}, {"a": "1"}, True) is True
    assert unwritten.calls == []
    assert common.converge_tags(module, client, efs.EFS_TAGS, "fs-1", {"a": "1"}, None, True) is False


@pytest.mark.parametrize(
    ("api", "error_type"),
    [
        (ecs.ECS_TAGS, ecs.AnsibleECSError),
        (efs.EFS_TAGS, efs.AnsibleEFSError),
        (servicediscovery.CLOUD_MAP_TAGS, servicediscovery.AnsibleServiceDiscoveryError),
    ],
)
def test_a_tagging_failure_raises_the_services_error(api: common.TagApi, error_type: type[Exception]):
    module: Any = SimpleNamespace(check_mode=False)
    with pytest.raises(error_type) as raised:
        common.converge_tags(module, RecordingClient(client_error("AccessDenied")), api, "res-1", {}, {"a": "1"}, True)
    assert str(raised.value).startswith("Failed to update the tags of res-1: ")
    assert "AccessDenied" in str(raised.value)


def test_missing_resources_are_none_or_gone_not_errors():
    assert ecs.describe_service(RecordingClient(client_error("ClusterNotFoundException")), "c", "s") is None
    assert ecs.describe_task_definition(RecordingClient(client_error("ClientException")), "family") is None
    assert efs.describe_access_points(RecordingClient(client_error("FileSystemNotFound")), file_system_id="fs") == []
    assert efs.delete_access_point(RecordingClient(client_error("AccessPointNotFound")), "fsap-1") is False
    with pytest.raises(ecs.AnsibleECSError, match="Failed to describe ECS service s in c"):
        ecs.describe_service(RecordingClient(client_error("AccessDenied")), "c", "s")


def test_differences_name_each_changed_leaf():
    before = {"posix_user": {"uid": 1000, "gid": 1000}, "root_directory": {"path": "/a"}}
    after = {"posix_user": {"uid": 1001, "gid": 1000}, "root_directory": {"path": "/b"}}
    assert common.differences(before, after) == ["posix_user.uid: 1000 -> 1001", "root_directory.path: '/a' -> '/b'"]
    assert common.differences(before, after, "access point")[0] == "access point.posix_user.uid: 1000 -> 1001"


def test_result_and_snake_description():
    module: Any = SimpleNamespace(_diff=True)
    assert common.result(module, True, None, {"a": 1}, thing={}) == {
        "changed": True,
        "thing": {},
        "diff": {"before": {}, "after": {"a": 1}},
    }
    quiet: Any = SimpleNamespace(_diff=False)
    assert "diff" not in common.result(quiet, False, {}, {}, thing={})
    described = common.snake_description(
        {"clusterName": "c", "tags": [{"key": "k", "value": "v"}], "events": [1], "Policy": {"Statement": []}},
        omit=["events"],
        keep=["Policy"],
    )
    assert described == {"cluster_name": "c", "policy": {"Statement": []}, "tags": {"k": "v"}}
    assert common.snake_description({"Name": "n", "Tags": {"k": "v"}}) == {"name": "n", "tags": {"k": "v"}}
    assert common.snake_description(None) == {}
