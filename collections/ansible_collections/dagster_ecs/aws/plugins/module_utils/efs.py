# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Amazon EFS helpers shared by the dagster_ecs.aws EFS modules.

Reads go through ListTagsForResource and the Describe* calls; nothing here uses the deprecated DescribeTags /
CreateTags / DeleteTags. Every function that talks to AWS takes the AnsibleAWSModule and fails it with the AWS
error on an unexpected answer.
"""

import json
import time
from collections.abc import Callable, Collection
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Re-exported: the modules import these from here.
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import AWS_ERRORS as AWS_ERRORS
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client as Client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Description as Description
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import TagApi, converge_tags
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Tags as Tags
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import client as retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import predict_tags as predict_tags

# EFS tags file systems and access points by id.
EFS_TAGS = TagApi("ResourceId")

# Seconds between two polls while waiting for a life-cycle state.
POLL_INTERVAL = 5

# Module option name -> key of one LifecyclePolicy object (AWS wants one transition per object).
LIFECYCLE_KEYS = {
    "transition_to_ia": "TransitionToIA",
    "transition_to_archive": "TransitionToArchive",
    "transition_to_primary_storage_class": "TransitionToPrimaryStorageClass",
}


def efs_client(module: AnsibleAWSModule) -> Client:
    """The EFS client every module uses: retried with jittered backoff when called with aws_retry=True."""
    return retrying_client(module, "efs")


@AWSRetry.jittered_backoff()
def _paginate(client: Client, operation: str, result_key: str, **params: Any) -> list[Description]:
    return client.get_paginator(operation).paginate(**params).build_full_result()[result_key]


# ---------------------------------------------------------------------------------------------------- reads


def describe_file_systems(
    module: AnsibleAWSModule, client: Client, file_system_id: str | None = None, creation_token: str | None = None
) -> list[Description]:
    """File system descriptions (raw boto3), optionally by id or creation token; [] when the id is unknown."""
    params = {}
    if file_system_id:
        params["FileSystemId"] = file_system_id
    if creation_token:
        params["CreationToken"] = creation_token
    try:
        return _paginate(client, "describe_file_systems", "FileSystems", **params)
    except is_boto3_error_code("FileSystemNotFound"):
        return []
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe EFS file systems")


def find_file_system(module: AnsibleAWSModule, client: Client, name: str, creation_token: str) -> Description | None:
    """The one file system with this creation token, else the one whose Name tag is `name`; None if neither.

    Fails when several file systems carry the Name tag and none has the creation token: the module cannot tell
    which one it manages.
    """
    by_token = describe_file_systems(module, client, creation_token=creation_token)
    if by_token:
        return by_token[0]
    by_name = [fs for fs in describe_file_systems(module, client) if _name_tag(fs.get("Tags")) == name]
    if len(by_name) > 1:
        ids = ", ".join(fs["FileSystemId"] for fs in by_name)
        module.fail_json(
            msg=f"Several EFS file systems are named {name!r} ({ids}) and none has creation token "
            f"{creation_token!r}; set creation_token to the one to manage, or delete the others."
        )
    return by_name[0] if by_name else None


def list_tags(module: AnsibleAWSModule, client: Client, resource_id: str) -> Tags:
    """Tags of a file system or access point as a dict, through ListTagsForResource."""
    tags = []
    params = {"ResourceId": resource_id}
    try:
        while True:
            page = client.list_tags_for_resource(aws_retry=True, **params)
            tags.extend(page.get("Tags", []))
            if not page.get("NextToken"):
                break
            params["NextToken"] = page["NextToken"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to list tags of {resource_id}")
    return boto3_tag_list_to_ansible_dict(tags)


def describe_mount_targets(module: AnsibleAWSModule, client: Client, file_system_id: str) -> list[Description]:
    """Mount targets of a file system, each with its SecurityGroups (DescribeMountTargets omits them)."""
    try:
        mount_targets = _paginate(client, "describe_mount_targets", "MountTargets", FileSystemId=file_system_id)
        for mount_target in mount_targets:
            mount_target["SecurityGroups"] = client.describe_mount_target_security_groups(
                aws_retry=True, MountTargetId=mount_target["MountTargetId"]
            )["SecurityGroups"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to describe the mount targets of {file_system_id}")
    return mount_targets


def describe_lifecycle(module: AnsibleAWSModule, client: Client, file_system_id: str) -> dict[str, str]:
    """Lifecycle configuration as {option name: value}, e.g. {'transition_to_ia': 'AFTER_30_DAYS'}."""
    try:
        policies = client.describe_lifecycle_configuration(aws_retry=True, FileSystemId=file_system_id)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to describe the lifecycle configuration of {file_system_id}")
    lifecycle = {}
    for policy in policies.get("LifecyclePolicies", []):
        for option, key in LIFECYCLE_KEYS.items():
            if key in policy:
                lifecycle[option] = policy[key]
    return lifecycle


def describe_backup_status(module: AnsibleAWSModule, client: Client, file_system_id: str) -> str:
    """Backup policy status (ENABLED, ENABLING, DISABLED, DISABLING); DISABLED when there is none."""
    try:
        return client.describe_backup_policy(aws_retry=True, FileSystemId=file_system_id)["BackupPolicy"]["Status"]
    except is_boto3_error_code("PolicyNotFound"):
        return "DISABLED"  # AWS's answer for a One Zone file system without automatic backups
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe the backup policy of {file_system_id}")


def describe_policy(module: AnsibleAWSModule, client: Client, file_system_id: str) -> dict[str, Any] | None:
    """The file system policy as a dict, or None when the default policy is in effect."""
    try:
        policy = client.describe_file_system_policy(aws_retry=True, FileSystemId=file_system_id)["Policy"]
    except is_boto3_error_code("PolicyNotFound"):
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe the file system policy of {file_system_id}")
    return json.loads(policy)


def describe_access_points(
    module: AnsibleAWSModule, client: Client, file_system_id: str | None = None, access_point_id: str | None = None
) -> list[Description]:
    """Access point descriptions (raw boto3) of one file system, or the one with `access_point_id`."""
    params = {"FileSystemId": file_system_id} if file_system_id else {"AccessPointId": access_point_id}
    try:
        return _paginate(client, "describe_access_points", "AccessPoints", **params)
    except is_boto3_error_code(["AccessPointNotFound", "FileSystemNotFound"]):
        return []
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe EFS access points")


def read_file_system(
    module: AnsibleAWSModule, client: Client, file_system: Description, include_access_points: bool = False
) -> Description:
    """Everything the modules report about a file system, still in boto3's CamelCase (see file_system_to_ansible)."""
    file_system_id = file_system["FileSystemId"]
    details = dict(file_system)
    details["Tags"] = list_tags(module, client, file_system_id)
    details["MountTargets"] = describe_mount_targets(module, client, file_system_id)
    details["Lifecycle"] = describe_lifecycle(module, client, file_system_id)
    details["BackupPolicy"] = {"Status": describe_backup_status(module, client, file_system_id)}
    details["Policy"] = describe_policy(module, client, file_system_id)
    if include_access_points:
        details["AccessPoints"] = describe_access_points(module, client, file_system_id=file_system_id)
    return details


