"""dagster_ecs.aws.rds_credentials_secret and secretsmanager_secret_info run by ansible-playbook against moto."""

import json
from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner

MODULE = "dagster_ecs.aws.rds_credentials_secret"
INFO = "dagster_ecs.aws.secretsmanager_secret_info"
NAME = "dagster-ecs-test/database/master"


@pytest.fixture
def secrets() -> Any:
    return boto3.client("secretsmanager")


def stored(secrets: Any) -> dict[str, Any]:
    return json.loads(secrets.get_secret_value(SecretId=NAME)["SecretString"])


def run(playbook: PlaybookRunner, module: str, args: dict[str, Any], **options: Any) -> dict[str, Any]:
    """One task; PlaybookRunner.module cannot pass the modules' `name` option."""
    check = options.pop("check", False)
    [result] = playbook.run([{module: args, **options}], check=check)
    return result


def ensure(playbook: PlaybookRunner, *, check: bool = False, **args: Any) -> dict[str, Any]:
    args = {"name": NAME, "username": "dagster", "dbname": "dagster", "port": 5432, **args}
    return run(playbook, MODULE, args, check=check)


def test_creates_the_secret_with_a_generated_password_in_the_rds_shape(playbook: PlaybookRunner, secrets: Any) -> None:
    result = ensure(playbook, tags={"Project": "dagster-ecs"})
    assert result["changed"]
    value = stored(secrets)
    assert list(value) == ["username", "password", "engine", "host", "port", "dbname"]
    assert value | {"password": "?"} == {
        "username": "dagster",
        "password": "?",
        "engine": "postgres",
        "host": "",
        "port": 5432,
        "dbname": "dagster",
    }
    assert len(value["password"]) == 40
    assert value["password"].isalnum()
    assert "password" not in result
    assert value["password"] not in json.dumps(result)
    description = secrets.describe_secret(SecretId=NAME)
    assert result["secret"]["arn"] == description["ARN"]
    assert {t["Key"]: t["Value"] for t in description["Tags"]} == {"Project": "dagster-ecs"}


def test_keeps_the_password_and_updates_the_other_keys(playbook: PlaybookRunner, secrets: Any) -> None:
    ensure(playbook)
    password = stored(secrets)["password"]
    assert not ensure(playbook)["changed"]
    result = ensure(playbook, host="db.example.internal", return_password=True)
    assert result["changed"]
    assert result["password"] == password
    assert stored(secrets) == stored(secrets) | {"host": "db.example.internal", "password": password}
    assert result["value"]["host"] == "db.example.internal"


def test_check_mode_changes_nothing(playbook: PlaybookRunner, secrets: Any) -> None:
    result = ensure(playbook, check=True, return_password=True)
    assert result["changed"]
    assert result["secret"] == {}
    assert "password" not in result
    assert secrets.list_secrets()["SecretList"] == []
    ensure(playbook)
    before = stored(secrets)
    assert ensure(playbook, check=True, host="elsewhere", tags={"Owner": "data"})["changed"]
    assert stored(secrets) == before
    assert secrets.describe_secret(SecretId=NAME).get("Tags", []) == []


def test_never_replaces_a_password_it_cannot_read(playbook: PlaybookRunner, secrets: Any) -> None:
    secrets.create_secret(Name=NAME, SecretString="not json")
    result = run(playbook, MODULE, {"name": NAME, "username": "dagster"}, ignore_errors=True)
    assert result["failed"]
    assert "never replaces a password" in result["msg"]
    assert secrets.get_secret_value(SecretId=NAME)["SecretString"] == "not json"


def test_absent_schedules_deletion_and_present_restores_the_same_password(
    playbook: PlaybookRunner, secrets: Any
) -> None:
    ensure(playbook)
    password = stored(secrets)["password"]
    assert run(playbook, MODULE, {"name": NAME, "state": "absent", "recovery_window": 7})["changed"]
    assert secrets.describe_secret(SecretId=NAME).get("DeletedDate")
    assert not run(playbook, MODULE, {"name": NAME, "state": "absent", "recovery_window": 7})["changed"]
    info = run(playbook, INFO, {"name": NAME})
    assert info["secret"]["deleted"]
    assert ensure(playbook)["changed"]
    assert stored(secrets)["password"] == password
    assert not run(playbook, INFO, {"name": NAME})["secret"]["deleted"]


def test_info_of_a_missing_secret_is_empty(playbook: PlaybookRunner) -> None:
    assert run(playbook, INFO, {"name": NAME})["secret"] == {}
