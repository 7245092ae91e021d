"""dagster_ecs.aws.efs_file_system run through PlaybookRunner against moto, checked with boto3."""

import json
from typing import Any

import boto3
import pytest

from tests.ansible_modules.network import Network, make_network
from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import AWS_TEST_ENV

MODULE = "dagster_ecs.aws.efs_file_system"

TLS_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RequireTls",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


@pytest.fixture
def network(playbook: PlaybookRunner) -> Network:
    return make_network(AWS_TEST_ENV["AWS_REGION"])


@pytest.fixture
def efs() -> Any:
    return boto3.client("efs")


def task(args: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {MODULE: args, **options}


def file_systems(efs: Any) -> list[dict[str, Any]]:
    return efs.describe_file_systems()["FileSystems"]


def tags_of(efs: Any, resource_id: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in efs.list_tags_for_resource(ResourceId=resource_id)["Tags"]}


def mount_targets_of(efs: Any, file_system_id: str) -> dict[str, list[str]]:
    """{subnet id: sorted security groups} of the file system's mount targets."""
    return {
        mt["SubnetId"]: sorted(
            efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])["SecurityGroups"]
        )
        for mt in efs.describe_mount_targets(FileSystemId=file_system_id)["MountTargets"]
    }


def full_spec(network: Network) -> dict[str, Any]:
    return {
        "name": "dagster-shared",
        "throughput_mode": "elastic",
        "backup": True,
        "lifecycle": {"transition_to_ia": "AFTER_30_DAYS", "transition_to_primary_storage_class": "AFTER_1_ACCESS"},
        "policy": TLS_ONLY_POLICY,
        "mount_targets": [
            {"subnet_id": network.subnet_ids[0], "security_groups": [network.security_group_ids[0]]},
            {"subnet_id": network.subnet_ids[1], "security_groups": [network.security_group_ids[0]]},
        ],
        "tags": {"Project": "dagster-ecs", "Owner": "data"},
    }


