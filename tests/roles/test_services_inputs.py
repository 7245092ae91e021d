"""The cluster and services roles' interfaces: bad input fails before any AWS call, naming the variable; valid
input under --check on an empty account reads AWS, writes nothing and reports what it would create."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.roles.runner import BadInput, Refusals, checked, failure_message, refusals
from tests.support.moto_server import MotoServer
from tests.support.shared import computed_once

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
    "services_database_setup_role_arn": f"arn:aws:iam::{ACCOUNT}:role/db-setup",
}


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
    # The platform's repository name rule (dagster_ecs.names), which this role's own regex once relaxed.
    ("services", "services_repositories", ["main", "re--po"], "services_repositories"),
    ("services", "services_repositories", ["repo-"], "services_repositories"),
    ("services", "services_repositories", ["2repo"], "services_repositories"),
    ("services", "services_repositories", ["repo_2"], "services_repositories"),
    ("services", "services_repositories", ["a" * 33], "services_repositories"),
    ("services", "services_repositories", [2], "services_repositories"),
    ("services", "services_name_prefix", "dagster--ecs", "services_name_prefix"),
    ("services", "services_image", "dagster-ecs", "services_image"),
    ("services", "services_subnet_ids", ["subnet-x"], "services_subnet_ids"),
    ("services", "services_security_group_ids", {"webserver": "sg-0123456789abcdef0"}, "services_security_group_ids"),
    ("services", "services_repository_role_arns", {"main": "repo-main"}, "services_repository_role_arns"),
    ("services", "services_efs_access_points", {}, "services_efs_access_points"),
    ("services", "services_database_secret_arn", "db-password", "services_database_secret_arn"),
    ("services", "services_database_setup_role_arn", "db-setup", "services_database_setup_role_arn"),
    ("services", "services_database_username", "Dagster", "services_database_username"),
    ("services", "services_target_group_arn", "my-target-group", "services_target_group_arn"),
    ("services", "services_webserver_cpu", 300, "services_webserver_cpu"),
    ("services", "services_max_runs_per_repository", 20, "services_max_runs_per_repository"),
    ("services", "services_environment", "Prod", "services_environment"),
]


def _valid(role: str) -> dict[str, Any]:
    return CLUSTER_VALID if role == "cluster" else SERVICES_VALID


# Outside check mode an upstream output left empty is refused too.
EMPTY_UPSTREAM = BadInput("empty services_namespace_id", "services", {**SERVICES_VALID, "services_namespace_id": ""})


@pytest.fixture(scope="module")
def refused(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    """Every bad-input case in one ansible-playbook run, shared by the session's workers."""
    cases = [BadInput(f"{r}:{v}={x!r}", r, {**_valid(r), v: x}) for r, v, x, _ in BAD_INPUTS] + [EMPTY_UPSTREAM]
    return computed_once(
        tmp_path_factory,
        "services-bad-inputs",
        lambda: refusals(moto_server, tmp_path_factory.mktemp("services-bad-inputs"), cases),
    )


@pytest.mark.parametrize(
    ("role", "variable", "value", "named"), BAD_INPUTS, ids=[f"{v}={x!r}" for _, v, x, _ in BAD_INPUTS]
)
def test_bad_input_fails_before_any_aws_call(
    refused: Refusals, role: str, variable: str, value: Any, named: str
) -> None:
    failure = refused.failure(f"{role}:{variable}={value!r}", accepted=f"{variable}={value!r} was accepted")
    assert named in failure_message(failure), failure


def test_the_bad_inputs_made_no_aws_call(refused: Refusals) -> None:
    assert refused.calls == [], "the run of the bad-input cases called AWS"


