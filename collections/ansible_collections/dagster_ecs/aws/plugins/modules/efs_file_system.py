#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: efs_file_system
short_description: Manage an Amazon EFS file system, its mount targets and its policies
version_added: 0.1.0
description:
  - Create, update or delete an Amazon EFS file system identified by its O(name) (the C(Name) tag) and its
    O(creation_token).
  - Reconciles tags, throughput, lifecycle configuration, automatic backups, the file system policy and the
    mount targets. Settings left unset are not managed.
  - Settings AWS cannot change after creation (O(encrypted), O(kms_key_id), O(performance_mode),
    O(availability_zone_name)) make the module fail when they differ from the existing file system.
  - Uses ListTagsForResource, TagResource and UntagResource, never the deprecated DescribeTags.
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) creates or updates the file system.
      - V(absent) deletes its access points and mount targets, then the file system.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The C(Name) tag of the file system.
      - The file system is looked up by O(creation_token) first; if none has it, the one file system whose
        C(Name) tag is O(name) is managed.
    type: str
    required: true
  creation_token:
    description:
      - Idempotency token of CreateFileSystem, unique per account and region. Defaults to O(name).
    type: str
  encrypted:
    description:
      - Whether data at rest is encrypted. Cannot be changed after creation.
    type: bool
    default: true
  kms_key_id:
    description:
      - KMS key (ID, ARN, alias or alias ARN) that encrypts the file system; the AWS managed key when unset.
      - Cannot be changed after creation. An alias is not compared with an existing file system's key.
    type: str
  performance_mode:
    description:
      - Performance mode. Cannot be changed after creation. AWS uses V(generalPurpose) when unset.
    type: str
    choices: [generalPurpose, maxIO]
  throughput_mode:
    description:
      - Throughput mode. AWS uses V(bursting) when unset at creation; not managed when unset.
    type: str
    choices: [bursting, provisioned, elastic]
  provisioned_throughput_in_mibps:
    description:
      - Provisioned throughput in MiB/s. Required when O(throughput_mode=provisioned).
    type: float
  availability_zone_name:
    description:
      - Creates a One Zone file system in this Availability Zone. Cannot be changed after creation.
    type: str
  lifecycle:
    description:
      - The complete lifecycle configuration (PutLifecycleConfiguration). Transitions left out are removed.
      - V({}) removes every transition. Not managed when unset.
    type: dict
    suboptions:
      transition_to_ia:
        description: Move files to Infrequent Access after this long without access.
        type: str
        choices: [AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS,
                  AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS]
      transition_to_archive:
        description: Move files to Archive storage after this long without access.
        type: str
        choices: [AFTER_1_DAY, AFTER_7_DAYS, AFTER_14_DAYS, AFTER_30_DAYS, AFTER_60_DAYS, AFTER_90_DAYS,
                  AFTER_180_DAYS, AFTER_270_DAYS, AFTER_365_DAYS]
      transition_to_primary_storage_class:
        description: Move files back to Standard storage on their first access.
        type: str
        choices: [AFTER_1_ACCESS]
  backup:
    description:
      - Whether AWS Backup takes automatic daily backups (PutBackupPolicy). Not managed when unset.
    type: bool
  policy:
    description:
      - The file system policy, a JSON document or a dict. Compared semantically with the current policy.
      - V({}) removes the policy (DeleteFileSystemPolicy), restoring the default. Not managed when unset.
    type: json
  bypass_policy_lockout_safety_check:
    description:
      - Passed to PutFileSystemPolicy; only set it when the policy intentionally locks out the caller.
    type: bool
    default: false
  mount_targets:
    description:
      - The complete list of mount targets, at most one per Availability Zone and all in one VPC.
      - Mount targets in subnets not listed are deleted, missing ones created, and security groups updated.
      - V([]) deletes every mount target. Not managed when unset.
    type: list
    elements: dict
    suboptions:
      subnet_id:
        description: Subnet of the mount target.
        type: str
        required: true
      security_groups:
        description:
          - Security groups of the mount target (at most 5). When unset, AWS assigns the VPC's default
            security group at creation and the groups of an existing mount target are left alone.
        type: list
        elements: str
  wait:
    description:
      - Wait for new mount targets to be available, and for deleted access points and the file system to be gone.
      - A new file system is always waited for (its mount targets and policies need it available), and so are
        deleted mount targets (a file system, or a new mount target in the same zone, needs them gone).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each resource when O(wait=true).
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dagster's shared file system, mounted from two private subnets
  dagster_ecs.aws.efs_file_system:
    name: dagster-prod
    throughput_mode: elastic
    backup: true
    lifecycle:
      transition_to_ia: AFTER_30_DAYS
      transition_to_primary_storage_class: AFTER_1_ACCESS
    mount_targets:
      - subnet_id: subnet-0a1b2c3d4e5f60001
        security_groups: [sg-0a1b2c3d4e5f60001]
      - subnet_id: subnet-0a1b2c3d4e5f60002
        security_groups: [sg-0a1b2c3d4e5f60001]
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: RequireTls
          Effect: Deny
          Principal: {AWS: "*"}
          Action: "*"
          Condition: {Bool: {"aws:SecureTransport": "false"}}
    tags:
      Project: dagster-ecs
  register: efs