def make_file_system(efs: Any, network: Network) -> str:
    """What full_spec describes, made directly with boto3 (faster than a playbook run); returns its id."""
    tags = [{"Key": "Name", "Value": "dagster-shared"}, {"Key": "Project", "Value": "dagster-ecs"}]
    tags.append({"Key": "Owner", "Value": "data"})
    file_system_id = efs.create_file_system(
        CreationToken="dagster-shared", Encrypted=True, ThroughputMode="elastic", Backup=True, Tags=tags
    )["FileSystemId"]
    efs.put_lifecycle_configuration(
        FileSystemId=file_system_id,
        LifecyclePolicies=[{"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}],
    )
    efs.put_file_system_policy(FileSystemId=file_system_id, Policy=json.dumps(TLS_ONLY_POLICY))
    for subnet_id in network.subnet_ids[:2]:
        efs.create_mount_target(
            FileSystemId=file_system_id, SubnetId=subnet_id, SecurityGroups=[network.security_group_ids[0]]
        )
    return file_system_id


def test_create_is_idempotent_and_check_mode_creates_nothing(playbook: PlaybookRunner, network: Network, efs: Any):
    spec = full_spec(network)

    [predicted] = playbook.run([task(spec)], check=True)
    assert predicted["changed"] is True
    assert predicted["file_system"] == {}
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["tags"] == {"Name": "dagster-shared", "Project": "dagster-ecs", "Owner": "data"}
    assert file_systems(efs) == []

    created, again, checked = playbook.run([task(spec), task(spec), task(spec, check_mode=True)])

    assert created["changed"] is True
    assert created["diff"]["before"] == {}
    assert created["diff"]["after"] == {
        **predicted["diff"]["after"],
        "kms_key_id": created["diff"]["after"]["kms_key_id"],
    }
    assert again["changed"] is False
    assert checked["changed"] is False
    assert again["diff"]["before"] == again["diff"]["after"]

    [file_system] = file_systems(efs)
    file_system_id = file_system["FileSystemId"]
    assert created["file_system"]["file_system_id"] == file_system_id
    assert file_system["CreationToken"] == "dagster-shared"
    assert file_system["Encrypted"] is True
    assert file_system["ThroughputMode"] == "elastic"
    assert tags_of(efs, file_system_id) == {"Name": "dagster-shared", "Project": "dagster-ecs", "Owner": "data"}
    assert efs.describe_backup_policy(FileSystemId=file_system_id)["BackupPolicy"]["Status"] == "ENABLED"
    lifecycle = efs.describe_lifecycle_configuration(FileSystemId=file_system_id)["LifecyclePolicies"]
    assert lifecycle == [{"TransitionToIA": "AFTER_30_DAYS"}, {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}]
    assert json.loads(efs.describe_file_system_policy(FileSystemId=file_system_id)["Policy"]) == TLS_ONLY_POLICY
    assert mount_targets_of(efs, file_system_id) == {
        network.subnet_ids[0]: [network.security_group_ids[0]],
        network.subnet_ids[1]: [network.security_group_ids[0]],
    }

    returned = again["file_system"]
    assert returned["tags"]["Project"] == "dagster-ecs"
    assert returned["backup_policy"] == {"status": "ENABLED"}
    assert returned["policy"] == TLS_ONLY_POLICY
    assert {mt["subnet_id"] for mt in returned["mount_targets"]} == set(network.subnet_ids[:2])
    assert all(mt["life_cycle_state"] == "available" for mt in returned["mount_targets"])


def test_updates_are_predicted_in_check_mode_then_applied(playbook: PlaybookRunner, network: Network, efs: Any):
    file_system_id = make_file_system(efs, network)
    old_mount_targets = mount_targets_of(efs, file_system_id)

    # The same policy written differently (key order, JSON text) is no change; everything else changes.
    same_policy_as_text = json.dumps({"Statement": TLS_ONLY_POLICY["Statement"], "Version": "2012-10-17"})
    updated = {
        "name": "dagster-shared",
        "throughput_mode": "provisioned",
        "provisioned_throughput_in_mibps": 64,
        "backup": False,
        "lifecycle": {},
        "policy": same_policy_as_text,
        "mount_targets": [
            # subnet 0 loses its mount target, subnet 1 gets other groups, subnet 2 is new (default group).
            {"subnet_id": network.subnet_ids[1], "security_groups": network.security_group_ids},
            {"subnet_id": network.subnet_ids[2]},
        ],
        "tags": {"Project": "dagster-ecs", "Stage": "prod"},
    }

    [predicted] = playbook.run([task(updated)], check=True)
    assert predicted["changed"] is True
    before, after = predicted["diff"]["before"], predicted["diff"]["after"]
    assert before["tags"] == {"Name": "dagster-shared", "Project": "dagster-ecs", "Owner": "data"}
    assert after["tags"] == {"Name": "dagster-shared", "Project": "dagster-ecs", "Stage": "prod"}
    assert (before["backup"], after["backup"]) == (True, False)
    assert after["lifecycle"] == {}
    assert after["policy"] == before["policy"]
    assert (after["throughput_mode"], after["provisioned_throughput_in_mibps"]) == ("provisioned", 64)
    assert [mt["subnet_id"] for mt in after["mount_targets"]] == sorted(network.subnet_ids[1:])
    # Nothing was written.
    assert tags_of(efs, file_system_id)["Owner"] == "data"
    assert efs.describe_backup_policy(FileSystemId=file_system_id)["BackupPolicy"]["Status"] == "ENABLED"
    assert mount_targets_of(efs, file_system_id) == old_mount_targets
    assert file_systems(efs)[0]["ThroughputMode"] == "elastic"

    applied, again = playbook.run([task(updated), task(updated)])
    assert applied["changed"] is True
    assert again["changed"] is False
    assert applied["diff"]["after"] == again["diff"]["before"]

    assert tags_of(efs, file_system_id) == {"Name": "dagster-shared", "Project": "dagster-ecs", "Stage": "prod"}
    assert efs.describe_backup_policy(FileSystemId=file_system_id)["BackupPolicy"]["Status"] == "DISABLED"
    assert efs.describe_lifecycle_configuration(FileSystemId=file_system_id)["LifecyclePolicies"] == []
    [file_system] = file_systems(efs)
    assert (file_system["ThroughputMode"], file_system["ProvisionedThroughputInMibps"]) == ("provisioned", 64)
    assert mount_targets_of(efs, file_system_id) == {
        network.subnet_ids[1]: sorted(network.security_group_ids),
        network.subnet_ids[2]: [network.default_security_group_id],
    }


def test_tags_policy_and_mount_targets_can_be_removed(playbook: PlaybookRunner, network: Network, efs: Any):
    file_system_id = make_file_system(efs, network)

    # Immutable settings that differ fail and change nothing; without `tags`, purge_tags does nothing; with
    # `tags: {}` every tag but Name goes.
    failed, untouched, purged = playbook.run(
        [
            task({"name": "dagster-shared", "encrypted": False, "performance_mode": "maxIO"}, ignore_errors=True),
            task({"name": "dagster-shared", "purge_tags": True}),
            task({"name": "dagster-shared", "tags": {}, "policy": {}, "mount_targets": []}),
        ]
    )
    assert failed["failed"] is True
    assert "encrypted is True, wanted False" in failed["msg"]
    assert "performance_mode is generalPurpose, wanted maxIO" in failed["msg"]
    [file_system] = file_systems(efs)
    assert (file_system["Encrypted"], file_system["PerformanceMode"]) == (True, "generalPurpose")
    assert untouched["changed"] is False
    assert purged["changed"] is True
    assert tags_of(efs, file_system_id) == {"Name": "dagster-shared"}
    with pytest.raises(efs.exceptions.PolicyNotFound):
        efs.describe_file_system_policy(FileSystemId=file_system_id)
    assert mount_targets_of(efs, file_system_id) == {}


def test_existing_file_system_is_found_by_name_tag(playbook: PlaybookRunner, efs: Any):
    """A file system made elsewhere (another creation token) is adopted through its Name tag."""
    efs.create_file_system(CreationToken="made-by-hand", Encrypted=True, Tags=[{"Key": "Name", "Value": "adopted"}])

    [result] = playbook.run([task({"name": "adopted", "tags": {"Adopted": "yes"}, "purge_tags": False})])

    assert result["changed"] is True
    [file_system] = file_systems(efs)
    assert file_system["CreationToken"] == "made-by-hand"
    assert tags_of(efs, file_system["FileSystemId"]) == {"Name": "adopted", "Adopted": "yes"}


def test_absent_deletes_access_points_mount_targets_and_file_system(
    playbook: PlaybookRunner, network: Network, efs: Any
):
    file_system_id = make_file_system(efs, network)
    efs.create_access_point(FileSystemId=file_system_id, Tags=[{"Key": "Name", "Value": "home"}])

    [predicted] = playbook.run([task({"name": "dagster-shared", "state": "absent"})], check=True)
    assert predicted["changed"] is True
    assert predicted["diff"]["after"] == {}
    assert predicted["diff"]["before"]["name"] == "dagster-shared"
    assert len(file_systems(efs)) == 1

    deleted, again = playbook.run([task({"name": "dagster-shared", "state": "absent"})] * 2)
    assert (deleted["changed"], again["changed"]) == (True, False)
    assert file_systems(efs) == []
    assert efs.describe_access_points()["AccessPoints"] == []
    ec2 = boto3.client("ec2")
    interfaces = ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}])
    assert interfaces["NetworkInterfaces"] == []
