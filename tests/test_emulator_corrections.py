"""Emulator corrections that no module test covers, read back through boto3 as a scanner would."""

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.moto_server import MotoServer


def test_enhanced_monitoring_reports_its_log_stream(aws: MotoServer) -> None:
    rds = boto3.client("rds")
    monitored = rds.create_db_instance(
        DBInstanceIdentifier="monitored",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="Initial-Password-0123",
        MonitoringInterval=60,
        MonitoringRoleArn="arn:aws:iam::123456789012:role/rds-monitoring",
    )["DBInstance"]
    rds.create_db_instance(
        DBInstanceIdentifier="unmonitored",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword="Initial-Password-0123",
    )
    described = {i["DBInstanceIdentifier"]: i for i in rds.describe_db_instances()["DBInstances"]}
    region = rds.meta.region_name
    assert described["monitored"]["EnhancedMonitoringResourceArn"] == (
        f"arn:aws:logs:{region}:123456789012:log-group:RDSOSMetrics:log-stream:{monitored['DbiResourceId']}"
    )
    assert "EnhancedMonitoringResourceArn" not in described["unmonitored"]


def test_a_service_default_key_is_aws_managed_and_rotates(aws: MotoServer) -> None:
    boto3.client("secretsmanager").create_secret(Name="probe", SecretString="value")  # no KmsKeyId: aws/secretsmanager
    kms = boto3.client("kms")
    key = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert key["KeyManager"] == "AWS"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True


def test_a_customer_key_keeps_rotation_off_until_enabled(aws: MotoServer) -> None:
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    with pytest.raises(ClientError, match="NotFoundException"):
        kms.describe_key(KeyId="alias/aws/never-used")
