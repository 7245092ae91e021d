"""dagster_ecs.aws.rds_instance_master_password run through PlaybookRunner against moto, checked with boto3.

Also the emulator's corrections it relies on: the secret RDS creates has the master user's name, a generated
password and rotation on (seven days), RotateMasterUserPassword makes a new version, ModifyDBInstance refuses what
AWS refuses, and the secret goes with the instance.
"""

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.ansible_modules.playbook import PlaybookRunner

MODULE = "dagster_ecs.aws.rds_instance_master_password"
INSTANCE = "dagster-ecs-test"
MASTER = "dagster_admin"
# The password the instance is created with, and the one turning management off sets.
INITIAL_PASSWORD = "Initial-Password-0123"
NEW_PASSWORD = "Taken-Back-Password-4567"


@pytest.fixture
def rds(playbook: PlaybookRunner) -> Any:
    return boto3.client("rds")


@pytest.fixture
def secrets(playbook: PlaybookRunner) -> Any:
    return boto3.client("secretsmanager")


@pytest.fixture
def kms(playbook: PlaybookRunner) -> Any:
    return boto3.client("kms")


@pytest.fixture
def instance(rds: Any) -> str:
    rds.create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        StorageType="gp3",
        MasterUsername=MASTER,
        MasterUserPassword=INITIAL_PASSWORD,
    )
    return INSTANCE


# Task keywords, not module options.
KEYWORDS = ("check_mode", "ignore_errors")


def task(**args: Any) -> dict[str, Any]:
    keywords = {key: args.pop(key) for key in KEYWORDS if key in args}
    return {MODULE: {"db_instance_identifier": INSTANCE, **args}, **keywords}


def described(rds: Any) -> dict[str, Any]:
    return rds.describe_db_instances(DBInstanceIdentifier=INSTANCE)["DBInstances"][0]


def secret_value(secrets: Any, arn: str) -> dict[str, Any]:
    return json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])


def test_turns_management_on_once_and_rds_keeps_a_rotated_secret(
    playbook: PlaybookRunner, rds: Any, secrets: Any, instance: str
) -> None:
    [predicted] = playbook.run([task()], check=True)
    assert (predicted["changed"], predicted["master_user_secret"], predicted["rotated"]) == (True, {}, False)
    assert predicted["diff"] == {
        "before": {"manage_master_user_password": False, "kms_key_id": None},
        "after": {"manage_master_user_password": True, "kms_key_id": None},
    }
    assert "MasterUserSecret" not in described(rds)
    assert secrets.list_secrets()["SecretList"] == []

    turned_on, again, checked_again = playbook.run([task(), task(), task(check_mode=True)])
    assert [turned_on["changed"], again["changed"], checked_again["changed"]] == [True, False, False]
    secret = turned_on["master_user_secret"]
    assert secret["secret_status"] == "active"
    assert secret == again["master_user_secret"] == checked_again["master_user_secret"]
    assert turned_on["diff"]["after"] == {"manage_master_user_password": True, "kms_key_id": secret["kms_key_id"]}
    assert again["diff"]["before"] == again["diff"]["after"]

    reported = described(rds)["MasterUserSecret"]
    assert reported["SecretArn"] == secret["secret_arn"]
    assert reported["KmsKeyId"] == secret["kms_key_id"]
    # AWS's naming: arn:...:secret:rds!db-<uuid>-<6 characters>
    assert secret["secret_arn"].split(":secret:")[1].startswith("rds!db-")
    description = secrets.describe_secret(SecretId=secret["secret_arn"])
    assert description["OwningService"] == "rds"
    assert description["RotationEnabled"] is True
    assert description["RotationRules"]["AutomaticallyAfterDays"] == 7
    assert "RotationLambdaARN" not in description  # managed rotation
    value = secret_value(secrets, secret["secret_arn"])
    assert list(value) == ["username", "password"]
    assert value["username"] == MASTER
    assert value["password"] != INITIAL_PASSWORD
    assert value["password"] not in json.dumps([turned_on, again, checked_again])


def test_a_customer_key_encrypts_the_secret_and_cannot_change_afterwards(
    playbook: PlaybookRunner, rds: Any, secrets: Any, kms: Any, instance: str
) -> None:
    key = kms.create_key(Description="master secret")["KeyMetadata"]
    kms.create_alias(AliasName="alias/dagster-ecs-test-secret", TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].replace(f"key/{key['KeyId']}", "alias/dagster-ecs-test-secret")
    other = kms.create_key(Description="another key")["KeyMetadata"]["Arn"]

    turned_on, by_alias, other_key = playbook.run(
        [task(kms_key_id=key["Arn"]), task(kms_key_id=alias_arn), task(kms_key_id=other, ignore_errors=True)]
    )
    assert turned_on["changed"]
    assert turned_on["master_user_secret"]["kms_key_id"] == key["Arn"]
    assert described(rds)["MasterUserSecret"]["KmsKeyId"] == key["Arn"]
    assert secrets.describe_secret(SecretId=turned_on["master_user_secret"]["secret_arn"])["KmsKeyId"] in (
        key["Arn"],
        key["KeyId"],
    )
    assert not by_alias["changed"]
    assert other_key["failed"]
    assert "AWS cannot change the KMS key" in other_key["msg"]
    assert other in other_key["msg"]
    assert key["Arn"] in other_key["msg"]
    assert described(rds)["MasterUserSecret"]["KmsKeyId"] == key["Arn"]


