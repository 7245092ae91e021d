"""dagster_ecs.aws.efs_file_system_info run through PlaybookRunner (in check mode) against moto."""

import json

import boto3

from tests.ansible_modules.network import make_network
from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import AWS_TEST_ENV

MODULE = "dagster_ecs.aws.efs_file_system_info"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount"}],
}


def test_info_reports_everything_and_works_in_check_mode(playbook: PlaybookRunner):
    efs = boto3.client("efs")
    network = make_network(AWS_TEST_ENV["AWS_REGION"])
    file_system_id = efs.create_file_system(
        CreationToken="shared-token", Encrypted=True, Backup=True, Tags=[{"Key": "Name", "Value": "shared"}]
    )["FileSystemId"]
    efs.create_file_system(CreationToken="other", Tags=[{"Key": "Name", "Value": "other"}])
    efs.put_lifecycle_configuration(FileSystemId=file_system_id, LifecyclePolicies=[{"TransitionToIA": "AFTER_7_DAYS"}])
    efs.put_file_system_policy(FileSystemId=file_system_id, Policy=json.dumps(POLICY))
    efs.create_mount_target(
        FileSystemId=file_system_id, SubnetId=network.subnet_ids[0], SecurityGroups=network.security_group_ids
    )
    access_point_id = efs.create_access_point(
        FileSystemId=file_system_id,
        PosixUser={"Uid": 1000, "Gid": 1000},
        Tags=[{"Key": "Name", "Value": "home"}],
    )["AccessPointId"]

    by_name, by_id, by_token, unknown, everything = playbook.run(
        [
            {MODULE: {"name": "shared"}},
            {MODULE: {"file_system_id": file_system_id}},
            {MODULE: {"creation_token": "shared-token"}},
            {MODULE: {"id": "fs-0123456789abcdef0"}},
            {MODULE: {}},
        ],
        check=True,
    )

    assert by_name["changed"] is False
    [shared] = by_name["file_systems"]
    assert [fs["file_system_id"] for fs in by_id["file_systems"]] == [file_system_id]
    assert [fs["file_system_id"] for fs in by_token["file_systems"]] == [file_system_id]
    assert unknown["file_systems"] == []
    assert sorted(fs["name"] for fs in everything["file_systems"]) == ["other", "shared"]

    assert shared["file_system_id"] == file_system_id
    assert shared["creation_token"] == "shared-token"
    assert shared["tags"] == {"Name": "shared"}
    assert shared["lifecycle"] == {"transition_to_ia": "AFTER_7_DAYS"}
    assert shared["backup_policy"] == {"status": "ENABLED"}
    assert shared["policy"] == POLICY
    [mount_target] = shared["mount_targets"]
    assert mount_target["subnet_id"] == network.subnet_ids[0]
    assert sorted(mount_target["security_groups"]) == sorted(network.security_group_ids)
    [access_point] = shared["access_points"]
    assert access_point["access_point_id"] == access_point_id
    assert access_point["tags"] == {"Name": "home"}
    assert access_point["posix_user"] == {"uid": 1000, "gid": 1000}