def test_check_mode_before_the_upstream_roles_ran_reports_and_writes_nothing(aws: MotoServer, tmp_path: Path) -> None:
    """On a fresh account under --check the cluster, IAM and EFS outputs are still empty."""
    not_yet = {
        **SERVICES_VALID,
        "services_namespace_id": "",
        "services_execution_role_arn": "",
        "services_repository_role_arns": {},
        "services_efs_access_points": {},
    }
    run = checked(aws, tmp_path, "services", not_yet)
    report = run.result("Report the services that would be created once the upstream resources exist (check mode only)")
    assert report["changed"] is True
    for name in ("services_namespace_id", "services_execution_role_arn", "services_repository_role_arns.main"):
        assert name in report["msg"]


def test_empty_upstream_outputs_fail_outside_check_mode(refused: Refusals) -> None:
    failure = refused.failure(EMPTY_UPSTREAM.id)
    assert "services_namespace_id" in failure_message(failure)


@pytest.mark.parametrize("role", ["cluster", "services"])
def test_check_mode_on_an_empty_account_writes_nothing(aws: MotoServer, tmp_path: Path, role: str) -> None:
    run = checked(aws, tmp_path, role, _valid(role))
    assert run.calls, "the role made no AWS call: the input the bad-input cases start from must pass validation"
    if role == "cluster":
        assert run.result("Create or update the ECS cluster")["changed"] is True
        assert run.result("Create or update the Cloud Map namespace of the code servers")["changed"] is True
    else:
        code_servers = run.result("Create or update the service of each code server")
        assert [item["changed"] for item in code_servers["results"]] == [True, True]
        assert run.result("Create or update the webserver service")["changed"] is True
        definitions = run.result("Register the task definition of each code server")
        assert [item["family_revision"] for item in definitions["results"]] == [
            "dagster-ecs-test-code-main:1",
            "dagster-ecs-test-code-repo-2:1",
        ]


def _registered(run: Any, task: str) -> list[dict[str, Any]]:
    """The task definitions a check-mode run would register (the module's --diff `after`), by family."""
    result = run.result(task)
    # A looped task reports each item under `results`; a single registration reports its own diff.
    return [item["diff"]["after"] for item in result.get("results", [result])]


def test_no_dagster_task_holds_the_database_password(aws: MotoServer, tmp_path: Path) -> None:
    """Issue 9 defect 8: webserver, daemon, code servers (and so runs) sign in with IAM auth tokens as the
    Dagster login; only the one-off db-setup task may read the master secret, with its own task role."""
    run = checked(aws, tmp_path, "services", SERVICES_VALID)
    dagster = _registered(run, "Register the task definition of each code server") + _registered(
        run, "Register the task definitions of the webserver and the daemon"
    )
    assert len(dagster) == 4
    for definition in dagster:
        [container] = definition["containerDefinitions"]
        assert "DAGSTER_POSTGRES_PASSWORD" not in json.dumps(definition), definition["family"]
        assert SERVICES_VALID["services_database_secret_arn"] not in json.dumps(definition), definition["family"]
        assert not container.get("secrets"), definition["family"]
        environment = {item["name"]: item["value"] for item in container["environment"]}
        assert environment["DAGSTER_POSTGRES_USER"] == "dagster"
        if "DAGSTER_ECS_INSTANCE_YAML" in environment:
            storage = yaml.safe_load(environment["DAGSTER_ECS_INSTANCE_YAML"])["storage"]["postgres"]
            assert storage["auth_provider"] == {"aws_wif": {"region": "ap-southeast-2"}}
            assert "password" not in storage["postgres_db"]
    [setup] = _registered(run, "Register the db-setup task definition")
    assert setup["family"] == "dagster-ecs-test-db-setup"
    assert setup["taskRoleArn"] == SERVICES_VALID["services_database_setup_role_arn"]
    [container] = setup["containerDefinitions"]
    assert container["command"] == [
        "python",
        "-m",
        "dagster_ecs.db_setup",
        "--secret-arn",
        SERVICES_VALID["services_database_secret_arn"],
        "--username",
        "dagster",
    ]
    assert not container.get("secrets")
