"""The storage, registry, logs and iam roles' interfaces: bad input fails before any AWS call, naming the
variable; valid input under --check on an empty account reads AWS, writes nothing and leaves the outputs as
documented."""

from pathlib import Path
from typing import Any

import pytest

from tests.roles.runner import BadInput, Refusals, checked, refusals
from tests.support.moto_server import MotoServer
from tests.support.shared import computed_once

ACCOUNT = "123456789012"
PREFIX = "dagster-ecs-test"
EFS = f"arn:aws:elasticfilesystem:ap-southeast-2:{ACCOUNT}"

# Valid input for each role: each bad-input case changes one variable.
VALID: dict[str, dict[str, Any]] = {
    "storage": {
        "storage_name_prefix": PREFIX,
        "storage_tags": {"Project": "dagster-ecs"},
        "storage_region": "ap-southeast-2",
    },
    "registry": {"registry_name_prefix": PREFIX, "registry_tags": {"Project": "dagster-ecs"}},
    "logs": {"logs_name_prefix": PREFIX, "logs_tags": {"Project": "dagster-ecs"}, "logs_retention_days": 30},
    "iam": {
        "iam_name_prefix": PREFIX,
        "iam_tags": {"Project": "dagster-ecs"},
        "iam_region": "ap-southeast-2",
        "iam_repositories": ["main", "analytics"],
        "iam_bucket_name": f"{PREFIX}-{ACCOUNT}",
        "iam_secret_arns": [f"arn:aws:secretsmanager:ap-southeast-2:{ACCOUNT}:secret:{PREFIX}/db-AbCdEf"],
        "iam_log_group_names": [f"/{PREFIX}/webserver"],
        "iam_cluster_name": PREFIX,
        "iam_efs_file_system_arn": f"{EFS}:file-system/fs-0123456789abcdef0",
        "iam_efs_access_point_arns": {
            "main": f"{EFS}:access-point/fsap-00000000000000000",
            "analytics": f"{EFS}:access-point/fsap-00000000000000001",
        },
    },
}


# (role, variable, bad value, text the failure must contain)
BAD_INPUTS: list[tuple[str, str, Any, str]] = [
    ("storage", "storage_state", "deleted", "storage_state"),
    ("storage", "storage_name_prefix", "Dagster_ECS", "storage_name_prefix"),
    ("storage", "storage_name_prefix", "x" * 50, "storage_name_prefix"),
    ("storage", "storage_bucket_name", "My_Bucket", "storage_bucket_name"),
    ("storage", "storage_bucket_name", "192.168.1.1", "storage_bucket_name"),
    ("storage", "storage_kms_key_arn", "alias/mine", "storage_kms_key_arn"),
    ("storage", "storage_compute_log_prefix", "/compute_logs", "storage_compute_log_prefix"),
    ("storage", "storage_compute_log_days", 0, "storage_compute_log_days"),
    ("storage", "storage_noncurrent_version_days", "soon", "storage_noncurrent_version_days"),
    ("storage", "storage_force_delete", "maybe", "storage_force_delete"),
    ("storage", "storage_access_logs", "yes please", "storage_access_logs"),
    ("storage", "storage_access_log_days", 0, "storage_access_log_days"),
    ("storage", "storage_access_log_bucket_name", "My_Logs", "storage_access_log_bucket_name"),
    # The derived log bucket name "<prefix>-<account>-logs" would be 64 characters.
    ("storage", "storage_name_prefix", "x" * 46, "storage_access_log_bucket_name"),
    ("storage", "storage_region", "", "storage_region"),
    ("storage", "storage_region", "sydney", "storage_region"),
    ("registry", "registry_name_prefix", "-dagster", "registry_name_prefix"),
    ("registry", "registry_repository_name", "Dagster/Image", "registry_repository_name"),
    ("registry", "registry_kms_key_arn", "my-key", "registry_kms_key_arn"),
    ("registry", "registry_keep_images", 0, "registry_keep_images"),
    ("logs", "logs_name_prefix", "dagster ecs", "logs_name_prefix"),
    ("logs", "logs_retention_days", 42, "logs_retention_days"),
    ("logs", "logs_kms_key_arn", "arn:aws:kms:ap-southeast-2:1:key/x", "logs_kms_key_arn"),
    ("iam", "iam_name_prefix", "dagster-ecs-far-too-long-xyz", "iam_name_prefix"),
    ("iam", "iam_region", "sydney", "iam_region"),
    ("iam", "iam_repositories", ["main", "Analytics"], "iam_repositories"),
    ("iam", "iam_repositories", ["main", "a" * 33], "iam_repositories"),
    ("iam", "iam_repositories", ["main", "main"], "iam_repositories"),
    # The platform's repository name rule (dagster_ecs.names), which this role's own regex once relaxed.
    ("iam", "iam_repositories", ["main", "re--po"], "iam_repositories"),
    ("iam", "iam_repositories", ["main", "analytics-"], "iam_repositories"),
    ("iam", "iam_repositories", ["main", "2analytics"], "iam_repositories"),
    ("iam", "iam_repositories", ["main", "repo_2"], "iam_repositories"),
    ("iam", "iam_repositories", ["main", 2], "iam_repositories"),
    ("iam", "iam_name_prefix", "dagster--ecs", "iam_name_prefix"),
    ("storage", "storage_name_prefix", "dagster--ecs", "storage_name_prefix"),
    ("iam", "iam_bucket_name", "", "iam_bucket_name"),
    ("iam", "iam_secret_arns", ["my-secret"], "iam_secret_arns"),
    ("iam", "iam_log_group_names", ["/dagster ecs/webserver"], "iam_log_group_names"),
    ("iam", "iam_cluster_name", "my cluster", "iam_cluster_name"),
    ("iam", "iam_efs_file_system_arn", "fs-0123456789abcdef0", "iam_efs_file_system_arn"),
    ("iam", "iam_efs_access_point_arns", {"main": "fsap-0"}, "iam_efs_access_point_arns"),
    ("iam", "iam_compute_log_prefix", "compute_logs", "iam_compute_log_prefix"),
]


