"""dagster_ecs.aws.ecs_task_definition run through PlaybookRunner against the emulator, checked with boto3."""

import copy
from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner, task

# The emulator with every correction, and a runner that refuses write calls in check mode.

MODULE = "dagster_ecs.aws.ecs_task_definition"
ACCOUNT = "123456789012"
SECRET = f"arn:aws:secretsmanager:ap-southeast-2:{ACCOUNT}:secret:db-AbCdEf"


def spec(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "family": "dagster-code-main",
        "network_mode": "awsvpc",
        "requires_compatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/execution",
        "task_role_arn": f"arn:aws:iam::{ACCOUNT}:role/repo-main",
        "runtime_platform": {"cpu_architecture": "X86_64", "operating_system_family": "LINUX"},
        "container_definitions": [
            {
                "name": "code-server",
                "image": "registry.example/dagster-ecs:1",
                "command": ["python", "-m", "dagster_ecs.container", "code-server", "main"],
                "portMappings": [{"containerPort": 4000}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "secrets": [{"name": "DAGSTER_POSTGRES_PASSWORD", "valueFrom": f"{SECRET}:password::"}],
                "mountPoints": [{"sourceVolume": "dags", "containerPath": "/opt/dagster/dags/main", "readOnly": True}],
            }
        ],
        "volumes": [
            {
                "name": "dags",
                "efsVolumeConfiguration": {
                    "fileSystemId": "fs-12345678",
                    "transitEncryption": "ENABLED",
                    "authorizationConfig": {"accessPointId": "fsap-12345678", "iam": "ENABLED"},
                },
            }
        ],
        "tags": {"Project": "dagster-ecs", "Repository": "main"},
    }
    args.update(overrides)
    return args


@pytest.fixture
def ecs(playbook: PlaybookRunner) -> Any:
    return boto3.client("ecs")


def active_revisions(ecs: Any) -> list[str]:
    return ecs.list_task_definitions(familyPrefix="dagster-code-main")["taskDefinitionArns"]


def test_registers_once_and_predicts_the_revision_in_check_mode(playbook: PlaybookRunner, ecs: Any):
    [predicted] = playbook.run([task(MODULE, spec())], check=True)
    assert predicted["changed"] is True
    assert predicted["family_revision"] == "dagster-code-main:1"
    assert active_revisions(ecs) == []

    created, again = playbook.run([task(MODULE, spec()), task(MODULE, spec())])
    assert (created["changed"], created["registered"]) == (True, True)
    assert created["family_revision"] == "dagster-code-main:1"
    assert created["arn"].endswith(":task-definition/dagster-code-main:1")
    assert (again["changed"], again["registered"], again["differences"]) == (False, False, [])
    assert again["family_revision"] == "dagster-code-main:1"

    described = ecs.describe_task_definition(taskDefinition="dagster-code-main:1", include=["TAGS"])
    definition = described["taskDefinition"]
    assert (definition["cpu"], definition["memory"], definition["networkMode"]) == ("256", "512", "awsvpc")
    efs = definition["volumes"][0]["efsVolumeConfiguration"]
    assert efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"] == {"accessPointId": "fsap-12345678", "iam": "ENABLED"}
    assert {t["key"]: t["value"] for t in described["tags"]} == {"Project": "dagster-ecs", "Repository": "main"}


def test_defaults_aws_fills_in_and_ordering_are_not_differences(playbook: PlaybookRunner, ecs: Any):
    playbook.run([task(MODULE, spec())])
    same = spec(cpu="0.25 vCPU", memory="0.5 GB")
    container = same["container_definitions"][0]
    container["environment"].reverse()
    container["essential"] = True
    container["portMappings"] = [{"containerPort": 4000, "hostPort": 4000, "protocol": "tcp"}]
    same["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"] = "/"
    [result] = playbook.run([task(MODULE, same)])
    assert (result["changed"], result["differences"]) == (False, [])
    assert len(active_revisions(ecs)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cpu": "512"}, "cpu"),
        ({"memory": "1024"}, "memory"),
        ({"execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/other"}, "executionRoleArn"),
        ({"task_role_arn": f"arn:aws:iam::{ACCOUNT}:role/repo-other"}, "taskRoleArn"),
        ({"runtime_platform": {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}}, "runtimePlatform"),
    ],
)
def test_every_task_level_change_registers_a_revision(
    playbook: PlaybookRunner, ecs: Any, change: dict[str, Any], field: str
):
    playbook.run([task(MODULE, spec())])
    writes = playbook.write_count()
    [predicted] = playbook.run([task(MODULE, spec(**change))], check=True)
    assert predicted["changed"] is True
    assert predicted["family_revision"] == "dagster-code-main:2"
    assert any(line.startswith(field) for line in predicted["differences"]), predicted["differences"]
    assert predicted["diff"]["before"] != predicted["diff"]["after"]
    assert playbook.write_count() == writes

    changed, again = playbook.run([task(MODULE, spec(**change)), task(MODULE, spec(**change))])
    assert (changed["changed"], changed["family_revision"]) == (True, "dagster-code-main:2")
    assert (again["changed"], again["family_revision"]) == (False, "dagster-code-main:2")