- name: Remove the file system policy and every mount target
  dagster_ecs.aws.efs_file_system:
    name: dagster-prod
    policy: {}
    mount_targets: []

- name: Delete the file system, its access points and mount targets
  dagster_ecs.aws.efs_file_system:
    name: dagster-prod
    state: absent
"""

RETURN = r"""
file_system:
  description:
    - The file system after the task (in check mode, as it was before). Empty when it does not exist.
  returned: always
  type: dict
  contains:
    file_system_id:
      description: ID of the file system.
      type: str
      sample: fs-0123456789abcdef0
    file_system_arn:
      description: ARN of the file system.
      type: str
    creation_token:
      description: Creation token of the file system.
      type: str
    name:
      description: Value of the C(Name) tag.
      type: str
    life_cycle_state:
      description: C(creating), C(available), C(updating), C(deleting), C(deleted) or C(error).
      type: str
      sample: available
    encrypted:
      description: Whether data at rest is encrypted.
      type: bool
    kms_key_id:
      description: ARN of the KMS key that encrypts the file system.
      type: str
    performance_mode:
      description: Performance mode.
      type: str
    throughput_mode:
      description: Throughput mode.
      type: str
    provisioned_throughput_in_mibps:
      description: Provisioned throughput, for the provisioned throughput mode.
      type: float
    number_of_mount_targets:
      description: Number of mount targets.
      type: int
    size_in_bytes:
      description: Metered size of the data.
      type: dict
    tags:
      description: Tags of the file system.
      type: dict
      sample: {"Name": "dagster-prod"}
    mount_targets:
      description: Mount targets, each with its security groups.
      type: list
      elements: dict
      sample: [{"mount_target_id": "fsmt-0123", "subnet_id": "subnet-0123", "security_groups": ["sg-0123"],
                "ip_address": "10.0.1.10", "life_cycle_state": "available"}]
    lifecycle:
      description: Lifecycle transitions, keyed like the O(lifecycle) option.
      type: dict
      sample: {"transition_to_ia": "AFTER_30_DAYS"}
    backup_policy:
      description: Backup policy.
      type: dict
      sample: {"status": "ENABLED"}
    policy:
      description: The file system policy, or null when the default policy is in effect.
      type: dict
