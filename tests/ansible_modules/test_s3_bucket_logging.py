"""dagster_ecs.aws.s3_bucket_logging run through PlaybookRunner against the emulator, checked with boto3."""

import json
from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner

MODULE = "dagster_ecs.aws.s3_bucket_logging"
SOURCE = "data-bucket"
TARGET = "log-bucket"
PREFIX = f"s3/{SOURCE}/"


def delivery_policy(account: str, prefix: str = PREFIX) -> dict[str, Any]:
    """The bucket policy AWS documents for server access logs (no ACLs)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{TARGET}/{prefix}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{SOURCE}"},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        ],
    }


def tls_only() -> dict[str, Any]:
    """A statement whose Principal is the string "*" (moto answered 500 to PutBucketLogging with one)."""
    resources = [f"arn:aws:s3:::{TARGET}", f"arn:aws:s3:::{TARGET}/*"]
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": resources}
    return {"Version": "2012-10-17", "Statement": [{**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


@pytest.fixture
def s3(playbook: PlaybookRunner) -> Any:
    client = boto3.client("s3")
    account = boto3.client("sts").get_caller_identity()["Account"]
    location = {"LocationConstraint": client.meta.region_name}
    for bucket in (SOURCE, TARGET):
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
    client.put_bucket_ownership_controls(
        Bucket=TARGET, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    client.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(delivery_policy(account)))
    return client


def apply(playbook: PlaybookRunner, *, check: bool = False, ignore_errors: bool = False, **args: Any) -> Any:
    """One task of the module (its `name` option is the bucket, so PlaybookRunner.module cannot take it)."""
    options: dict[str, Any] = {"ignore_errors": True} if ignore_errors else {}
    [result] = playbook.run([{MODULE: args, **options}], check=check)
    return result


def logging_of(s3: Any, bucket: str = SOURCE) -> dict[str, Any]:
    return s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {})


def test_turns_logging_on_once_without_touching_the_target_acl(playbook: PlaybookRunner, s3: Any) -> None:
    acl_before = s3.get_bucket_acl(Bucket=TARGET)["Grants"]

    first = apply(playbook, name=SOURCE, target_bucket=TARGET, target_prefix=PREFIX)
    second = apply(playbook, name=SOURCE, target_bucket=TARGET, target_prefix=PREFIX)

    assert first["changed"] is True
    assert first["bucket_logging"] == {"target_bucket": TARGET, "target_prefix": PREFIX}
    assert first["diff"] == {"before": {}, "after": {"target_bucket": TARGET, "target_prefix": PREFIX}}
    assert logging_of(s3) == {"TargetBucket": TARGET, "TargetPrefix": PREFIX}
    assert second["changed"] is False
    assert s3.get_bucket_acl(Bucket=TARGET)["Grants"] == acl_before
    assert "s3:PutBucketAcl" not in playbook.writes()


def test_check_mode_reports_the_change_and_writes_nothing(playbook: PlaybookRunner, s3: Any) -> None:
    result = apply(playbook, check=True, name=SOURCE, target_bucket=TARGET, target_prefix=PREFIX)

    assert result["changed"] is True
    assert result["bucket_logging"] == {"target_bucket": TARGET, "target_prefix": PREFIX}
    assert logging_of(s3) == {}


def test_a_new_prefix_is_applied(playbook: PlaybookRunner, s3: Any) -> None:
    account = boto3.client("sts").get_caller_identity()["Account"]
    s3.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(delivery_policy(account, prefix="")))
    apply(playbook, name=SOURCE, target_bucket=TARGET, target_prefix=PREFIX)

    result = apply(playbook, name=SOURCE, target_bucket=TARGET, target_prefix="access/")

    assert result["changed"] is True
    assert result["diff"]["before"] == {"target_bucket": TARGET, "target_prefix": PREFIX}
    assert logging_of(s3) == {"TargetBucket": TARGET, "TargetPrefix": "access/"}


def test_a_missing_target_fails_naming_it(playbook: PlaybookRunner, s3: Any) -> None:
    result = apply(playbook, ignore_errors=True, name=SOURCE, target_bucket="no-such-logs", target_prefix=PREFIX)

    assert result["failed"] is True
    assert "no-such-logs" in result["msg"]
    assert "same account and Region" in result["msg"]
    assert logging_of(s3) == {}


def test_the_target_policy_is_not_checked_when_logging_is_set(playbook: PlaybookRunner, s3: Any) -> None:
    """AWS accepts the target whatever its policy (S3 applies the policy when it delivers); so does the emulator."""
    s3.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(tls_only()))

    result = apply(playbook, name=SOURCE, target_bucket=TARGET, target_prefix=PREFIX)

    assert result["changed"] is True
    assert logging_of(s3) == {"TargetBucket": TARGET, "TargetPrefix": PREFIX}


def test_absent_stops_logging_and_then_changes_nothing(playbook: PlaybookRunner, s3: Any) -> None:
    apply(playbook, name=SOURCE, target_bucket=TARGET, target_prefix=PREFIX)

    checked = apply(playbook, check=True, name=SOURCE, state="absent")
    stopped = apply(playbook, name=SOURCE, state="absent")
    again = apply(playbook, name=SOURCE, state="absent")

    assert checked["changed"] is True
    assert stopped["changed"] is True
    assert stopped["bucket_logging"] == {}
    assert logging_of(s3) == {}
    assert again["changed"] is False


def test_a_missing_bucket_fails_clearly(playbook: PlaybookRunner, s3: Any) -> None:
    result = apply(playbook, ignore_errors=True, name="no-such-bucket", target_bucket=TARGET)

    assert result["failed"] is True
    assert "no-such-bucket does not exist" in result["msg"]
