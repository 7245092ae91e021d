#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_info
short_description: Find image tags in an Amazon ECR repository
version_added: 0.1.0
description:
  - Read-only. Looks each of O(image_tags) up with ECR's DescribeImages and reports the images found and the
    tags that are missing.
  - A repository that does not exist yet is not an error (every tag is missing), so a role can decide under
    check mode on a new account that it would push.
author: dagster-ecs maintainers
options:
  repository_name:
    description:
      - Name of the repository, for example V(dagster-ecs-dev/dagster).
    type: str
    required: true
  registry_id:
    description:
      - AWS account that holds the repository; the caller's account when unset.
    type: str
  image_tags:
    description:
      - The tags to look for.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is the image already in ECR?
  dagster_ecs.aws.ecr_image_info:
    repository_name: dagster-ecs-dev/dagster
    image_tags: [1fd583f0a1b2-9c1e0d6a2f3b4c5d]
  register: found

- name: Push only what is missing
  ansible.builtin.debug:
    msg: "{{ found.missing_tags }}"
"""

RETURN = r"""
repository_exists:
  description: Whether the repository exists.
  returned: always
  type: bool
images:
  description: The images that carry one of O(image_tags), once each.
  returned: always
  type: list
  elements: dict
  contains:
    image_digest:
      description: The image manifest's digest.
      type: str
    image_tags:
      description: Every tag of the image.
      type: list
      elements: str
    image_pushed_at:
      description: When the image was pushed (ISO 8601).
      type: str
    image_size_in_bytes:
      description: The compressed size ECR reports.
      type: int
missing_tags:
  description: The tags of O(image_tags) that no image in the repository carries.
  returned: always
  type: list
  elements: str
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecr import AnsibleECRError, images_tagged

ARGUMENT_SPEC: dict[str, Any] = {
    "repository_name": {"required": True},
    "registry_id": {},
    "image_tags": {"type": "list", "elements": "str", "required": True},
}


def describe(image: dict[str, Any]) -> dict[str, Any]:
    pushed_at = image.get("imagePushedAt")
    return {
        "image_digest": image["imageDigest"],
        "image_tags": sorted(image.get("imageTags") or []),
        "image_pushed_at": pushed_at.isoformat() if pushed_at else "",
        "image_size_in_bytes": image.get("imageSizeInBytes", 0),
    }


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = retrying_client(module, "ecr")
    name = module.params["repository_name"]
    registry: dict[str, Any] = {"registryId": module.params["registry_id"]} if module.params["registry_id"] else {}
    images: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    # One tag per call: DescribeImages fails the whole request when any of the image ids it is given is missing.
    for tag in module.params["image_tags"]:
        try:
            found = images_tagged(client, name, tag, registry)
        except AnsibleECRError as e:
            module.fail_json_aws_error(e)
        if found is None:
            module.exit_json(
                changed=False, repository_exists=False, images=[], missing_tags=list(module.params["image_tags"])
            )
        for image in found:
            images[image["imageDigest"]] = describe(image)
        if not found:
            missing.append(tag)
    module.exit_json(changed=False, repository_exists=True, images=list(images.values()), missing_tags=missing)


if __name__ == "__main__":
    main()
