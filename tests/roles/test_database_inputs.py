"""The database role's interface: bad input fails before any AWS call, naming the variable; --check on an empty
account makes no write call and leaves the outputs empty."""

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

# Valid input: each bad-input case changes one variable.
VALID: dict[str, Any] = {
    "database_state": "present",
    "database_name_prefix": "dagster-ecs-test",
    "database_tags": {"Project": "dagster-ecs", "Environment": "test"},
    "database_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "database_security_group_ids": ["sg-0123456789abcdef0"],
}
OUTPUTS = ["database_endpoint", "database_port", "database_name", "database_username", "database_secret_arn"]


def run_role(tmp_path: Path, env: dict[str, str], role_vars: dict[str, Any], *, check: bool = False) -> dict[str, Any]:
    """Apply the role to localhost with `role_vars` as play variables; return returncode and the task results."""
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": role_vars,
        "roles": ["database"],
        "post_tasks": [
            {
                "name": "Show the outputs",
                "ansible.builtin.debug": {"msg": {name: f"{{{{ {name} }}}}" for name in OUTPUTS}},
            }
        ],
    }
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
            "ANSIBLE_CONFIG": str(
                config
            ),  # not the checkout's ansible.cfg: its profile_tasks callback would break the JSON
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
    return {
        "rc": completed.returncode,
        "results": {task["task"]["name"]: task["hosts"]["localhost"] for task in tasks},
        "failures": [task["hosts"]["localhost"] for task in tasks if task["hosts"]["localhost"].get("failed")],
    }


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
    ("database_cloudwatch_logs_exports", ["slowquery"], "database_cloudwatch_logs_exports"),
    ("database_performance_insights_retention_days", 30, "database_performance_insights_retention_days"),
    ("database_parameters", {"rds.force_ssl": 0}, "database_parameters"),
    ("database_secret_recovery_window_days", 0, "database_secret_recovery_window_days"),
    ("database_final_snapshot_identifier", "final-", "database_final_snapshot_identifier"),
]


@pytest.mark.parametrize(("variable", "value", "named"), BAD_INPUTS, ids=[f"{v}={x!r}" for v, x, _ in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(
    aws: MotoServer, tmp_path: Path, variable: str, value: Any, named: str
) -> None:
    calls_before = len(aws.calls())
    run = run_role(tmp_path, aws.env(), {**VALID, variable: value})
    assert run["rc"] != 0, f"{variable}={value!r} was accepted"
    [failure] = run["failures"]
    assert named in failure["msg"], failure["msg"]
    assert aws.calls()[calls_before:] == [], "the role called AWS before rejecting its input"


def test_check_mode_on_an_empty_account_writes_nothing(aws: MotoServer, tmp_path: Path) -> None:
    calls_before = len(aws.calls())
    run = run_role(tmp_path, aws.env(), VALID, check=True)
    assert run["rc"] == 0, run["failures"]
    calls = aws.calls()[calls_before:]
    assert calls, "the role made no AWS call: the same input the bad-input cases start from must pass validation"
    assert [call for call in calls if call.write] == []
    results = run["results"]
    for task in (
        "Create or update the DB subnet group over the private subnets",
        "Report the parameter group to create",
        "Create or update the master secret",
        "Create or update the instance",
    ):
        assert results[f"database : {task}"]["changed"], f"{task} did not report the creation"
    assert results["Show the outputs"]["msg"] == {
        "database_endpoint": "",
        "database_port": 5432,
        "database_name": "dagster",
        "database_username": "dagster",
        "database_secret_arn": "",
    }
