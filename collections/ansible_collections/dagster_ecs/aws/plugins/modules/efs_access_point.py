#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: efs_access_point
short_description: Manage an Amazon EFS access point
version_added: 0.1.0
description:
  - Create, replace or delete an Amazon EFS access point identified by its O(name) (the C(Name) tag) on the file
    system O(file_system_id).
  - AWS cannot change an access point's POSIX user or root directory. When they differ, the module fails naming
    the difference, or deletes and recreates the access point when O(replace=true).
  - Tags are updated in place (TagResource / UntagResource).
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) creates the access point, or replaces it when O(replace=true) and its settings differ.
      - V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The C(Name) tag of the access point, unique among the access points of O(file_system_id).
    type: str
    required: true
  file_system_id:
    description:
      - ID of the file system the access point belongs to.
    type: str
    required: true
  posix_user:
    description:
      - The POSIX identity every request through the access point uses. When unset, clients keep their own
        identity.
    type: dict
    suboptions:
      uid:
        description: POSIX user ID.
        type: int
        required: true
      gid:
        description: POSIX group ID.
        type: int
        required: true
      secondary_gids:
        description: Secondary POSIX group IDs.
        type: list
        elements: int
  root_directory:
    description:
      - The directory clients see as the root of the file system; C(/) when unset.
    type: dict
    suboptions:
      path:
        description: Path of the directory on the file system.
        type: str
        default: /
      creation_info:
        description:
          - Owner and permissions EFS gives O(root_directory.path) if it does not exist when a client first
            mounts the access point. Without it, a missing path makes mounts fail.
        type: dict
        suboptions:
          owner_uid:
            description: POSIX user ID of the directory's owner.
            type: int
            required: true
          owner_gid:
            description: POSIX group ID of the directory's owner.
            type: int
            required: true
          permissions:
            description: Octal permissions, for example V("0755").
            type: str
            required: true
  replace:
    description:
      - Delete and recreate the access point when O(posix_user) or O(root_directory) differ from the existing
        one. Clients using the old access point lose it.
      - When V(false), such a difference fails the task.
    type: bool
    default: false
  wait:
    description:
      - Wait for the access point to be available (or gone, when deleting).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true).
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dagster's home directory on the shared file system
  dagster_ecs.aws.efs_access_point:
    name: dagster-home
    file_system_id: "{{ efs.file_system.file_system_id }}"
    posix_user:
      uid: 1000
      gid: 1000
    root_directory:
      path: /dagster
      creation_info:
        owner_uid: 1000
        owner_gid: 1000
        permissions: "0750"
    tags:
      Project: dagster-ecs
  register: access_point

- name: Move the access point to another directory, replacing it
  dagster_ecs.aws.efs_access_point:
    name: dagster-home
    file_system_id: "{{ efs.file_system.file_system_id }}"
    root_directory:
      path: /dagster-v2
    replace: true

- name: Delete the access point
  dagster_ecs.aws.efs_access_point:
    name: dagster-home
    file_system_id: "{{ efs.file_system.file_system_id }}"
    state: absent
