"""The task definition comparison of dagster_ecs.aws.ecs_task_definition: what AWS adds is not a difference."""

import copy
import sys
from typing import Any

from tests.ansible_modules.playbook import COLLECTIONS_PATH

if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))

from ansible_collections.dagster_ecs.aws.plugins.modules.ecs_task_definition import definition_differences

REQUEST: dict[str, Any] = {
    "family": "dagster-code-main",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
    "containerDefinitions": [
        {
            "name": "dagster",
            "image": "registry.example/dagster-ecs:1",
            "portMappings": [{"containerPort": 4000}],
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "healthCheck": {"command": ["CMD", "true"]},
        }
    ],
    "volumes": [{"name": "dags", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
}

# DescribeTaskDefinition's answer for REQUEST as AWS gives it today, defaults filled in.
ANSWER: dict[str, Any] = {
    **copy.deepcopy(REQUEST),
    "taskDefinitionArn": "arn:aws:ecs:ap-southeast-2:123456789012:task-definition/dagster-code-main:1",
    "revision": 1,
    "status": "ACTIVE",
    "compatibilities": ["EC2", "FARGATE"],
    "requiresAttributes": [{"name": "ecs.capability.efsAuth"}],
    "placementConstraints": [],
    "registeredAt": "2026-12-03T00:00:00Z",
    "registeredBy": "arn:aws:iam::123456789012:root",
    "enableFaultInjection": False,
    "containerDefinitions": [
        {
            "name": "dagster",
            "image": "registry.example/dagster-ecs:1",
            "cpu": 0,
            "portMappings": [{"containerPort": 4000, "hostPort": 4000, "protocol": "tcp"}],
            "essential": True,
            "environment": [],
            "mountPoints": [],
            "volumesFrom": [],
            "systemControls": [],
            "versionConsistency": "enabled",
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3},
        }
    ],
    "volumes": [{"name": "dags", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/"}}],
}


def test_aws_answer_with_its_documented_defaults_is_no_difference():
    assert definition_differences(ANSWER, REQUEST) == []


def test_fields_aws_adds_later_at_any_level_are_no_difference():
    answer = copy.deepcopy(ANSWER)
    answer["someFutureTaskField"] = {"enabled": True}
    container = answer["containerDefinitions"][0]
    container["someFutureContainerField"] = "on"
    container["portMappings"][0]["someFutureMappingField"] = 1
    answer["volumes"][0]["efsVolumeConfiguration"]["someFutureEfsField"] = "x"
    assert definition_differences(answer, REQUEST) == []


def test_a_documented_field_away_from_its_default_is_a_difference():
    answer = copy.deepcopy(ANSWER)
    answer["enableFaultInjection"] = True
    assert definition_differences(answer, REQUEST) == ["enableFaultInjection: True -> False"]
    answer = copy.deepcopy(ANSWER)
    answer["containerDefinitions"][0]["readonlyRootFilesystem"] = True
    [line] = definition_differences(answer, REQUEST)
    assert line.startswith("containerDefinitions: ")
    assert "readonlyRootFilesystem" in line


def test_a_change_the_request_makes_is_a_difference():
    request = copy.deepcopy(REQUEST)
    request["runtimePlatform"]["cpuArchitecture"] = "X86_64"
    assert definition_differences(ANSWER, request) == ["runtimePlatform.cpuArchitecture: 'ARM64' -> 'X86_64'"]
    request = copy.deepcopy(REQUEST)
    request["containerDefinitions"][0]["logConfiguration"]["options"] = {}
    assert len(definition_differences(ANSWER, request)) == 1


def test_a_bind_mount_volume_as_aws_answers_it_is_no_difference():
    """A volume given by name only (task-scoped ephemeral storage) comes back with an empty `host`."""
    request = copy.deepcopy(REQUEST)
    request["volumes"].append({"name": "tmp"})
    request["containerDefinitions"][0]["mountPoints"] = [{"sourceVolume": "tmp", "containerPath": "/tmp"}]
    answer = copy.deepcopy(ANSWER)
    answer["volumes"].append({"name": "tmp", "host": {}})
    answer["containerDefinitions"][0]["mountPoints"] = [
        {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}
    ]
    assert definition_differences(answer, request) == []
    answer["volumes"][-1]["host"] = {"sourcePath": "/var/tmp"}
    assert len(definition_differences(answer, request)) == 1
