#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: efs_file_system_info
short_description: Describe Amazon EFS file systems with their mount targets, access points and policies
version_added: 0.1.0
description:
  - Read-only. Returns the file systems matching O(name), O(file_system_id) or O(creation_token) (all of them
    when none is given), each with its tags, mount targets, access points, file system policy, backup policy and
    lifecycle configuration.
  - Runs in check mode too, so later tasks can find ids under C(--check).
author: dagster-ecs maintainers
options:
  name:
    description:
      - Only file systems whose C(Name) tag is this value.
    type: str
  file_system_id:
    description:
      - Only the file system with this ID. None is returned when it does not exist.
    type: str
    aliases: [id]
  creation_token:
    description:
      - Only the file system with this creation token.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find Dagster's file system, also under --check
  dagster_ecs.aws.efs_file_system_info:
    name: dagster-prod
  register: efs_info

- name: Use its ID
  ansible.builtin.debug:
    msg: "{{ efs_info.file_systems[0].file_system_id }}"
  when: efs_info.file_systems | length > 0
"""

RETURN = r"""
file_systems:
  description: The matching file systems.
  returned: always
  type: list
  elements: dict
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
    tags:
      description: Tags of the file system.
      type: dict
    mount_targets:
      description: Mount targets, each with its security groups.
      type: list
      elements: dict
    access_points:
      description: Access points, each with its tags as a dict.
      type: list
      elements: dict
    lifecycle:
      description: Lifecycle transitions, keyed like the C(lifecycle) option of efs_file_system.
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

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.efs import (
    AnsibleEFSError,
    describe_file_systems,
    file_system_to_ansible,
    name_tag,
    read_file_system,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "name": {},
    "file_system_id": {"aliases": ["id"]},
    "creation_token": {},
}


def find(params: dict[str, Any], client: Client) -> list[dict[str, Any]]:
    """The file systems the options select, as the module returns them."""
    found = describe_file_systems(
        client, file_system_id=params["file_system_id"], creation_token=params["creation_token"]
    )
    if params["name"] is not None:
        found = [fs for fs in found if name_tag(fs) == params["name"]]
    return [file_system_to_ansible(read_file_system(client, fs, include_access_points=True)) for fs in found]


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("file_system_id", "creation_token")],
        supports_check_mode=True,
    )
    try:
        file_systems = find(module.params, retrying_client(module, "efs"))
    except AnsibleEFSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, file_systems=file_systems)


if __name__ == "__main__":
    main()
