"""dagster_ecs.aws.secretsmanager_secret_info run through PlaybookRunner against moto."""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner

INFO = "dagster_ecs.aws.secretsmanager_secret_info"
NAME = "dagster-ecs-test/database/master"


@pytest.fixture
def secrets(playbook: PlaybookRunner) -> Any:
    return boto3.client("secretsmanager")


def info(playbook: PlaybookRunner, name: str) -> dict[str, Any]:
    """One task; PlaybookRunner.module cannot pass the module's `name` option."""
    [result] = playbook.run([{INFO: {"name": name}}], check=True)
    return result


def test_describes_a_secret_without_its_value(playbook: PlaybookRunner, secrets: Any) -> None:
    arn = secrets.create_secret(
        Name=NAME, SecretString="s3cr3t-value", Description="master", Tags=[{"Key": "Project", "Value": "dagster-ecs"}]
    )["ARN"]
    result = info(playbook, NAME)
    assert not result["changed"]
    assert result["secret"] == {
        "arn": arn,
        "name": NAME,
        "description": "master",
        "tags": {"Project": "dagster-ecs"},
        "deleted": False,
    }
    assert "s3cr3t-value" not in str(result)
    assert info(playbook, arn)["secret"]["arn"] == arn


def test_reports_a_secret_scheduled_for_deletion(playbook: PlaybookRunner, secrets: Any) -> None:
    secrets.create_secret(Name=NAME, SecretString="{}")
    secrets.delete_secret(SecretId=NAME, RecoveryWindowInDays=7)
    assert info(playbook, NAME)["secret"]["deleted"]


def test_info_of_a_missing_secret_is_empty(playbook: PlaybookRunner) -> None:
    assert info(playbook, NAME)["secret"] == {}
