"""The efs role's access points enforce the image's POSIX user (docker/Dockerfile: USER 10001:10001), so the
publisher writes releases as the same user the code servers read them as, and under fs.protected_hardlinks it
may hard-link the unchanged files of the live release (owned by that user) instead of copying them."""

import json
from pathlib import Path
from typing import Any

import boto3

from tests.ansible_modules.network import make_network
from tests.roles.runner import run_role
from tests.support.moto_server import MotoServer

PREFIX = "dagster-ecs-test"
IMAGE_USER = 10001  # docker/Dockerfile: useradd --uid 10001, groupadd --gid 10001, USER 10001:10001


def test_access_points_enforce_the_image_user_and_create_roots_owned_by_it(aws: MotoServer, tmp_path: Path) -> None:
    network = make_network("ap-southeast-2")
    role_vars = {
        "efs_name_prefix": PREFIX,
        "efs_repositories": ["main"],
        "efs_subnet_ids": network.subnet_ids,
        "efs_security_group_ids": network.security_group_ids[:1],
        "efs_backup": False,
    }
    run = run_role(tmp_path, "efs", role_vars, aws=aws)
    assert run.rc == 0, json.dumps(run.failures)[:3000]

    efs: Any = boto3.client("efs")
    [access_point] = efs.describe_access_points()["AccessPoints"]
    assert access_point["PosixUser"] == {"Uid": IMAGE_USER, "Gid": IMAGE_USER}
    assert access_point["RootDirectory"]["CreationInfo"] == {
        "OwnerUid": IMAGE_USER,
        "OwnerGid": IMAGE_USER,
        "Permissions": "0755",
    }
