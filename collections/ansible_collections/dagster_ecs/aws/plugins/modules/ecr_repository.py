#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repository
short_description: Read an Amazon ECR repository's facts and converge its tags
version_added: 0.1.0
description:
  - Describes one ECR repository (settings, lifecycle policy, tags, image count).
  - Without O(tags) it is read-only and returns an empty RV(repository) when the repository does not exist.
  - With O(tags) it sets the tags of the existing repository (TagResource / UntagResource) and fails when the
    repository does not exist.
  - M(community.aws.ecs_ecr) manages a repository's settings but neither its tags nor reports its lifecycle policy,
    tags and image count under check mode; this module completes it.
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  name:
    description:
      - Name of the repository, for example V(dagster-ecs-dev/dagster).
    type: str
    required: true
  registry_id:
    description:
      - AWS account that holds the repository; the caller's account when unset.
    type: str
  tags:
    description:
      - Tags the repository must carry; with O(purge_tags=true) (the default), exactly these.
      - When unset the tags are left alone.
    type: dict
    aliases: [resource_tags]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the Dagster image repository
  dagster_ecs.aws.ecr_repository:
    name: dagster-ecs-dev/dagster
  register: repository

- name: Tag the Dagster image repository
  dagster_ecs.aws.ecr_repository:
    name: dagster-ecs-dev/dagster
    tags:
      Project: dagster-ecs
      Environment: dev
"""

RETURN = r"""
repository:
  description: The repository after the task (in check mode, as it would be); empty when it does not exist.
  returned: always
  type: dict
  contains:
    repository_name:
      description: Name of the repository.
      type: str
    repository_arn:
      description: ARN of the repository.
      type: str
    repository_uri:
      description: URI to push and pull images.
      type: str
    registry_id:
      description: AWS account that holds the repository.
      type: str
    image_tag_mutability:
      description: C(MUTABLE) or C(IMMUTABLE).
      type: str
    scan_on_push:
      description: Whether images are scanned when pushed.
      type: bool
    encryption_configuration:
      description: C(encryption_type) and, for KMS, C(kms_key).
      type: dict
    lifecycle_policy:
      description: The lifecycle policy document; empty when none is set.
      type: dict
    tags:
      description: Tags of the repository.
      type: dict
    image_count:
      description: Number of images (tagged or not) in the repository.
      type: int
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    predict_tags,
    result,
    retrying_client,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecr import (
    ECR_TAGS,
    AnsibleECRError,
    describe_repository,
    image_count,
    lifecycle_policy,
    repository_tags,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "name": {"required": True},
    "registry_id": {},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}


def describe(client: Client, name: str, registry: dict[str, str]) -> Description:
    """The repository in the shape the module returns it; empty when it does not exist."""
    found = describe_repository(client, name, registry)
    if found is None:
        return {}
    encryption = found.get("encryptionConfiguration") or {}
    return {
        "repository_name": found["repositoryName"],
        "repository_arn": found["repositoryArn"],
        "repository_uri": found["repositoryUri"],
        "registry_id": found["registryId"],
        "image_tag_mutability": found.get("imageTagMutability"),
        "scan_on_push": bool((found.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "encryption_configuration": {
            "encryption_type": encryption.get("encryptionType"),
            **({"kms_key": encryption["kmsKey"]} if encryption.get("kmsKey") else {}),
        },
        "lifecycle_policy": lifecycle_policy(client, name, registry),
        "tags": boto3_tag_list_to_ansible_dict(repository_tags(client, found["repositoryArn"])),
        "image_count": image_count(client, name, registry),
    }


def converge(module: AnsibleAWSModule, client: Client) -> dict[str, Any]:
    name, wanted, purge = module.params["name"], module.params["tags"], module.params["purge_tags"]
    registry = {"registryId": module.params["registry_id"]} if module.params["registry_id"] else {}
    before = describe(client, name, registry)
    if not before:
        if wanted is not None:
            module.fail_json(msg=f"Cannot tag ECR repository {name}: it does not exist")
        return {"changed": False, "repository": {}}
    current = before["tags"]
    changed = converge_tags(module, client, ECR_TAGS, before["repository_arn"], current, wanted, purge)
    after = {**before, "tags": predict_tags(current, wanted, purge)}
    return result(module, changed, {"tags": current}, {"tags": after["tags"]}, repository=after)


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        returned = converge(module, retrying_client(module, "ecr"))
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
