# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Amazon EFS calls of the dagster_ecs.aws EFS modules, failing with AnsibleEFSError (as amazon.aws's ec2.py).

Reads go through ListTagsForResource and the Describe* calls; nothing here uses the deprecated DescribeTags /
CreateTags / DeleteTags.
"""

import json
import time
from collections.abc import Callable, Collection
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    TagApi,
    Tags,
    snake_description,
)


class AnsibleEFSError(AnsibleAWSError):
    pass


class EFSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEFSError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code(["FileSystemNotFound", "AccessPointNotFound", "MountTargetNotFound"])


# EFS tags file systems and access points by id.
EFS_TAGS = TagApi("ResourceId", EFSErrorHandler)

# Seconds between two polls while waiting for a life-cycle state.
POLL_INTERVAL = 5

# Module option name -> key of one LifecyclePolicy object (AWS wants one transition per object; IA, not Ia).
LIFECYCLE_KEYS = {
    "transition_to_ia": "TransitionToIA",
    "transition_to_archive": "TransitionToArchive",
    "transition_to_primary_storage_class": "TransitionToPrimaryStorageClass",
}


@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def _paginate(client: Client, operation: str, result_key: str, **params: Any) -> list[Description]:
    return client.get_paginator(operation).paginate(**params).build_full_result()[result_key]


# ---------------------------------------------------------------------------------------------------- reads


@EFSErrorHandler.list_error_handler("describe EFS file systems", [])
def describe_file_systems(
    client: Client, file_system_id: str | None = None, creation_token: str | None = None
) -> list[Description]:
    """File system descriptions (raw boto3), optionally by id or creation token; [] when the id is unknown."""
    params = {}
    if file_system_id:
        params["FileSystemId"] = file_system_id
    if creation_token:
        params["CreationToken"] = creation_token
    return _paginate(client, "describe_file_systems", "FileSystems", **params)


def find_file_system(client: Client, name: str, creation_token: str) -> Description | None:
    """The one file system with this creation token, else the one whose Name tag is `name`; None if neither.

    Raises AnsibleEFSError when several file systems carry the Name tag and none has the creation token: the module
    cannot tell which one it manages.
    """
    by_token = describe_file_systems(client, creation_token=creation_token)
    if by_token:
        return by_token[0]
    by_name = [fs for fs in describe_file_systems(client) if _name_tag(fs.get("Tags")) == name]
    if len(by_name) > 1:
        ids = ", ".join(fs["FileSystemId"] for fs in by_name)
        raise AnsibleEFSError(
            message=f"Several EFS file systems are named {name!r} ({ids}) and none has creation token "
            f"{creation_token!r}; set creation_token to the one to manage, or delete the others."
        )
    return by_name[0] if by_name else None


@EFSErrorHandler.common_error_handler("list the tags of {resource_id}")
def list_tags(client: Client, resource_id: str) -> Tags:
    """Tags of a file system or access point as a dict, through ListTagsForResource."""
    tags = []
    params = {"ResourceId": resource_id}
    while True:
        page = client.list_tags_for_resource(aws_retry=True, **params)
        tags.extend(page.get("Tags", []))
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    return boto3_tag_list_to_ansible_dict(tags)


@EFSErrorHandler.common_error_handler("describe the mount targets of {file_system_id}")
def describe_mount_targets(client: Client, file_system_id: str) -> list[Description]:
    """Mount targets of a file system, each with its SecurityGroups (DescribeMountTargets omits them)."""
    mount_targets = _paginate(client, "describe_mount_targets", "MountTargets", FileSystemId=file_system_id)
    for mount_target in mount_targets:
        mount_target["SecurityGroups"] = client.describe_mount_target_security_groups(
            aws_retry=True, MountTargetId=mount_target["MountTargetId"]
        )["SecurityGroups"]
    return mount_targets


@EFSErrorHandler.common_error_handler("describe the lifecycle configuration of {file_system_id}")
def describe_lifecycle(client: Client, file_system_id: str) -> dict[str, str]:
    """Lifecycle configuration as {option name: value}, e.g. {'transition_to_ia': 'AFTER_30_DAYS'}."""
    policies = client.describe_lifecycle_configuration(aws_retry=True, FileSystemId=file_system_id)
    lifecycle = {}
    for policy in policies.get("LifecyclePolicies", []):
        for option, key in LIFECYCLE_KEYS.items():
            if key in policy:
                lifecycle[option] = policy[key]
    return lifecycle


@EFSErrorHandler.common_error_handler("describe the backup policy of {file_system_id}")
def describe_backup_status(client: Client, file_system_id: str) -> str:
    """Backup policy status (ENABLED, ENABLING, DISABLED, DISABLING); DISABLED when there is none."""
    try:
        return client.describe_backup_policy(aws_retry=True, FileSystemId=file_system_id)["BackupPolicy"]["Status"]
    except is_boto3_error_code("PolicyNotFound"):
        return "DISABLED"  # AWS's answer for a One Zone file system without automatic backups


@EFSErrorHandler.common_error_handler("describe the file system policy of {file_system_id}")
def describe_policy(client: Client, file_system_id: str) -> dict[str, Any] | None:
    """The file system policy as a dict, or None when the default policy is in effect."""
    try:
        policy = client.describe_file_system_policy(aws_retry=True, FileSystemId=file_system_id)["Policy"]
    except is_boto3_error_code("PolicyNotFound"):
        return None
    return json.loads(policy)


@EFSErrorHandler.list_error_handler("describe EFS access points", [])
def describe_access_points(
    client: Client, file_system_id: str | None = None, access_point_id: str | None = None
) -> list[Description]:
    """Access point descriptions (raw boto3) of one file system, or the one with `access_point_id`; [] when the
    file system or the access point does not exist."""
    params = {"FileSystemId": file_system_id} if file_system_id else {"AccessPointId": access_point_id}
    return _paginate(client, "describe_access_points", "AccessPoints", **params)


def read_file_system(client: Client, file_system: Description, include_access_points: bool = False) -> Description:
    """Everything the modules report about a file system, still in boto3's CamelCase (see file_system_to_ansible)."""
    file_system_id = file_system["FileSystemId"]
    details = dict(file_system)
    details["Tags"] = list_tags(client, file_system_id)
    details["MountTargets"] = describe_mount_targets(client, file_system_id)
    details["Lifecycle"] = describe_lifecycle(client, file_system_id)
    details["BackupPolicy"] = {"Status": describe_backup_status(client, file_system_id)}
    details["Policy"] = describe_policy(client, file_system_id)
    if include_access_points:
        details["AccessPoints"] = describe_access_points(client, file_system_id=file_system_id)
    return details


