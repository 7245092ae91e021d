"""The cluster and services roles' interfaces: bad input fails before any AWS call, naming the variable; valid
input under --check on an empty account reads AWS, writes nothing and reports what it would create."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.moto_server import MotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
ACCOUNT = "123456789012"

CLUSTER_VALID: dict[str, Any] = {
    "cluster_name_prefix": "dagster-ecs-test",
    "cluster_tags": {"Project": "dagster-ecs", "Environment": "test"},
    "cluster_vpc_id": "vpc-0123456789abcdef0",
}
SERVICES_VALID: dict[str, Any] = {
    "services_name_prefix": "dagster-ecs-test",
    "services_tags": {"Project": "dagster-ecs", "Environment": "test"},
    "services_environment": "test",
    "services_repositories": ["main", "repo-2"],
    "services_cluster_name": "dagster-ecs-test",
    "services_namespace_id": "ns-0123456789abcdef",
    "services_namespace_name": "dagster-ecs-test.local",
    "services_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "services_security_group_ids": {
        "webserver": "sg-0123456789abcdef0",
        "code_server": "sg-0123456789abcdef1",
        "run": "sg-0123456789abcdef2",
    },
    "services_image": f"{ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/dagster-ecs:1.0.0",
    "services_execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/execution",
    "services_dagster_role_arn": f"arn:aws:iam::{ACCOUNT}:role/dagster",
    "services_repository_role_arns": {
        "main": f"arn:aws:iam::{ACCOUNT}:role/repo-main",
        "repo-2": f"arn:aws:iam::{ACCOUNT}:role/repo-2",
    },
    "services_efs_file_system_id": "fs-0123456789abcdef0",
    "services_efs_access_points": {
        "main": {"id": "fsap-0123456789abcdef0", "arn": "arn:aws:elasticfilesystem:x"},
        "repo-2": {"id": "fsap-0123456789abcdef1", "arn": "arn:aws:elasticfilesystem:y"},
    },
    "services_log_group_names": {
        "webserver": "/dagster-ecs-test/webserver",
        "daemon": "/dagster-ecs-test/daemon",
        "code_server": "/dagster-ecs-test/code-server",
        "run": "/dagster-ecs-test/run",
    },
    "services_bucket_name": "dagster-ecs-test-bucket",
    "services_database_host": "db.example.internal",
    "services_database_name": "dagster",
    "services_database_username": "dagster",
    "services_database_secret_arn": f"arn:aws:secretsmanager:ap-southeast-2:{ACCOUNT}:secret:db-AbCdEf",
}


def run_role(tmp_path: Path, env: dict[str, str], role: str, role_vars: dict[str, Any], *, check: bool = False) -> dict:
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "vars": role_vars, "roles": [role]}
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(json.dumps([play]))  # JSON is YAML
    config = tmp_path / "ansible.cfg"
    config.write_text("")
    command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(playbook), *(["--check", "--diff"] if check else [])]
    completed = subprocess.run(
        command,
        cwd=tmp_path,
        env={
            **os.environ,
            **env,
            "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "collections"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_CONFIG": str(config),  # not the checkout's: its profile_tasks callback would break the JSON
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_HOME": str(tmp_path / ".ansible"),
            "ANSIBLE_NOCOLOR": "true",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"ansible-playbook printed no JSON:\n{completed.stdout}\n{completed.stderr}") from None
    tasks = [task for play in output["plays"] for task in play["tasks"]]
    results: dict[str, list[dict[str, Any]]] = {}
    for item in tasks:
        # The callback names a role's task "<role> : <name>".
        results.setdefault(item["task"]["name"].split(" : ", 1)[-1], []).append(item["hosts"]["localhost"])
    return {
        "rc": completed.returncode,
        "results": results,
        "failures": [task["hosts"]["localhost"] for task in tasks if task["hosts"]["localhost"].get("failed")],
    }


def failure_message(failure: dict[str, Any]) -> str:
    """The message of a failed task; a failed loop carries it in its items."""
    messages = [failure.get("msg", "")] + [item.get("msg", "") for item in failure.get("results", [])]
    return " ".join(str(message) for message in messages)


BAD_INPUTS = [
    ("cluster", "cluster_name_prefix", "Dagster_ECS", "cluster_name_prefix"),
    ("cluster", "cluster_vpc_id", "my-vpc", "cluster_vpc_id"),
    ("cluster", "cluster_namespace_name", "Dagster.LOCAL", "cluster_namespace_name"),
    ("cluster", "cluster_container_insights", "on", "cluster_container_insights"),
    ("cluster", "cluster_capacity_providers", ["EC2"], "cluster_capacity_providers"),
    (
        "cluster",
        "cluster_default_capacity_provider_strategy",
        [{"capacity_provider": "FARGATE", "weight": 0, "base": 1}],
        "cluster_default_capacity_provider_strategy",
    ),
    ("services", "services_repositories", ["Main"], "services_repositories"),
    ("services", "services_repositories", [], "services_repositories"),
    ("services", "services_image", "dagster-ecs", "services_image"),
    ("services", "services_subnet_ids", ["subnet-x"], "services_subnet_ids"),
    ("services", "services_security_group_ids", {"webserver": "sg-0123456789abcdef0"}, "services_security_group_ids"),
    ("services", "services_repository_role_arns", {"main": "repo-main"}, "services_repository_role_arns"),
    ("services", "services_efs_access_points", {}, "services_efs_access_points"),
    ("services", "services_database_secret_arn", "db-password", "services_database_secret_arn"),
    ("services", "services_target_group_arn", "my-target-group", "services_target_group_arn"),
    ("services", "services_webserver_cpu", 300, "services_webserver_cpu"),
    ("services", "services_max_runs_per_repository", 20, "services_max_runs_per_repository"),
    ("services", "services_environment", "Prod", "services_environment"),
]


@pytest.mark.parametrize(
    ("role", "variable", "value", "named"), BAD_INPUTS, ids=[f"{v}={x!r}" for _, v, x, _ in BAD_INPUTS]
)
def test_bad_input_fails_before_any_aws_call(
    aws: MotoServer, tmp_path: Path, role: str, variable: str, value: Any, named: str
) -> None:
    valid = CLUSTER_VALID if role == "cluster" else SERVICES_VALID
    calls_before = len(aws.calls())
    run = run_role(tmp_path, aws.env(), role, {**valid, variable: value})
    assert run["rc"] != 0, f"{variable}={value!r} was accepted"
    [failure] = run["failures"]
    assert named in failure_message(failure), failure
    assert aws.calls()[calls_before:] == [], "the role called AWS before rejecting its input"


def test_check_mode_before_the_upstream_roles_ran_reports_and_writes_nothing(aws: MotoServer, tmp_path: Path) -> None:
    """On a fresh account under --check the cluster, IAM and EFS outputs are still empty."""
    not_yet = {
        **SERVICES_VALID,
        "services_namespace_id": "",
        "services_execution_role_arn": "",
        "services_repository_role_arns": {},
        "services_efs_access_points": {},
    }
    calls_before = len(aws.calls())
    run = run_role(tmp_path, aws.env(), "services", not_yet, check=True)
    assert run["rc"] == 0, run["failures"]
    [report] = run["results"][
        "Report the services that would be created once the upstream resources exist (check mode only)"
    ]
    assert report["changed"] is True
    for name in ("services_namespace_id", "services_execution_role_arn", "services_repository_role_arns.main"):
        assert name in report["msg"]
    assert [call for call in aws.calls()[calls_before:] if call.write] == []


def test_empty_upstream_outputs_fail_outside_check_mode(aws: MotoServer, tmp_path: Path) -> None:
    calls_before = len(aws.calls())
    run = run_role(tmp_path, aws.env(), "services", {**SERVICES_VALID, "services_namespace_id": ""})
    assert run["rc"] != 0
    [failure] = run["failures"]
    assert "services_namespace_id" in failure_message(failure)
    assert aws.calls()[calls_before:] == []


@pytest.mark.parametrize("role", ["cluster", "services"])
def test_check_mode_on_an_empty_account_writes_nothing(aws: MotoServer, tmp_path: Path, role: str) -> None:
    valid = CLUSTER_VALID if role == "cluster" else SERVICES_VALID
    calls_before = len(aws.calls())
    run = run_role(tmp_path, aws.env(), role, valid, check=True)
    assert run["rc"] == 0, run["failures"]
    calls = aws.calls()[calls_before:]
    assert calls, "the role made no AWS call: the input the bad-input cases start from must pass validation"
    assert [call for call in calls if call.write] == []
    results = run["results"]
    if role == "cluster":
        assert results["Create or update the ECS cluster"][0]["changed"] is True
        assert results["Create or update the Cloud Map namespace of the code servers"][0]["changed"] is True
    else:
        [code_servers] = results["Create or update the service of each code server"]
        assert [item["changed"] for item in code_servers["results"]] == [True, True]
        assert results["Create or update the webserver service"][0]["changed"] is True
        [definitions] = results["Register the task definition of each code server"]
        assert [item["family_revision"] for item in definitions["results"]] == [
            "dagster-ecs-test-code-main:1",
            "dagster-ecs-test-code-repo-2:1",
        ]