"""

RETURN = r"""
access_point:
  description:
    - The access point after the task (in check mode, as it was before). Empty when it does not exist.
  returned: always
  type: dict
  contains:
    access_point_id:
      description: ID of the access point.
      type: str
      sample: fsap-0123456789abcdef0
    access_point_arn:
      description: ARN of the access point.
      type: str
    file_system_id:
      description: ID of the file system.
      type: str
    name:
      description: Value of the C(Name) tag.
      type: str
    life_cycle_state:
      description: C(creating), C(available), C(updating), C(deleting), C(deleted) or C(error).
      type: str
      sample: available
    posix_user:
      description: POSIX user of the access point.
      type: dict
      sample: {"uid": 1000, "gid": 1000, "secondary_gids": []}
    root_directory:
      description: Root directory of the access point.
      type: dict
      sample: {"path": "/dagster", "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "0750"}}
    tags:
      description: Tags of the access point.
      type: dict
      sample: {"Name": "dagster-home"}
replaced:
  description: Whether the access point was (or, in check mode, would be) deleted and recreated.
  returned: always
  type: bool
"""

from typing import Any

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    differences,
    drop_empty,
    predict_tags,
    result,
    retrying_client,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.efs import (
    EFS_TAGS,
    AnsibleEFSError,
    access_point_state,
    access_point_to_ansible,
    create_access_point,
    delete_access_point,
    describe_access_points,
    desired_tags,
    list_tags,
    name_tag,
    wait_for,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "file_system_id": {"required": True},
    "posix_user": {
        "type": "dict",
        "options": {
            "uid": {"type": "int", "required": True},
            "gid": {"type": "int", "required": True},
            "secondary_gids": {"type": "list", "elements": "int"},
        },
    },
    "root_directory": {
        "type": "dict",
        "options": {
            "path": {"default": "/"},
            "creation_info": {
                "type": "dict",
                "options": {
                    "owner_uid": {"type": "int", "required": True},
                    "owner_gid": {"type": "int", "required": True},
                    "permissions": {"required": True},
                },
            },
        },
    },
    "replace": {"type": "bool", "default": False},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 300},
}


def permissions(value: str) -> str:
    """Octal permissions in AWS's four-digit form, so that 755 and 0755 compare equal."""
    return f"{int(value, 8):04o}"


def summarize_settings(posix_user: dict[str, Any] | None, root_directory: dict[str, Any] | None) -> dict[str, Any]:
    """The immutable settings in option form, from boto3's CamelCase description."""
    root_directory = root_directory or {}
    creation_info = root_directory.get("CreationInfo")
    return {
        "posix_user": {
            "uid": posix_user["Uid"],
            "gid": posix_user["Gid"],
            "secondary_gids": sorted(posix_user.get("SecondaryGids") or []),
        }
        if posix_user
        else None,
        "root_directory": {
            "path": root_directory.get("Path") or "/",
            "creation_info": {
                "owner_uid": creation_info["OwnerUid"],
                "owner_gid": creation_info["OwnerGid"],
                "permissions": permissions(creation_info["Permissions"]),
            }
            if creation_info
            else None,
        },
    }


def create_request(file_system_id: str, settings: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """CreateAccessPoint's parameters for the settings in option form (see wanted_settings)."""
    request = snake_dict_to_camel_dict(
        drop_empty({"file_system_id": file_system_id, **settings}), capitalize_first=True
    )
    request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return request


class AccessPointTask:
    def __init__(self, module: AnsibleAWSModule, client: Client) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.name: str = self.params["name"]
        self.file_system_id: str = self.params["file_system_id"]
        self.wanted_tags, self.purge_tags = desired_tags(self.name, self.params["tags"], self.params["purge_tags"])

    def find(self) -> Description | None:
        found = [
            ap
            for ap in describe_access_points(self.client, file_system_id=self.file_system_id)
            if name_tag(ap) == self.name
        ]
        if len(found) > 1:
            ids = ", ".join(ap["AccessPointId"] for ap in found)
            self.module.fail_json(
                msg=f"Several access points of {self.file_system_id} are named {self.name!r} ({ids}); "
                "delete all but one so the module knows which one it manages."
            )
        if not found:
            return None
        access_point = found[0]
        access_point["Tags"] = ansible_dict_to_boto3_tag_list(list_tags(self.client, access_point["AccessPointId"]))
        return access_point

    def wanted_settings(self) -> dict[str, Any]:
        p = self.params
        posix_user = p["posix_user"]
        root_directory: dict[str, Any] = p["root_directory"] or {"path": "/", "creation_info": None}
        creation_info: dict[str, Any] | None = root_directory["creation_info"]
        return {
            "posix_user": {
                "uid": posix_user["uid"],
                "gid": posix_user["gid"],
                "secondary_gids": sorted(posix_user["secondary_gids"] or []),
            }
            if posix_user
            else None,
            "root_directory": {
                "path": root_directory["path"],
                "creation_info": {**creation_info, "permissions": permissions(creation_info["permissions"])}
                if creation_info
                else None,
            },
        }

    def present(self) -> dict[str, Any]:
        current = self.find()
        wanted_settings = self.wanted_settings()
        if current is None:
            before = None
            after = {"name": self.name, "file_system_id": self.file_system_id, **wanted_settings}
            after["tags"] = dict(self.wanted_tags)
            replace = False
        else:
            before = summarize(current)
            changes = differences({key: before[key] for key in wanted_settings}, wanted_settings, "access point")
            if changes and not self.params["replace"]:
                self.module.fail_json(
                    msg=f"EFS access point {self.name!r} ({current['AccessPointId']}) differs in settings AWS cannot "
                    f"change: {'; '.join(c.removeprefix('access point.') for c in changes)}. "
                    "Set replace=true to delete and recreate it (clients using it lose their mounts).",
                    access_point_id=current["AccessPointId"],
                )
            replace = bool(changes)
            after = {**before, **wanted_settings}
            after["tags"] = (
                dict(self.wanted_tags) if replace else predict_tags(before["tags"], self.wanted_tags, self.purge_tags)
            )
        changed = before != after

        access_point = current
        if changed and not self.module.check_mode:
            if current is None or replace:
                if current is not None:
                    self.delete(current["AccessPointId"], wait=True)
                access_point = self.create(wanted_settings)
            else:
                converge_tags(
                    self.module,
                    self.client,
                    EFS_TAGS,
                    current["AccessPointId"],
                    before["tags"] if before else {},
                    self.wanted_tags,
                    self.purge_tags,
                )
                access_point = self.find()
            after = summarize(access_point) if access_point else None
        return self.result(changed, before, after, access_point, replace)

    def absent(self) -> dict[str, Any]:
        current = self.find()
        if current is None:
            return self.result(False, None, None, None, False)
        if not self.module.check_mode:
            self.delete(current["AccessPointId"], wait=self.params["wait"])
        return self.result(True, summarize(current), None, None, False)

    def result(
        self,
        changed: bool,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        access_point: Description | None,
        replaced: bool,
    ) -> dict[str, Any]:
        return result(
            self.module,
            changed,
            before,
            after,
            replaced=replaced,
            access_point=access_point_to_ansible(access_point) if access_point else {},
        )

    def create(self, settings: dict[str, Any]) -> Description:
        request = create_request(self.file_system_id, settings, self.wanted_tags)
        access_point = create_access_point(self.client, self.name, request)
        access_point_id = access_point["AccessPointId"]
        if self.params["wait"]:
            wait_for(
                self.module,
                f"EFS access point {access_point_id}",
                lambda: access_point_state(self.client, access_point_id),
                ["available"],
                self.params["wait_timeout"],
            )
        return self.find() or access_point

    def delete(self, access_point_id: str, wait: bool) -> None:
        delete_access_point(self.client, access_point_id)
        if wait:
            wait_for(
                self.module,
                f"EFS access point {access_point_id}",
                lambda: access_point_state(self.client, access_point_id),
                [None],
                self.params["wait_timeout"],
            )


def summarize(access_point: Description) -> dict[str, Any]:
    """The managed settings of an access point, as compared between runs and shown in the diff."""
    tags = {tag["Key"]: tag["Value"] for tag in access_point.get("Tags", [])}
    return {
        "name": tags.get("Name"),
        "file_system_id": access_point["FileSystemId"],
        **summarize_settings(access_point.get("PosixUser"), access_point.get("RootDirectory")),
        "tags": tags,
    }


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = AccessPointTask(module, retrying_client(module, "efs"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleEFSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