def test_turning_management_off_needs_a_password_and_removes_the_secret(
    playbook: PlaybookRunner, rds: Any, secrets: Any, instance: str
) -> None:
    [turned_on] = playbook.run([task()])
    arn = turned_on["master_user_secret"]["secret_arn"]

    off = {"state": "absent", "master_user_password": NEW_PASSWORD}
    without_password, predicted = playbook.run([task(state="absent", ignore_errors=True), task(**off, check_mode=True)])
    assert without_password["failed"]
    assert "master_user_password" in without_password["msg"]
    assert predicted["changed"]
    assert predicted["diff"]["after"] == {"manage_master_user_password": False, "kms_key_id": None}
    assert described(rds)["MasterUserSecret"]["SecretArn"] == arn

    turned_off, again = playbook.run([task(**off), task(**off)])
    assert (turned_off["changed"], again["changed"]) == (True, False)
    assert turned_off["master_user_secret"] == {}
    assert "MasterUserSecret" not in described(rds)
    assert secrets.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    assert NEW_PASSWORD not in json.dumps([predicted, turned_off, again])

    # On again: RDS makes a new secret.
    [back_on] = playbook.run([task()])
    assert back_on["changed"]
    assert back_on["master_user_secret"]["secret_arn"] != arn


def test_rotate_makes_a_new_password_version(playbook: PlaybookRunner, secrets: Any, instance: str) -> None:
    [turned_on] = playbook.run([task()])
    arn = turned_on["master_user_secret"]["secret_arn"]
    before = secret_value(secrets, arn)

    [predicted] = playbook.run([task(rotate=True)], check=True)
    assert (predicted["changed"], predicted["rotated"]) == (True, True)
    assert predicted["diff"]["after"]["rotated"] is True
    assert secret_value(secrets, arn) == before

    [rotated] = playbook.run([task(rotate=True)])
    assert (rotated["changed"], rotated["rotated"]) == (True, True)
    assert rotated["master_user_secret"]["secret_arn"] == arn
    after = secret_value(secrets, arn)
    assert after["username"] == MASTER
    assert after["password"] != before["password"]
    assert len(after["password"]) == 28
    stages = sorted(secrets.describe_secret(SecretId=arn)["VersionIdsToStages"].values())
    assert stages == [["AWSCURRENT"], ["AWSPREVIOUS"]]
    assert secrets.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == json.dumps(before)

    [refused] = playbook.run([task(state="absent", rotate=True, master_user_password=NEW_PASSWORD, ignore_errors=True)])
    assert refused["failed"]
    assert "rotate=true needs state=present" in refused["msg"]


def test_a_missing_instance_fails_naming_it(playbook: PlaybookRunner) -> None:
    missing, missing_in_check = playbook.run([task(ignore_errors=True), task(ignore_errors=True, check_mode=True)])
    for result in (missing, missing_in_check):
        assert result["failed"]
        assert f"The RDS DB instance '{INSTANCE}' does not exist" in result["msg"]


def test_the_secret_goes_with_the_instance(playbook: PlaybookRunner, rds: Any, secrets: Any, instance: str) -> None:
    [turned_on] = playbook.run([task()])
    rds.delete_db_instance(DBInstanceIdentifier=INSTANCE, SkipFinalSnapshot=True)
    assert turned_on["master_user_secret"]["secret_arn"]
    assert secrets.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"ManageMasterUserPassword": True, "MasterUserPassword": NEW_PASSWORD}, "can't specify MasterUserPassword"),
        ({"MasterUserSecretKmsKeyId": "alias/aws/secretsmanager"}, "MasterUserSecretKmsKeyId is valid only"),
        ({"RotateMasterUserPassword": True, "ApplyImmediately": True}, "RotateMasterUserPassword is valid only"),
    ],
    ids=["manage-with-password", "key-without-manage", "rotate-unmanaged"],
)
def test_the_emulator_refuses_what_aws_refuses_of_an_unmanaged_instance(
    rds: Any, instance: str, request_args: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClientError, match=message) as refused:
        rds.modify_db_instance(DBInstanceIdentifier=INSTANCE, **request_args)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert "MasterUserSecret" not in described(rds)


@pytest.mark.parametrize(
    ("request_args", "message"),
    [
        ({"ManageMasterUserPassword": False}, "must specify MasterUserPassword"),
        ({"MasterUserPassword": NEW_PASSWORD}, "can't specify MasterUserPassword"),
        ({"ManageMasterUserPassword": True, "MasterUserSecretKmsKeyId": "alias/other"}, "can't be changed"),
    ],
    ids=["off-without-password", "password-while-managed", "change-key"],
)
def test_the_emulator_refuses_what_aws_refuses_of_a_managed_instance(
    rds: Any, instance: str, request_args: dict[str, Any], message: str
) -> None:
    arn = rds.modify_db_instance(DBInstanceIdentifier=INSTANCE, ManageMasterUserPassword=True)["DBInstance"][
        "MasterUserSecret"
    ]["SecretArn"]
    with pytest.raises(ClientError, match=message) as refused:
        rds.modify_db_instance(DBInstanceIdentifier=INSTANCE, **request_args)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert described(rds)["MasterUserSecret"]["SecretArn"] == arn
