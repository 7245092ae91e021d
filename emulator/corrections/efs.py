"""Corrections to moto 5.2.5's EFS: PutBackupPolicy, DeleteFileSystemPolicy, UpdateFileSystem and NotFound errors.

Each correction makes moto answer as AWS documents the API; docs/moto-deviations.md lists them. The project's
modules are written for AWS, so the emulator is corrected here rather than the modules bent to moto.
"""

import json
from typing import Any

from moto.ec2.exceptions import InvalidSubnetIdError
from moto.efs.exceptions import AccessPointNotFound, BadRequest, FileSystemNotFound, PolicyNotFound
from moto.efs.models import AccessPoint, EFSBackend, FileSystem, MountTarget
from moto.efs.responses import EFSResponse

BACKUP_STATUSES = {"ENABLED", "DISABLED"}
THROUGHPUT_MODES = {"bursting", "provisioned", "elastic"}
JSON_HEADERS = {"Content-Type": "application/json"}


def _file_system(backend: EFSBackend, file_system_id: str) -> FileSystem:
    """The file system, or AWS's FileSystemNotFound (moto raises KeyError, which the server turns into a 500)."""
    try:
        return backend.file_systems_by_id[file_system_id]
    except KeyError:
        raise FileSystemNotFound(file_system_id) from None


# PutBackupPolicy: moto stores the creation-time `Backup` flag and serves DescribeBackupPolicy from it, but has
# no PutBackupPolicy, so the server answers 500 "action has not been implemented".
def put_backup_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
    file_system_id = self._get_param("FileSystemId")
    status = (self._get_param("BackupPolicy") or {}).get("Status")
    if status not in BACKUP_STATUSES:
        raise BadRequest(f"BackupPolicy.Status must be one of {sorted(BACKUP_STATUSES)}, got {status!r}.")
    file_system = _file_system(self.efs_backend, file_system_id)
    file_system._backup = status == "ENABLED"
    return json.dumps({"BackupPolicy": {"Status": status}}), JSON_HEADERS


# DescribeBackupPolicy: AWS answers PolicyNotFound only for a One Zone file system without backups; a Regional
# file system created without backups reports Status DISABLED. moto answers PolicyNotFound for both.
def describe_backup_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
    file_system = _file_system(self.efs_backend, self._get_param("FileSystemId"))
    if file_system.availability_zone_name and not file_system._backup:
        raise PolicyNotFound("No backup policy for this One Zone file system.")
    status = "ENABLED" if file_system._backup else "DISABLED"
    return json.dumps({"BackupPolicy": {"Status": status}}), JSON_HEADERS


# DeleteFileSystemPolicy: missing in moto; AWS restores the default policy and answers 200 with an empty body.
def delete_file_system_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
    file_system = _file_system(self.efs_backend, self._get_param("FileSystemId"))
    file_system.file_system_policy = None
    return "{}", JSON_HEADERS


# DescribeFileSystemPolicy: moto raises KeyError (a 500) for an unknown file system instead of FileSystemNotFound.
_original_describe_file_system_policy = EFSResponse.describe_file_system_policy


def describe_file_system_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
    _file_system(self.efs_backend, self._get_param("FileSystemId"))
    return _original_describe_file_system_policy(self)


# UpdateFileSystem: missing in moto; AWS changes the throughput mode / provisioned throughput in place and
# answers 202 with the file system description.
def update_file_system(self: EFSResponse) -> tuple[str, dict[str, Any]]:
    file_system = _file_system(self.efs_backend, self._get_param("FileSystemId"))
    throughput_mode = self._get_param("ThroughputMode")
    provisioned = self._get_param("ProvisionedThroughputInMibps")
    if throughput_mode is not None:
        if throughput_mode not in THROUGHPUT_MODES:
            raise BadRequest(f"ThroughputMode must be one of {sorted(THROUGHPUT_MODES)}, got {throughput_mode!r}.")
        file_system.throughput_mode = throughput_mode
    if provisioned is not None:
        file_system.provisioned_throughput_in_mibps = provisioned
    if file_system.throughput_mode != "provisioned":
        file_system.provisioned_throughput_in_mibps = None  # ty: ignore[invalid-assignment]
    return json.dumps(file_system.info_json()), {**JSON_HEADERS, "status": 202}


# CreateMountTarget without SecurityGroups: AWS gives the mount target the VPC's default security group; moto
# keeps none, and DescribeMountTargetSecurityGroups then omits the required SecurityGroups member.
_original_create_mount_target = EFSBackend.create_mount_target


def create_mount_target(
    self: EFSBackend,
    file_system_id: str,
    subnet_id: str,
    ip_address: str | None = None,
    security_groups: list[str] | None = None,
) -> MountTarget:
    if not security_groups:
        try:
            vpc_id = self.ec2_backend.get_subnet(subnet_id).vpc_id
        except InvalidSubnetIdError:
            vpc_id = None  # moto's own create_mount_target answers SubnetNotFound
        default_group = self.ec2_backend.get_default_security_group(vpc_id) if vpc_id else None
        security_groups = [default_group.id] if default_group else None
    return _original_create_mount_target(self, file_system_id, subnet_id, ip_address, security_groups)


# Access points: moto creates one on a file system that does not exist, lists none (instead of FileSystemNotFound)
# for an unknown file system, and deletes an unknown access point silently (instead of AccessPointNotFound).
_original_create_access_point = EFSBackend.create_access_point
_original_describe_access_points = EFSBackend.describe_access_points


def create_access_point(
    self: EFSBackend,
    client_token: str,
    tags: list[dict[str, str]],
    file_system_id: str,
    posix_user: dict[str, Any],
    root_directory: dict[str, Any],
) -> AccessPoint:
    _file_system(self, file_system_id)
    return _original_create_access_point(self, client_token, tags, file_system_id, posix_user, root_directory)


def describe_access_points(
    self: EFSBackend, access_point_id: str | None, file_system_id: str | None
) -> list[AccessPoint]:
    if file_system_id and not access_point_id:
        _file_system(self, file_system_id)
    return _original_describe_access_points(self, access_point_id, file_system_id)


def delete_access_point(self: EFSBackend, access_point_id: str) -> None:
    if access_point_id not in self.access_points:
        raise AccessPointNotFound(access_point_id)
    del self.access_points[access_point_id]


def apply() -> None:
    """Install every correction on moto's EFS response class (the server dispatches by method name)."""
    corrections = {
        "put_backup_policy": put_backup_policy,
        "describe_backup_policy": describe_backup_policy,
        "delete_file_system_policy": delete_file_system_policy,
        "describe_file_system_policy": describe_file_system_policy,
        "update_file_system": update_file_system,
    }
    for name, function in corrections.items():
        setattr(EFSResponse, name, function)
    EFSBackend.create_mount_target = create_mount_target
    EFSBackend.create_access_point = create_access_point
    EFSBackend.describe_access_points = describe_access_points
    EFSBackend.delete_access_point = delete_access_point
