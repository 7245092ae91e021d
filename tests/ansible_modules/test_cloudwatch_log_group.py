"""dagster_ecs.aws.cloudwatch_log_group run through PlaybookRunner against the emulator, checked with boto3.

Unlike amazon.aws.cloudwatchlogs_log_group, check mode must make no write call (PlaybookRunner asserts it for
every check-mode run, from the emulator's call log) and must report retention, KMS key and tag changes in a diff.
"""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import MotoServer

MODULE = "dagster_ecs.aws.cloudwatch_log_group"
NAME = "/dagster-ecs-test/webserver"
KEY = "arn:aws:kms:ap-southeast-2:123456789012:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture
def logs(aws: MotoServer) -> Any:
    return boto3.client("logs")


def describe(logs: Any) -> dict[str, Any] | None:
    groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=NAME)["logGroups"] if g["logGroupName"] == NAME]
    return groups[0] if groups else None


def tags_of(logs: Any) -> dict[str, str]:
    group = describe(logs)
    assert group is not None
    return logs.list_tags_for_resource(resourceArn=group["arn"].removesuffix(":*"))["tags"]


def log_group(playbook: PlaybookRunner, *, check: bool = False, ignore_errors: bool = False, **args: Any) -> Any:
    """Run the module once (PlaybookRunner.module's own `name` parameter would clash with the module's)."""
    task: dict[str, Any] = {MODULE: args}
    if ignore_errors:
        task["ignore_errors"] = True
    [result] = playbook.run([task], check=check)
    return result


def make_group(logs: Any, retention: int | None = 30, tags: dict[str, str] | None = None) -> None:
    logs.create_log_group(logGroupName=NAME, tags=tags or {"Project": "dagster-ecs"})
    if retention:
        logs.put_retention_policy(logGroupName=NAME, retentionInDays=retention)


def test_creates_the_group_with_retention_and_tags_then_changes_nothing(playbook: PlaybookRunner, logs: Any) -> None:
    args: dict[str, Any] = {
        "name": NAME,
        "retention_in_days": 30,
        "tags": {"Project": "dagster-ecs", "Environment": "test"},
    }
    first = log_group(playbook, **args)
    assert first["changed"] is True
    group = describe(logs)
    assert group is not None
    assert group["retentionInDays"] == 30
    assert "kmsKeyId" not in group
    assert tags_of(logs) == {"Project": "dagster-ecs", "Environment": "test"}
    assert first["log_group"]["arn"] == group["arn"].removesuffix(":*")
    assert first["log_group"]["retention_in_days"] == 30
    second = log_group(playbook, **args)
    assert second["changed"] is False


def test_check_mode_reports_a_creation_and_creates_nothing(playbook: PlaybookRunner, logs: Any) -> None:
    result = log_group(playbook, check=True, name=NAME, retention_in_days=14, tags={"Project": "dagster-ecs"})
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["retention_in_days"] == 14
    assert describe(logs) is None


def test_check_mode_reports_a_retention_change_without_applying_it(playbook: PlaybookRunner, logs: Any) -> None:
    make_group(logs, retention=7)
    result = log_group(playbook, check=True, name=NAME, retention_in_days=90, tags={"Project": "dagster-ecs"})
    assert result["changed"] is True
    assert result["diff"]["before"]["retention_in_days"] == 7
    assert result["diff"]["after"]["retention_in_days"] == 90
    group = describe(logs)
    assert group is not None
    assert group["retentionInDays"] == 7  # the published module would have written 90 here

    applied = log_group(playbook, name=NAME, retention_in_days=90, tags={"Project": "dagster-ecs"})
    assert applied["changed"] is True
    group = describe(logs)
    assert group is not None
    assert group["retentionInDays"] == 90


def test_no_retention_means_never_expire(playbook: PlaybookRunner, logs: Any) -> None:
    make_group(logs, retention=30)
    result = log_group(playbook, name=NAME, tags={"Project": "dagster-ecs"})
    assert result["changed"] is True
    group = describe(logs)
    assert group is not None
    assert "retentionInDays" not in group


def test_tags_are_purged_or_kept(playbook: PlaybookRunner, logs: Any) -> None:
    make_group(logs, tags={"Project": "dagster-ecs", "Owner": "someone"})
    kept = log_group(
        playbook, name=NAME, retention_in_days=30, tags={"Environment": "test"}, purge_tags=False, check=True
    )
    assert kept["diff"]["after"]["tags"] == {"Project": "dagster-ecs", "Owner": "someone", "Environment": "test"}
    assert tags_of(logs) == {"Project": "dagster-ecs", "Owner": "someone"}

    purged = log_group(playbook, name=NAME, retention_in_days=30, tags={"Project": "dagster-ecs", "Env": "t"})
    assert purged["changed"] is True
    assert tags_of(logs) == {"Project": "dagster-ecs", "Env": "t"}


def test_kms_key_is_associated_and_disassociated(playbook: PlaybookRunner, logs: Any) -> None:
    make_group(logs)
    associated = log_group(playbook, name=NAME, retention_in_days=30, kms_key_id=KEY, tags={"Project": "dagster-ecs"})
    assert associated["changed"] is True
    group = describe(logs)
    assert group is not None
    assert group["kmsKeyId"] == KEY
    assert log_group(playbook, name=NAME, retention_in_days=30, kms_key_id=KEY)["changed"] is False

    disassociated = log_group(playbook, name=NAME, retention_in_days=30)
    assert disassociated["changed"] is True
    assert disassociated["diff"]["before"]["kms_key_id"] == KEY
    group = describe(logs)
    assert group is not None
    assert "kmsKeyId" not in group


def test_absent_deletes_the_group_and_check_mode_does_not(playbook: PlaybookRunner, logs: Any) -> None:
    make_group(logs)
    checked = log_group(playbook, check=True, name=NAME, state="absent")
    assert checked["changed"] is True
    assert describe(logs) is not None

    deleted = log_group(playbook, name=NAME, state="absent")
    assert deleted["changed"] is True
    assert describe(logs) is None
    assert log_group(playbook, name=NAME, state="absent")["changed"] is False


def test_a_prefix_match_is_not_the_group(playbook: PlaybookRunner, logs: Any) -> None:
    logs.create_log_group(logGroupName=NAME + "-old")
    result = log_group(playbook, check=True, name=NAME, retention_in_days=30)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}


def test_a_retention_aws_does_not_accept_is_rejected(playbook: PlaybookRunner, logs: Any) -> None:
    result = log_group(playbook, ignore_errors=True, name=NAME, retention_in_days=42)
    assert result["failed"] is True
    assert "retention_in_days" in result["msg"]
    assert describe(logs) is None
