"""The database role's interface: bad input fails before any AWS call, naming the variable; --check on an empty
account makes no write call and leaves the outputs empty."""

from pathlib import Path
from typing import Any

import pytest

from tests.roles.runner import BadInput, Refusals, checked, refusals
from tests.support.moto_server import MotoServer
from tests.support.shared import computed_once

# Valid input: each bad-input case changes one variable.
VALID: dict[str, Any] = {
    "database_state": "present",
    "database_name_prefix": "dagster-ecs-test",
    "database_tags": {"Project": "dagster-ecs", "Environment": "test"},
    "database_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "database_security_group_ids": ["sg-0123456789abcdef0"],
}
OUTPUTS = [
    "database_endpoint",
    "database_port",
    "database_name",
    "database_username",
    "database_secret_arn",
    "database_resource_id",
    "database_app_username",
]


# Prints the role's outputs after it ran, as the post_tasks of the play.
SHOW_OUTPUTS = [
    {"name": "Show the outputs", "ansible.builtin.debug": {"msg": {name: f"{{{{ {name} }}}}" for name in OUTPUTS}}}
]


BAD_INPUTS = [
    ("database_state", "gone", "database_state"),
    ("database_name_prefix", "Dagster_ECS", "database_name_prefix"),
    ("database_subnet_ids", ["subnet-0123456789abcdef0"], "database_subnet_ids"),
    ("database_security_group_ids", ["default"], "database_security_group_ids"),
    ("database_engine_version", "postgres16", "database_engine_version"),
    ("database_instance_class", "t4g.micro", "database_instance_class"),
    ("database_max_allocated_storage", 19, "database_max_allocated_storage"),
    ("database_backup_retention_days", 0, "database_backup_retention_days"),
    ("database_deletion_protection", "maybe", "database_deletion_protection"),
    ("database_secret_kms_key_arn", "my-key", "database_secret_kms_key_arn"),
    ("database_master_username", "1admin", "database_master_username"),
    ("database_db_name", "dagster-metadata", "database_db_name"),
    ("database_app_username", "Dagster", "database_app_username"),
    ("database_app_username", "rds_iam", "database_app_username"),
    # The Dagster login must not be the master user.
    ("database_app_username", "dagster_admin", "database_app_username"),
    ("database_cloudwatch_logs_exports", ["slowquery"], "database_cloudwatch_logs_exports"),
    ("database_performance_insights_retention_days", 30, "database_performance_insights_retention_days"),
    ("database_parameters", {"rds.force_ssl": 0}, "database_parameters"),
    ("database_secret_recovery_window_days", 0, "database_secret_recovery_window_days"),
    ("database_final_snapshot_identifier", "final-", "database_final_snapshot_identifier"),
]


IDS = [f"{v}={x!r}" for v, x, _ in BAD_INPUTS]


@pytest.fixture(scope="module")
def refused(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    """Every bad-input case in one ansible-playbook run, shared by the session's workers."""
    cases = [BadInput(f"{v}={x!r}", "database", {**VALID, v: x}) for v, x, _ in BAD_INPUTS]
    return computed_once(
        tmp_path_factory,
        "database-bad-inputs",
        lambda: refusals(moto_server, tmp_path_factory.mktemp("database-bad-inputs"), cases),
    )


@pytest.mark.parametrize(("variable", "value", "named"), BAD_INPUTS, ids=IDS)
def test_bad_input_fails_before_any_aws_call(refused: Refusals, variable: str, value: Any, named: str) -> None:
    failure = refused.failure(f"{variable}={value!r}", accepted=f"{variable}={value!r} was accepted")
    assert named in failure["msg"], failure["msg"]


def test_the_bad_inputs_made_no_aws_call(refused: Refusals) -> None:
    assert refused.calls == [], "the run of the bad-input cases called AWS"


def test_check_mode_on_an_empty_account_writes_nothing(aws: MotoServer, tmp_path: Path) -> None:
    run = checked(aws, tmp_path, "database", VALID, post_tasks=SHOW_OUTPUTS)
    assert run.calls, "the role made no AWS call: the same input the bad-input cases start from must pass validation"
    for task in (
        "Create or update the DB subnet group over the private subnets",
        "Report the parameter group to create",
        "Create or update the instance",
    ):
        assert run.result(f"database : {task}")["changed"], f"{task} did not report the creation"
    assert run.result("Show the outputs")["msg"] == {
        "database_endpoint": "",
        "database_port": 5432,
        "database_name": "dagster",
        "database_username": "dagster_admin",
        "database_secret_arn": "",
        "database_resource_id": "",
        "database_app_username": "dagster",
    }