def container_change(edit: str) -> dict[str, Any]:
    args = spec()
    container = args["container_definitions"][0]
    volume = args["volumes"][0]["efsVolumeConfiguration"]
    if edit == "secret":
        container["secrets"][0]["valueFrom"] = f"{SECRET}:other::"
    elif edit == "environment":
        container["environment"][0]["value"] = "3"
    elif edit == "image":
        container["image"] = "registry.example/dagster-ecs:2"
    elif edit == "access_point":
        volume["authorizationConfig"]["accessPointId"] = "fsap-87654321"
    elif edit == "transit_encryption":
        volume["transitEncryption"] = "DISABLED"
        del volume["authorizationConfig"]
    return args


@pytest.mark.parametrize("edit", ["secret", "environment", "image", "access_point", "transit_encryption"])
def test_container_and_volume_changes_register_a_revision(playbook: PlaybookRunner, edit: str):
    playbook.run([task(MODULE, spec())])
    [changed] = playbook.run([task(MODULE, container_change(edit))])
    assert (changed["changed"], changed["family_revision"]) == (True, "dagster-code-main:2")


def test_tags_change_in_place_and_old_revisions_can_be_deregistered(playbook: PlaybookRunner, ecs: Any):
    playbook.run([task(MODULE, spec()), task(MODULE, spec(cpu="512"))])
    retagged = spec(cpu="512", tags={"Project": "dagster-ecs"}, deregister_old_revisions=True)
    [checked] = playbook.run([task(MODULE, retagged)], check=True)
    assert checked["changed"] is True
    assert checked["deregistered"] == [active_revisions(ecs)[0]]
    result, again = playbook.run([task(MODULE, retagged), task(MODULE, retagged)])
    assert (result["changed"], result["registered"], result["family_revision"]) == (True, False, "dagster-code-main:2")
    assert again["changed"] is False
    tags = ecs.list_tags_for_resource(resourceArn=result["arn"])["tags"]
    assert tags == [{"key": "Project", "value": "dagster-ecs"}]
    assert [arn.rsplit(":", 1)[1] for arn in active_revisions(ecs)] == ["2"]


def test_absent_deregisters_every_active_revision(playbook: PlaybookRunner, ecs: Any):
    playbook.run([task(MODULE, spec()), task(MODULE, spec(cpu="512"))])
    gone = {"family": "dagster-code-main", "state": "absent"}
    [checked] = playbook.run([task(MODULE, gone)], check=True)
    assert (checked["changed"], len(checked["deregistered"])) == (True, 2)
    removed, again = playbook.run([task(MODULE, gone), task(MODULE, gone)])
    assert removed["changed"] is True
    assert again["changed"] is False
    assert active_revisions(ecs) == []


def test_a_missing_container_definition_list_fails_with_its_name(playbook: PlaybookRunner):
    args = copy.deepcopy(spec())
    del args["container_definitions"]
    [failed] = playbook.run([task(MODULE, args, ignore_errors=True)])
    assert failed["failed"] is True
    assert "container_definitions" in failed["msg"]


def test_the_emulator_answers_task_definitions_as_aws_does_today(playbook: PlaybookRunner, ecs: Any):
    """AWS reports enableFaultInjection and each container's versionConsistency though the request set neither."""
    playbook.run([task(MODULE, spec())])
    definition = ecs.describe_task_definition(taskDefinition="dagster-code-main")["taskDefinition"]
    assert definition["enableFaultInjection"] is False
    [container] = definition["containerDefinitions"]
    assert container["versionConsistency"] == "enabled"
    assert container["portMappings"] == [{"containerPort": 4000, "hostPort": 4000, "protocol": "tcp"}]
    assert definition["registeredBy"].startswith("arn:aws:iam::")


@pytest.mark.parametrize(
    "edit",
    [
        {"versionConsistency": "disabled"},
        {"readonlyRootFilesystem": True},
        {"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g", "mode": "non-blocking"}}},
    ],
)
def test_setting_and_then_leaving_out_a_container_field_registers_a_revision_each_time(
    playbook: PlaybookRunner, edit: dict[str, Any]
):
    playbook.run([task(MODULE, spec())])
    edited = spec()
    edited["container_definitions"][0].update(edit)
    [added] = playbook.run([task(MODULE, edited)])
    assert (added["changed"], added["family_revision"]) == (True, "dagster-code-main:2")
    [removed, again] = playbook.run([task(MODULE, spec()), task(MODULE, spec())])
    assert (removed["changed"], removed["family_revision"]) == (True, "dagster-code-main:3")
    assert (again["changed"], again["differences"]) == (False, [])


def test_removing_a_log_option_registers_a_revision(playbook: PlaybookRunner):
    def with_options(options: dict[str, str]) -> dict[str, Any]:
        args = spec()
        args["container_definitions"][0]["logConfiguration"] = {"logDriver": "awslogs", "options": options}
        return args

    playbook.run([task(MODULE, with_options({"awslogs-group": "g", "mode": "non-blocking"}))])
    [changed] = playbook.run([task(MODULE, with_options({"awslogs-group": "g"}))])
    assert (changed["changed"], changed["family_revision"]) == (True, "dagster-code-main:2")