def _without_name_prefix(role: str) -> BadInput:
    required = f"{role}_name_prefix"
    return BadInput(f"no {required}", role, {k: v for k, v in VALID[role].items() if k != required})


@pytest.fixture(scope="module")
def refused(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    """Every bad-input case in one ansible-playbook run, shared by the session's workers."""
    cases = [BadInput(f"{r}:{v}={x!r}", r, {**VALID[r], v: x}) for r, v, x, _ in BAD_INPUTS]
    # After cases that set each prefix: refused only if no case's vars reach the cases after it.
    cases += [_without_name_prefix(role) for role in VALID]
    return computed_once(
        tmp_path_factory,
        "storage-bad-inputs",
        lambda: refusals(moto_server, tmp_path_factory.mktemp("storage-bad-inputs"), cases),
    )


@pytest.mark.parametrize(
    ("role", "variable", "value", "named"), BAD_INPUTS, ids=[f"{v}={x!r}"[:60] for _, v, x, _ in BAD_INPUTS]
)
def test_bad_input_fails_before_any_aws_call(
    refused: Refusals, role: str, variable: str, value: Any, named: str
) -> None:
    failure = refused.failure(f"{role}:{variable}={value!r}", accepted=f"{variable}={value!r} was accepted")
    assert named in failure["msg"], failure["msg"]


def test_the_bad_inputs_made_no_aws_call(refused: Refusals) -> None:
    assert refused.calls == [], "the run of the bad-input cases called AWS"


@pytest.mark.parametrize("role", ["storage", "registry", "logs", "iam"])
def test_a_missing_required_variable_is_named(refused: Refusals, role: str) -> None:
    failure = refused.failure(_without_name_prefix(role).id)
    assert f"{role}_name_prefix" in failure["msg"], failure["msg"]


# The outputs under --check on an empty account: names that are deterministic are set, ARNs of what does not exist
# yet are empty.
EXPECTED_OUTPUTS = {
    "storage": {
        "storage_bucket_name_out": f"{PREFIX}-{ACCOUNT}",
        "storage_bucket_arn": f"arn:aws:s3:::{PREFIX}-{ACCOUNT}",
        "storage_log_bucket_name": f"{PREFIX}-{ACCOUNT}-logs",
        "storage_loadbalancer_log_prefix": "alb",
    },
    "registry": {"registry_repository_name_out": "", "registry_repository_uri": "", "registry_repository_arn": ""},
    "logs": {
        "logs_group_names": {
            "webserver": f"/{PREFIX}/webserver",
            "daemon": f"/{PREFIX}/daemon",
            "code_server": f"/{PREFIX}/code-server",
            "run": f"/{PREFIX}/run",
        },
        "logs_group_arns": {"webserver": "", "daemon": "", "code_server": "", "run": ""},
    },
    "iam": {"iam_execution_role_arn": "", "iam_dagster_role_arn": "", "iam_repository_role_arns": {}},
}


@pytest.mark.parametrize("role", ["storage", "registry", "logs", "iam"])
def test_valid_input_under_check_reads_and_writes_nothing(aws: MotoServer, tmp_path: Path, role: str) -> None:
    run = checked(aws, tmp_path, role, VALID[role])
    assert run.calls, "valid input made no AWS call at all: the bad-input tests would prove nothing"
    assert run.changed, "check mode on an empty account reported nothing to create"
    for name, value in EXPECTED_OUTPUTS[role].items():
        assert run.facts[name] == value, name


def test_storage_bucket_name_can_be_given(aws: MotoServer, tmp_path: Path) -> None:
    run = checked(aws, tmp_path, "storage", {**VALID["storage"], "storage_bucket_name": "my.bucket-1"})
    assert run.facts["storage_bucket_name_out"] == "my.bucket-1"
    assert run.facts["storage_bucket_arn"] == "arn:aws:s3:::my.bucket-1"


def test_iam_absent_needs_neither_bucket_nor_cluster(aws: MotoServer, tmp_path: Path) -> None:
    """playbooks/teardown.yml runs iam before storage: the bucket's name is not known yet there."""
    role_vars = {"iam_state": "absent", "iam_name_prefix": PREFIX, "iam_region": "ap-southeast-2"}
    run = checked(aws, tmp_path, "iam", role_vars)
    assert run.facts["iam_repository_role_arns"] == {}
