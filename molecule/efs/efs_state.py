"""Read the EFS state straight from the API with boto3, independent of the modules under test; prints JSON."""

import json
import sys

import boto3

from readback import tags


def main() -> None:
    name = sys.argv[1]
    efs = boto3.client("efs")
    found = [fs for fs in efs.describe_file_systems()["FileSystems"] if fs.get("Name") == name]
    if not found:
        print(json.dumps({"file_systems": len(found)}))
        return
    fs = found[0]
    fs_id = fs["FileSystemId"]
    mount_targets = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    settings = ("FileSystemId", "FileSystemArn", "Encrypted", "PerformanceMode", "ThroughputMode")
    state = {
        "file_systems": len(found),
        "file_system": {k: fs[k] for k in settings},
        "tags": tags(efs.list_tags_for_resource(ResourceId=fs_id)["Tags"]),
        "backup": efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"],
        "lifecycle": efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"],
        "policy": json.loads(efs.describe_file_system_policy(FileSystemId=fs_id)["Policy"]),
        "mount_targets": sorted(
            (
                {
                    "subnet": mt["SubnetId"],
                    "security_groups": efs.describe_mount_target_security_groups(MountTargetId=mt["MountTargetId"])[
                        "SecurityGroups"
                    ],
                }
                for mt in mount_targets
            ),
            key=lambda mt: mt["subnet"],
        ),
        "access_points": {
            ap["Name"]: {
                "id": ap["AccessPointId"],
                "arn": ap["AccessPointArn"],
                "posix_user": ap["PosixUser"],
                "root_directory": ap["RootDirectory"],
                "tags": tags(ap["Tags"]),
            }
            for ap in efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
        },
    }
    print(json.dumps(state))


if __name__ == "__main__":
    main()