def file_system_to_ansible(details: Description) -> dict[str, Any]:
    """snake_case return value of read_file_system's result; tags, policy and lifecycle keep their keys."""
    result = snake_description(details, omit=["AccessPoints"], keep=["Policy", "Lifecycle"])
    if "AccessPoints" in details:
        result["access_points"] = [access_point_to_ansible(ap) for ap in details["AccessPoints"]]
    return result


def access_point_to_ansible(access_point: Description) -> dict[str, Any]:
    """snake_case access point with its tags as a dict."""
    return snake_description(access_point)


def name_tag(resource: Description) -> str | None:
    """The Name tag of a file system or access point description."""
    return _name_tag(resource.get("Tags"))


def _name_tag(tags: list[dict[str, str]] | None) -> str | None:
    return boto3_tag_list_to_ansible_dict(tags or []).get("Name")


# ---------------------------------------------------------------------------------------------------- writes


def desired_tags(name: str, tags: Tags | None, purge_tags: bool) -> tuple[Tags, bool]:
    """(tags to converge on, purge?) for a resource identified by its Name tag.

    As in amazon.aws, purge_tags only applies when `tags` is given; the Name tag is always kept.
    """
    wanted = dict(tags or {})
    wanted["Name"] = name
    return wanted, bool(purge_tags and tags is not None)


@EFSErrorHandler.common_error_handler("create EFS file system {name!r}")
def create_file_system(client: Client, name: str, request: dict[str, Any]) -> Description:
    return client.create_file_system(aws_retry=True, **request)


@EFSErrorHandler.common_error_handler("update the throughput of EFS file system {file_system_id}")
def update_file_system(client: Client, file_system_id: str, request: dict[str, Any]) -> None:
    client.update_file_system(aws_retry=True, FileSystemId=file_system_id, **request)


@EFSErrorHandler.common_error_handler("set the lifecycle configuration of EFS file system {file_system_id}")
def put_lifecycle(client: Client, file_system_id: str, lifecycle: dict[str, str]) -> None:
    """Set the lifecycle configuration from {option name: value} (see describe_lifecycle)."""
    policies = [{LIFECYCLE_KEYS[key]: value} for key, value in lifecycle.items()]
    client.put_lifecycle_configuration(aws_retry=True, FileSystemId=file_system_id, LifecyclePolicies=policies)