def file_system_to_ansible(details: Description) -> dict[str, Any]:
    """snake_case return value of read_file_system's result; tags, policy and lifecycle keep their keys."""
    result = camel_dict_to_snake_dict(details, ignore_list=["Tags", "Policy", "Lifecycle", "AccessPoints"])
    if "AccessPoints" in details:
        result["access_points"] = [access_point_to_ansible(ap) for ap in details["AccessPoints"]]
    return result


def access_point_to_ansible(access_point: Description) -> dict[str, Any]:
    """snake_case access point with its tags as a dict."""
    result = camel_dict_to_snake_dict(access_point, ignore_list=["Tags"])
    result["tags"] = boto3_tag_list_to_ansible_dict(access_point.get("Tags", []))
    return result


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


def ensure_tags(
    module: AnsibleAWSModule, client: Client, resource_id: str, current: Tags, wanted: Tags, purge: bool
) -> bool:
    """Tag and untag through TagResource / UntagResource; True if anything changed (also in check mode)."""
    return converge_tags(module, client, EFS_TAGS, resource_id, current, wanted, purge)


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


def file_system_state(module: AnsibleAWSModule, client: Client, file_system_id: str) -> str | None:
    """LifeCycleState of a file system, None once it no longer exists."""
    found = describe_file_systems(module, client, file_system_id=file_system_id)
    return found[0]["LifeCycleState"] if found else None


def mount_target_state(module: AnsibleAWSModule, client: Client, mount_target_id: str) -> str | None:
    """LifeCycleState of a mount target, None once it no longer exists."""
    try:
        found = client.describe_mount_targets(aws_retry=True, MountTargetId=mount_target_id)["MountTargets"]
    except is_boto3_error_code("MountTargetNotFound"):
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe mount target {mount_target_id}")
    return found[0]["LifeCycleState"] if found else None


def access_point_state(module: AnsibleAWSModule, client: Client, access_point_id: str) -> str | None:
    """LifeCycleState of an access point, None once it no longer exists."""
    found = describe_access_points(module, client, access_point_id=access_point_id)
    return found[0]["LifeCycleState"] if found else None
