"""dagster_ecs.aws.efs_access_point run through PlaybookRunner against moto, checked with boto3."""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner

MODULE = "dagster_ecs.aws.efs_access_point"

POSIX_USER = {"Uid": 1000, "Gid": 1000, "SecondaryGids": [2000]}
ROOT_DIRECTORY = {"Path": "/dagster", "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"}}


@pytest.fixture
def efs(playbook: PlaybookRunner) -> Any:
    return boto3.client("efs")


@pytest.fixture
def file_system_id(efs: Any) -> str:
    return efs.create_file_system(CreationToken="shared", Encrypted=True)["FileSystemId"]


def spec(file_system_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "dagster-home",
        "file_system_id": file_system_id,
        "posix_user": {"uid": 1000, "gid": 1000, "secondary_gids": [2000]},
        "root_directory": {
            "path": "/dagster",
            "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"},
        },
        "tags": {"Project": "dagster-ecs"},
        **overrides,
    }


def task(args: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {MODULE: args, **options}


def access_points(efs: Any, file_system_id: str) -> list[dict[str, Any]]:
    return efs.describe_access_points(FileSystemId=file_system_id)["AccessPoints"]


def tags_of(efs: Any, resource_id: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in efs.list_tags_for_resource(ResourceId=resource_id)["Tags"]}


def make_access_point(efs: Any, file_system_id: str) -> str:
    """What spec() describes, made directly with boto3; returns its id."""
    return efs.create_access_point(
        FileSystemId=file_system_id,
        PosixUser=POSIX_USER,
        RootDirectory=ROOT_DIRECTORY,
        Tags=[{"Key": "Name", "Value": "dagster-home"}, {"Key": "Project", "Value": "dagster-ecs"}],
    )["AccessPointId"]


def test_create_is_idempotent_and_tags_update_in_place(playbook: PlaybookRunner, efs: Any, file_system_id: str):
    [predicted] = playbook.run([task(spec(file_system_id))], check=True)
    assert predicted["changed"] is True
    assert predicted["access_point"] == {}
    assert predicted["diff"]["after"]["root_directory"]["creation_info"]["permissions"] == "0750"
    assert access_points(efs, file_system_id) == []

    retagged = spec(file_system_id, tags={"Stage": "prod"})
    created, again, tag_check, tag_update, tag_again = playbook.run(
        [
            task(spec(file_system_id)),
            task(spec(file_system_id)),
            task(retagged, check_mode=True),
            task(retagged),
            task(retagged),
        ]
    )

    assert [
        created["changed"],
        again["changed"],
        tag_check["changed"],
        tag_update["changed"],
        tag_again["changed"],
    ] == [
        True,
        False,
        True,
        True,
        False,
    ]
    assert created["diff"]["after"] == predicted["diff"]["after"]
    assert tag_update["replaced"] is False
    assert tag_update["diff"]["before"]["tags"] == {"Name": "dagster-home", "Project": "dagster-ecs"}
    assert tag_update["diff"]["after"]["tags"] == {"Name": "dagster-home", "Stage": "prod"}
    [access_point] = access_points(efs, file_system_id)
    assert access_point["AccessPointId"] == created["access_point"]["access_point_id"]
    assert access_point["AccessPointId"] == tag_again["access_point"]["access_point_id"]
    assert access_point["PosixUser"] == POSIX_USER
    assert access_point["RootDirectory"] == ROOT_DIRECTORY
    assert tags_of(efs, access_point["AccessPointId"]) == {"Name": "dagster-home", "Stage": "prod"}
    assert tag_again["access_point"]["posix_user"] == {"uid": 1000, "gid": 1000, "secondary_gids": [2000]}


def test_immutable_difference_fails_unless_replace(playbook: PlaybookRunner, efs: Any, file_system_id: str):
    old_id = make_access_point(efs, file_system_id)
    moved = spec(file_system_id, posix_user={"uid": 1001, "gid": 1000}, root_directory={"path": "/dagster-v2"})

    [predicted] = playbook.run([task({**moved, "replace": True})], check=True)
    assert (predicted["changed"], predicted["replaced"]) == (True, True)
    assert predicted["diff"]["after"]["root_directory"] == {"path": "/dagster-v2", "creation_info": None}
    assert [ap["AccessPointId"] for ap in access_points(efs, file_system_id)] == [old_id]

    unknown_file_system, refused, replaced, again = playbook.run(
        [
            task(spec("fs-0123456789abcdef0"), ignore_errors=True),
            task(moved, ignore_errors=True),
            task({**moved, "replace": True}),
            task({**moved, "replace": True}),
        ]
    )

    assert unknown_file_system["failed"] is True
    assert "FileSystemNotFound" in unknown_file_system["msg"]

    assert refused["failed"] is True
    assert "posix_user.uid: 1000 -> 1001" in refused["msg"]
    assert "posix_user.secondary_gids: [2000] -> []" in refused["msg"]
    assert "root_directory.path: '/dagster' -> '/dagster-v2'" in refused["msg"]
    assert "replace=true" in refused["msg"]
    assert (replaced["changed"], replaced["replaced"]) == (True, True)
    assert (again["changed"], again["replaced"]) == (False, False)
    [access_point] = access_points(efs, file_system_id)
    assert access_point["AccessPointId"] != old_id
    assert access_point["AccessPointId"] == replaced["access_point"]["access_point_id"]
    assert access_point["PosixUser"] == {"Uid": 1001, "Gid": 1000}
    assert access_point["RootDirectory"] == {"Path": "/dagster-v2"}
    assert tags_of(efs, access_point["AccessPointId"]) == {"Name": "dagster-home", "Project": "dagster-ecs"}


def test_absent_deletes_only_the_named_access_point(playbook: PlaybookRunner, efs: Any, file_system_id: str):
    make_access_point(efs, file_system_id)
    other = efs.create_access_point(FileSystemId=file_system_id, Tags=[{"Key": "Name", "Value": "other"}])

    absent = {"name": "dagster-home", "file_system_id": file_system_id, "state": "absent"}
    [predicted] = playbook.run([task(absent)], check=True)
    assert predicted["changed"] is True
    assert predicted["diff"]["after"] == {}
    assert len(access_points(efs, file_system_id)) == 2

    deleted, again = playbook.run([task(absent), task(absent)])
    assert (deleted["changed"], again["changed"]) == (True, False)
    assert [ap["AccessPointId"] for ap in access_points(efs, file_system_id)] == [other["AccessPointId"]]
