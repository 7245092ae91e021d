"""DagsterEcsRunLauncher against the emulator's ECS: a run is its code location's task, and overrides are refused."""

import json
import sys
from collections.abc import Iterator

import boto3
import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.events import DagsterEventType
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.test_utils import create_run_for_test, instance_for_test

from tests.support.moto_server import MotoServer

PREFIX = "dagster-ecs-dev-code-"
CLUSTER = "dagster-ecs-dev"


@pytest.fixture
def ecs(aws: MotoServer) -> dict[str, str]:
    """A cluster, a private subnet and the code servers' task definitions of `main` and `analytics`."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # As the network role sets it; moto's awsvpc tasks also need it for the ENI's private DNS name.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="run", Description="run", VpcId=vpc)["GroupId"]
    client = boto3.client("ecs")
    client.create_cluster(clusterName=CLUSTER)
    arns = {}
    for repository in ("main", "analytics"):
        arns[repository] = client.register_task_definition(
            family=f"{PREFIX}{repository}",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="512",
            memory="1024",
            taskRoleArn=f"arn:aws:iam::123456789012:role/dagster-ecs-dev-repo-{repository}",
            containerDefinitions=[{"name": "dagster", "image": "dagster-ecs:test", "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]
    return {"subnet": subnet, "security_group": group, **arns}


@pytest.fixture
def instance(ecs: dict[str, str]) -> Iterator[DagsterInstance]:
    launcher_config = {
        "code_task_definition_prefix": PREFIX,
        "container_name": "dagster",
        "use_current_ecs_task_config": False,
        "secrets_tag": None,
        "run_task_kwargs": {
            "cluster": CLUSTER,
            "launchType": "FARGATE",
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": [ecs["subnet"]],
                    "securityGroups": [ecs["security_group"]],
                    "assignPublicIp": "DISABLED",
                }
            },
        },
    }
    overrides = {
        "run_launcher": {
            "module": "dagster_ecs.run_launcher",
            "class": "DagsterEcsRunLauncher",
            "config": launcher_config,
        }
    }
    with instance_for_test(overrides=overrides) as test_instance:
        yield test_instance


def make_run(instance: DagsterInstance, ecs: dict[str, str], tags: dict[str, str] | None = None) -> DagsterRun:
    """A run of job `template_pipeline` in code location `main`, whose code server reports analytics' task."""
    location = GrpcServerCodeLocationOrigin(host="main.dagster-ecs-dev.local", port=4000, location_name="main")  # ty: ignore[abstract-class-instantiation]
    repository_origin = RepositoryPythonOrigin(
        executable_path=sys.executable,
        code_pointer=ModuleCodePointer("dagster_ecs.location", "main", working_directory=None),
        container_image="dagster-ecs:test",
        entry_point=None,
        # What a code server could claim: another repository's task definition and a different container.
        container_context={"ecs": {"task_definition_arn": ecs["analytics"], "container_name": "other"}},
    )
    return create_run_for_test(
        instance,
        job_name="template_pipeline",
        tags=tags or {},
        remote_job_origin=RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), "template_pipeline"),
        job_code_origin=JobPythonOrigin("template_pipeline", repository_origin),
    )


def launched_task(instance: DagsterInstance, run_id: str) -> dict:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    assert "ecs/task_arn" in run.tags, "the launcher recorded no ECS task for the run"
    tasks = boto3.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[run.tags["ecs/task_arn"]])["tasks"]
    assert len(tasks) == 1
    return tasks[0]


def run_task_calls(aws: MotoServer) -> int:
    return sum(1 for call in aws.calls() if call.service == "ecs" and call.action == "RunTask")


def test_a_run_is_its_code_locations_task_with_the_cpu_and_memory_tags(
    aws: MotoServer, ecs: dict[str, str], instance: DagsterInstance
) -> None:
    run = make_run(instance, ecs, {"ecs/cpu": "1024", "ecs/memory": "4096"})
    registered_before = boto3.client("ecs").list_task_definitions()["taskDefinitionArns"]
    instance.launch_run(run.run_id, workspace=None)  # ty: ignore[invalid-argument-type]
    task = launched_task(instance, run.run_id)
    assert task["taskDefinitionArn"] == ecs["main"]
    assert task["overrides"]["cpu"] == "1024"
    assert task["overrides"]["memory"] == "4096"
    (container,) = task["overrides"]["containerOverrides"]
    assert container["name"] == "dagster"
    assert container["command"][-4:-1] == ["dagster", "api", "execute_run"]
    assert "taskRoleArn" not in task["overrides"]
    # Launching registered nothing: the code server's task definitions are the only ones.
    assert boto3.client("ecs").list_task_definitions()["taskDefinitionArns"] == registered_before


@pytest.mark.parametrize(
    "tag",
    [
        {
            "ecs/task_overrides": json.dumps(
                {"taskRoleArn": "arn:aws:iam::123456789012:role/dagster-ecs-dev-repo-analytics"}
            )
        },
        {"ecs/container_overrides": json.dumps({"command": ["sh", "-c", "env"]})},
        {"ecs/run_task_kwargs": json.dumps({"taskDefinition": "dagster-ecs-dev-code-analytics"})},
        {"ecs/something_new": "x"},
    ],
    ids=lambda tag: next(iter(tag)),
)
def test_a_run_tagged_to_change_its_task_fails_and_starts_nothing(
    aws: MotoServer, ecs: dict[str, str], instance: DagsterInstance, tag: dict[str, str]
) -> None:
    run = make_run(instance, ecs, {"ecs/cpu": "1024", **tag})
    before = run_task_calls(aws)
    with pytest.raises(Exception, match="was refused"):
        instance.launch_run(run.run_id, workspace=None)  # ty: ignore[invalid-argument-type]
    assert run_task_calls(aws) == before
    failed = instance.get_run_by_id(run.run_id)
    assert failed is not None
    assert failed.status == DagsterRunStatus.FAILURE
    messages = [
        record.event_log_entry.message or ""
        for record in instance.get_records_for_run(run.run_id).records
        if record.event_log_entry.dagster_event
        and record.event_log_entry.dagster_event.event_type == DagsterEventType.ENGINE_EVENT
    ]
    assert any(next(iter(tag)) in message and "dagster-ecs-dev-code-main" in message for message in messages), messages