@EFSErrorHandler.common_error_handler("set the backup policy of EFS file system {file_system_id}")
def put_backup(client: Client, file_system_id: str, enabled: bool) -> None:
    status = "ENABLED" if enabled else "DISABLED"
    client.put_backup_policy(aws_retry=True, FileSystemId=file_system_id, BackupPolicy={"Status": status})


@EFSErrorHandler.common_error_handler("set the file system policy of EFS file system {file_system_id}")
def put_policy(client: Client, file_system_id: str, policy: dict[str, Any] | None, bypass_lockout_check: bool) -> None:
    """Set the policy; None deletes it (the default policy applies)."""
    if policy is None:
        client.delete_file_system_policy(aws_retry=True, FileSystemId=file_system_id)
    else:
        client.put_file_system_policy(
            aws_retry=True,
            FileSystemId=file_system_id,
            Policy=json.dumps(policy),
            BypassPolicyLockoutSafetyCheck=bypass_lockout_check,
        )


@EFSErrorHandler.common_error_handler("create a mount target of EFS file system {file_system_id}")
def create_mount_target(client: Client, file_system_id: str, request: dict[str, Any]) -> str:
    """The new mount target's id."""
    return client.create_mount_target(aws_retry=True, FileSystemId=file_system_id, **request)["MountTargetId"]


@EFSErrorHandler.common_error_handler("set the security groups of EFS mount target {mount_target_id}")
def modify_mount_target_security_groups(client: Client, mount_target_id: str, security_groups: list[str]) -> None:
    client.modify_mount_target_security_groups(
        aws_retry=True, MountTargetId=mount_target_id, SecurityGroups=security_groups
    )


@EFSErrorHandler.deletion_error_handler("delete EFS mount target {mount_target_id}")
def delete_mount_target(client: Client, mount_target_id: str) -> bool:
    """False when it was already gone (deleted meanwhile: the goal is reached)."""
    client.delete_mount_target(aws_retry=True, MountTargetId=mount_target_id)
    return True


@EFSErrorHandler.common_error_handler("create EFS access point {name!r}")
def create_access_point(client: Client, name: str, request: dict[str, Any]) -> Description:
    return client.create_access_point(aws_retry=True, **request)


@EFSErrorHandler.deletion_error_handler("delete EFS access point {access_point_id}")
def delete_access_point(client: Client, access_point_id: str) -> bool:
    """False when it was already gone (deleted meanwhile: the goal is reached)."""
    client.delete_access_point(aws_retry=True, AccessPointId=access_point_id)
    return True


@EFSErrorHandler.deletion_error_handler("delete EFS file system {file_system_id}")
def delete_file_system(client: Client, file_system_id: str) -> bool:
    """False when it was already gone (deleted meanwhile: the goal is reached)."""
    client.delete_file_system(aws_retry=True, FileSystemId=file_system_id)
    return True


# ---------------------------------------------------------------------------------------------------- waits


def wait_for(
    module: AnsibleAWSModule,
    what: str,
    read_state: Callable[[], str | None],
    wanted_states: Collection[str | None],
    timeout: int,
) -> None:
    """Poll read_state() until it returns one of wanted_states; None means the resource is gone.

    Fails naming `what` after `timeout` seconds, or at once if the resource reports the error state.
    """
    deadline = time.monotonic() + timeout
    while True:
        state = read_state()
        if state in wanted_states:
            return
        if state == "error":
            module.fail_json(msg=f"{what} is in the error state")
        if time.monotonic() >= deadline:
            module.fail_json(msg=f"Timed out after {timeout}s waiting for {what} to be {wanted_states}; it is {state}")
        time.sleep(POLL_INTERVAL)


def file_system_state(client: Client, file_system_id: str) -> str | None:
    """LifeCycleState of a file system, None once it no longer exists."""
    found = describe_file_systems(client, file_system_id=file_system_id)
    return found[0]["LifeCycleState"] if found else None


@EFSErrorHandler.list_error_handler("describe EFS mount target {mount_target_id}")
def mount_target_state(client: Client, mount_target_id: str) -> str | None:
    """LifeCycleState of a mount target, None once it no longer exists."""
    found = client.describe_mount_targets(aws_retry=True, MountTargetId=mount_target_id)["MountTargets"]
    return found[0]["LifeCycleState"] if found else None


def access_point_state(client: Client, access_point_id: str) -> str | None:
    """LifeCycleState of an access point, None once it no longer exists."""
    found = describe_access_points(client, access_point_id=access_point_id)
    return found[0]["LifeCycleState"] if found else None
