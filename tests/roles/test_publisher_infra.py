"""What the Fargate DAG publisher needs from the iam and services roles: a publisher role per publishing repository
(its deployment prefix and its own access point, read-write) and a publisher task definition that mounts that
access point read-write, while code servers keep their read-only mount. Applied to the emulator and read back."""

import json
from pathlib import Path
from typing import Any

import boto3

from tests.ansible_modules.network import make_network
from tests.roles.runner import run_role
from tests.roles.test_services_inputs import SERVICES_VALID
from tests.roles.test_storage_inputs import ACCOUNT, EFS, PREFIX, VALID
from tests.support.moto_server import MotoServer

BUCKET_ARN = f"arn:aws:s3:::{PREFIX}-{ACCOUNT}"


def publisher_policy(repo: str, access_point: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadStagedRelease", "Effect": "Allow", "Action": "s3:GetObject",
             "Resource": f"{BUCKET_ARN}/deployments/{repo}/*"},
            {"Sid": "WriteLiveManifest", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": f"{BUCKET_ARN}/deployments/{repo}/live.json"},
            {"Sid": "ListStagedRelease", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET_ARN,
             "Condition": {"StringLike": {"s3:prefix": [f"deployments/{repo}/*"]}}},
            {"Sid": "MountOwnAccessPointReadWrite", "Effect": "Allow",
             "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
             "Resource": f"{EFS}:file-system/fs-0123456789abcdef0",
             "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": access_point}}},
        ],
    }  # fmt: skip


def test_iam_makes_a_publisher_role_per_publishing_repository_and_removes_it_when_unlisted(
    aws: MotoServer, tmp_path: Path
) -> None:
    iam: Any = boto3.client("iam")
    created = run_role(tmp_path / "1", "iam", {**VALID["iam"], "iam_publisher_repositories": ["main"]}, aws=aws)
    assert created.rc == 0, json.dumps(created.failures)[:3000]
    name = f"{PREFIX}-pub-main"
    arn = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}/{name}"
    assert created.facts["iam_publisher_role_arns"] == {"main": arn}
    document = iam.get_role_policy(RoleName=name, PolicyName="publisher")["PolicyDocument"]
    assert document == publisher_policy("main", VALID["iam"]["iam_efs_access_point_arns"]["main"])
    tags = {tag["Key"]: tag["Value"] for tag in iam.list_role_tags(RoleName=name)["Tags"]}
    assert tags == {"Project": "dagster-ecs", "Repository": "main", "Component": "publisher"}
    # The webserver and daemon may pass the repository roles to runs, never a publisher role.
    dagster = iam.get_role_policy(RoleName=f"{PREFIX}-dagster", PolicyName="dagster")["PolicyDocument"]
    [passable] = [s["Resource"] for s in dagster["Statement"] if s["Sid"] == "PassProjectRolesToEcsTasks"]
    assert arn not in passable
    # Code servers and runs: their repository role may read its prefix and mount, but not deployments/.
    repository = iam.get_role_policy(RoleName=f"{PREFIX}-repo-main", PolicyName="repository")["PolicyDocument"]
    assert "deployments/" not in json.dumps(repository)

    # (A second run changing nothing is proven by molecule's default scenario: site.yml wires the publishers.)
    dropped = run_role(tmp_path / "3", "iam", VALID["iam"], aws=aws)
    assert dropped.rc == 0, dropped.failures
    assert dropped.facts["iam_publisher_role_arns"] == {}
    roles = [role["RoleName"] for role in iam.list_roles(PathPrefix=f"/{PREFIX}/")["Roles"]]
    assert name not in roles
    assert f"{PREFIX}-repo-main" in roles


def test_iam_refuses_a_publisher_that_is_not_a_repository(aws: MotoServer, tmp_path: Path) -> None:
    run = run_role(tmp_path, "iam", {**VALID["iam"], "iam_publisher_repositories": ["other"]}, aws=aws)
    assert run.rc != 0
    [failure] = run.failures
    assert "iam_publisher_repositories" in failure["msg"]
    assert run.calls == []


def test_services_registers_a_publisher_task_definition_with_a_writable_mount(aws: MotoServer, tmp_path: Path) -> None:
    ecs: Any = boto3.client("ecs")
    ecs.create_cluster(clusterName=SERVICES_VALID["services_cluster_name"])
    network = make_network("ap-southeast-2")
    cloud_map: Any = boto3.client("servicediscovery")
    cloud_map.create_private_dns_namespace(Name="dagster-ecs-test.local", Vpc=network.vpc_id)
    [namespace] = cloud_map.list_namespaces()["Namespaces"]
    publisher_arn = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}/{PREFIX}-pub-main"
    role_vars = {
        **SERVICES_VALID,
        "services_namespace_id": namespace["Id"],
        "services_subnet_ids": network.subnet_ids[:2],
        "services_security_group_ids": {
            "webserver": network.security_group_ids[0],
            "code_server": network.security_group_ids[1],
            "run": network.default_security_group_id,
        },
        "services_publisher_repositories": ["main"],
        "services_publisher_role_arns": {"main": publisher_arn},
        # The emulator runs no container, so the one-off db-setup task could never finish (as in inventory/local).
        "services_database_setup": False,
    }
    created = run_role(tmp_path / "1", "services", role_vars, aws=aws)
    assert created.rc == 0, json.dumps(created.failures)[:3000]
    family = f"{PREFIX}-publish-main"
    assert created.facts["services_task_definition_arns"]["publish_main"] == f"{family}:1"
    task = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    [container] = task["containerDefinitions"]
    assert task["taskRoleArn"] == publisher_arn
    # Its own access point read-write, and the scratch volumes of the read-only root file system.
    assert container["mountPoints"] == [
        {"sourceVolume": "dags", "containerPath": "/opt/dagster/dags/main", "readOnly": False},
        {"sourceVolume": "dagster-home", "containerPath": "/opt/dagster/home", "readOnly": False},
        {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False},
    ]
    assert container["readonlyRootFilesystem"] is True
    assert container["command"] == ["python", "-m", "dagster_ecs.publish", "releases", "/opt/dagster/dags/main"]
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "publish-main"
    assert "secrets" not in container, "the publisher needs no database password"
    assert task["volumes"][0]["efsVolumeConfiguration"]["authorizationConfig"] == {
        "accessPointId": "fsap-0123456789abcdef0",
        "iam": "ENABLED",
    }
    # Code servers keep their read-only mount; no publisher for a repository that does not publish.
    code = ecs.describe_task_definition(taskDefinition=f"{PREFIX}-code-main")["taskDefinition"]
    assert code["containerDefinitions"][0]["mountPoints"][0]["readOnly"] is True
    assert ecs.list_task_definitions(familyPrefix=f"{PREFIX}-publish-repo-2")["taskDefinitionArns"] == []

    again = run_role(tmp_path / "2", "services", role_vars, aws=aws)
    assert again.rc == 0, again.failures
    assert again.writes == [], again.changed

    dropped = run_role(tmp_path / "3", "services", {**role_vars, "services_publisher_repositories": []}, aws=aws)
    assert dropped.rc == 0, dropped.failures
    assert "publish_main" not in dropped.facts["services_task_definition_arns"]
    assert ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"] == []