"""

import json
from typing import Any

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    predict_tags,
    result,
    retrying_client,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.efs import (
    EFS_TAGS,
    AnsibleEFSError,
    access_point_state,
    create_file_system,
    create_mount_target,
    delete_access_point,
    delete_file_system,
    delete_mount_target,
    describe_access_points,
    describe_file_systems,
    describe_mount_targets,
    desired_tags,
    file_system_state,
    file_system_to_ansible,
    find_file_system,
    modify_mount_target_security_groups,
    mount_target_state,
    put_backup,
    put_lifecycle,
    put_policy,
    read_file_system,
    update_file_system,
    wait_for,
)

LIFECYCLE_CHOICES = [
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
]

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "creation_token": {},
    "encrypted": {"type": "bool", "default": True},
    "kms_key_id": {"no_log": False},
    "performance_mode": {"choices": ["generalPurpose", "maxIO"]},
    "throughput_mode": {"choices": ["bursting", "provisioned", "elastic"]},
    "provisioned_throughput_in_mibps": {"type": "float"},
    "availability_zone_name": {},
    "lifecycle": {
        "type": "dict",
        "options": {
            "transition_to_ia": {"choices": LIFECYCLE_CHOICES},
            "transition_to_archive": {"choices": LIFECYCLE_CHOICES},
            "transition_to_primary_storage_class": {"choices": ["AFTER_1_ACCESS"]},
        },
    },
    "backup": {"type": "bool"},
    "policy": {"type": "json"},
    "bypass_policy_lockout_safety_check": {"type": "bool", "default": False},
    "mount_targets": {
        "type": "list",
        "elements": "dict",
        "options": {
            "subnet_id": {"required": True},
            "security_groups": {"type": "list", "elements": "str"},
        },
    },
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}


def summarize(details: Description) -> dict[str, Any]:
    """The managed settings of a file system, as compared between runs and shown in the diff."""
    return {
        "name": details["Tags"].get("Name"),
        "creation_token": details["CreationToken"],
        "encrypted": bool(details.get("Encrypted")),
        "kms_key_id": details.get("KmsKeyId"),
        "performance_mode": details.get("PerformanceMode"),
        "throughput_mode": details.get("ThroughputMode"),
        "provisioned_throughput_in_mibps": details.get("ProvisionedThroughputInMibps"),
        "availability_zone_name": details.get("AvailabilityZoneName"),
        "tags": details["Tags"],
        "lifecycle": details["Lifecycle"],
        "backup": details["BackupPolicy"]["Status"] in ("ENABLED", "ENABLING"),
        "policy": details["Policy"],
        "mount_targets": sorted(
            (
                {"subnet_id": mt["SubnetId"], "security_groups": sorted(mt.get("SecurityGroups") or [])}
                for mt in details["MountTargets"]
            ),
            key=lambda mt: mt["subnet_id"],
        ),
    }


class FileSystemTask:
    """One run of the module: reads the file system, works out the wanted state and applies the differences."""

    def __init__(self, module: AnsibleAWSModule, client: Client) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.name: str = self.params["name"]
        self.creation_token: str = self.params["creation_token"] or self.name
        self.wanted_tags, self.purge_tags = desired_tags(self.name, self.params["tags"], self.params["purge_tags"])

    # ------------------------------------------------------------------------------------------ wanted state

    def wanted_policy(self) -> dict[str, Any] | None:
        """The policy option parsed; None for `{}` (the default policy)."""
        try:
            policy = json.loads(self.params["policy"])
        except ValueError as e:
            self.module.fail_json(msg=f"policy is not valid JSON: {e}")
        if not isinstance(policy, dict):
            self.module.fail_json(msg="policy must be a JSON object (a dict), or {} to remove the policy")
        return policy or None

    def wanted(self, before: dict[str, Any] | None) -> dict[str, Any]:
        """The summary the file system will have after this run; `before` is None when it does not exist yet."""
        p = self.params
        after = dict(before) if before else self.new_file_system_summary()
        if before:
            after["tags"] = predict_tags(before["tags"], self.wanted_tags, self.purge_tags)
            after["name"] = self.name
        if p["throughput_mode"] is not None:
            after["throughput_mode"] = p["throughput_mode"]
            after["provisioned_throughput_in_mibps"] = (
                p["provisioned_throughput_in_mibps"] if p["throughput_mode"] == "provisioned" else None
            )
        if p["lifecycle"] is not None:
            after["lifecycle"] = {key: value for key, value in p["lifecycle"].items() if value is not None}
        if p["backup"] is not None:
            after["backup"] = p["backup"]
        if p["policy"] is not None:
            policy = self.wanted_policy()
            current = after["policy"]
            if policy is None or current is None or compare_policies(current, policy):
                after["policy"] = policy
        if p["mount_targets"] is not None:
            current_groups = {mt["subnet_id"]: mt["security_groups"] for mt in after["mount_targets"]}
            after["mount_targets"] = sorted(
                (
                    {
                        "subnet_id": mt["subnet_id"],
                        "security_groups": sorted(mt["security_groups"])
                        if mt["security_groups"] is not None
                        else current_groups.get(mt["subnet_id"], []),
                    }
                    for mt in p["mount_targets"]
                ),
                key=lambda mt: mt["subnet_id"],
            )
        return after

    def new_file_system_summary(self) -> dict[str, Any]:
        """Summary of the file system CreateFileSystem makes from the options (AWS's defaults filled in)."""
        p = self.params
        return {
            "name": self.name,
            "creation_token": self.creation_token,
            "encrypted": p["encrypted"],
            "kms_key_id": p["kms_key_id"],
            "performance_mode": p["performance_mode"] or "generalPurpose",
            "throughput_mode": "bursting",
            "provisioned_throughput_in_mibps": None,
            "availability_zone_name": p["availability_zone_name"],
            "tags": dict(self.wanted_tags),
            "lifecycle": {},
            "backup": bool(p["backup"]),
            "policy": None,
            "mount_targets": [],
        }

    def check_immutable(self, before: dict[str, Any], file_system_id: str) -> None:
        """Fail naming every setting that differs but cannot be changed on an existing file system."""
        p = self.params
        problems = []
        if before["encrypted"] != p["encrypted"]:
            problems.append(f"encrypted is {before['encrypted']}, wanted {p['encrypted']}")
        if p["kms_key_id"] and before["kms_key_id"] and not same_kms_key(before["kms_key_id"], p["kms_key_id"]):
            problems.append(f"kms_key_id is {before['kms_key_id']}, wanted {p['kms_key_id']}")
        if p["performance_mode"] and before["performance_mode"] != p["performance_mode"]:
            problems.append(f"performance_mode is {before['performance_mode']}, wanted {p['performance_mode']}")
        if p["availability_zone_name"] and before["availability_zone_name"] != p["availability_zone_name"]:
            problems.append(
                f"availability_zone_name is {before['availability_zone_name']}, wanted {p['availability_zone_name']}"
            )
        if problems:
            self.module.fail_json(
                msg=f"EFS file system {self.name!r} ({file_system_id}) cannot be changed to match: "
                + "; ".join(problems)
                + ". AWS fixes these at creation: create a new file system (another name and creation_token), "
                "copy the data, then delete this one.",
                file_system_id=file_system_id,
            )

    # ------------------------------------------------------------------------------------------ run

    def present(self) -> dict[str, Any]:
        found = find_file_system(self.client, self.name, self.creation_token)
        if found is None:
            before_details = None
            before = None
        else:
            before_details = read_file_system(self.client, found)
            before = summarize(before_details)
            self.check_immutable(before, found["FileSystemId"])
        after = self.wanted(before)
        changed = after != before

        if self.module.check_mode or not changed:
            details = before_details
        else:
            if found is None:
                # Converge from what CreateFileSystem actually made, not from what it was asked for.
                created = self.read(self.create()["FileSystemId"])
                self.converge(created["FileSystemId"], summarize(created), after)
                details = self.read(created["FileSystemId"])
            else:
                self.converge(found["FileSystemId"], before or {}, after)
                details = self.read(found["FileSystemId"])
            after = summarize(details)
        return self.result(changed, before, after, details)

    def absent(self) -> dict[str, Any]:
        found = find_file_system(self.client, self.name, self.creation_token)
        if found is None:
            return self.result(False, None, None, None)
        details = read_file_system(self.client, found)
        if not self.module.check_mode:
            self.delete(details)
        return self.result(True, summarize(details), None, None)

    def result(
        self,
        changed: bool,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        details: Description | None,
    ) -> dict[str, Any]:
        return result(
            self.module, changed, before, after, file_system=file_system_to_ansible(details) if details else {}
        )

    # ------------------------------------------------------------------------------------------ writes

    def create(self) -> Description:
        file_system = create_file_system(self.client, self.name, self.create_request())
        file_system_id = file_system["FileSystemId"]
        # Mount targets and policies need an available file system, whatever `wait` says.
        wait_for(
            self.module,
            f"EFS file system {file_system_id}",
            lambda: file_system_state(self.client, file_system_id),
            ["available"],
            self.params["wait_timeout"],
        )
        return file_system

    def create_request(self) -> dict[str, Any]:
        """CreateFileSystem's parameters: the options AWS takes at creation, those left unset left out."""
        p = self.params
        options = {
            "creation_token": self.creation_token,
            "encrypted": p["encrypted"],
            "kms_key_id": p["kms_key_id"],
            "performance_mode": p["performance_mode"],
            "throughput_mode": p["throughput_mode"],
            "provisioned_throughput_in_mibps": p["provisioned_throughput_in_mibps"]
            if p["throughput_mode"] == "provisioned"
            else None,
            "availability_zone_name": p["availability_zone_name"],
            "backup": p["backup"],
        }
        request = snake_dict_to_camel_dict(
            {key: value for key, value in options.items() if value is not None}, capitalize_first=True
        )
        request["Tags"] = ansible_dict_to_boto3_tag_list(self.wanted_tags)
        return request

    def converge(self, file_system_id: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Apply every difference between `before` and `after` to the existing file system."""
        client = self.client
        converge_tags(self.module, client, EFS_TAGS, file_system_id, before["tags"], self.wanted_tags, self.purge_tags)
        throughput = ("throughput_mode", "provisioned_throughput_in_mibps")
        if any(before[key] != after[key] for key in throughput):
            update = {"throughput_mode": after["throughput_mode"]}
            if after["throughput_mode"] == "provisioned":
                update["provisioned_throughput_in_mibps"] = after["provisioned_throughput_in_mibps"]
            update_file_system(client, file_system_id, snake_dict_to_camel_dict(update, capitalize_first=True))
        if before["lifecycle"] != after["lifecycle"]:
            put_lifecycle(client, file_system_id, after["lifecycle"])
        if before["backup"] != after["backup"]:
            put_backup(client, file_system_id, after["backup"])
        if before["policy"] != after["policy"]:
            put_policy(client, file_system_id, after["policy"], self.params["bypass_policy_lockout_safety_check"])
        if before["mount_targets"] != after["mount_targets"]:
            self.converge_mount_targets(file_system_id, self.params["mount_targets"])

    def converge_mount_targets(self, file_system_id: str, wanted: list[dict[str, Any]]) -> None:
        """Delete mount targets in unlisted subnets first (freeing their AZ), then create and update."""
        current = {mt["SubnetId"]: mt for mt in describe_mount_targets(self.client, file_system_id)}
        wanted_by_subnet = {mt["subnet_id"]: mt for mt in wanted}
        extra = [mt["MountTargetId"] for subnet_id, mt in current.items() if subnet_id not in wanted_by_subnet]
        created = []
        for mount_target_id in extra:
            delete_mount_target(self.client, mount_target_id)
        for mount_target_id in extra:
            # Always waited for: a new mount target in the same Availability Zone needs the old one gone.
            self.wait_mount_target(mount_target_id, None)
        for subnet_id, spec in wanted_by_subnet.items():
            groups = spec["security_groups"]
            if subnet_id not in current:
                request = {"subnet_id": subnet_id, "security_groups": groups}
                request = {key: value for key, value in request.items() if value is not None}
                created.append(
                    create_mount_target(
                        self.client, file_system_id, snake_dict_to_camel_dict(request, capitalize_first=True)
                    )
                )
            elif groups is not None and sorted(groups) != sorted(current[subnet_id]["SecurityGroups"]):
                modify_mount_target_security_groups(self.client, current[subnet_id]["MountTargetId"], groups)
        if self.params["wait"]:
            for mount_target_id in created:
                self.wait_mount_target(mount_target_id, "available")

    def read(self, file_system_id: str) -> Description:
        found = describe_file_systems(self.client, file_system_id=file_system_id)
        if not found:
            raise AnsibleEFSError(message=f"EFS file system {file_system_id} was deleted while the task ran")
        return read_file_system(self.client, found[0])

    def wait_mount_target(self, mount_target_id: str, state: str | None) -> None:
        """Wait until the mount target is in `state`; None: until it is gone."""
        wait_for(
            self.module,
            f"EFS mount target {mount_target_id}",
            lambda: mount_target_state(self.client, mount_target_id),
            [state],
            self.params["wait_timeout"],
        )

    def delete(self, details: Description) -> None:
        """Access points, then mount targets (AWS refuses to delete a file system that has any), then it."""
        file_system_id = details["FileSystemId"]
        client = self.client
        access_points = describe_access_points(client, file_system_id=file_system_id)
        for access_point in access_points:
            delete_access_point(client, access_point["AccessPointId"])
        for mount_target in details["MountTargets"]:
            delete_mount_target(client, mount_target["MountTargetId"])
        for mount_target in details["MountTargets"]:
            # The file system can only be deleted once its mount targets are gone.
            self.wait_mount_target(mount_target["MountTargetId"], None)
        if self.params["wait"]:
            for access_point in access_points:
                wait_for(
                    self.module,
                    f"EFS access point {access_point['AccessPointId']}",
                    lambda ap=access_point["AccessPointId"]: access_point_state(client, ap),
                    [None],
                    self.params["wait_timeout"],
                )
        delete_file_system(client, file_system_id)
        if self.params["wait"]:
            wait_for(
                self.module,
                f"EFS file system {file_system_id}",
                lambda: file_system_state(client, file_system_id),
                [None],
                self.params["wait_timeout"],
            )


def same_kms_key(current: str, wanted: str) -> bool:
    """True when `wanted` names the key `current` (an ARN); aliases cannot be resolved here, so they match."""
    if current == wanted or wanted.startswith("alias/") or ":alias/" in wanted:
        return True
    return current.endswith(f":key/{wanted}")


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("throughput_mode", "provisioned", ["provisioned_throughput_in_mibps"])],
        supports_check_mode=True,
    )
    if module.params["kms_key_id"] and not module.params["encrypted"]:
        module.fail_json(msg="kms_key_id requires encrypted=true")
    task = FileSystemTask(module, retrying_client(module, "efs"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleEFSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
