#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repository_tags
short_description: Manage the tags of an Amazon ECR repository
version_added: 0.1.0
description:
  - Sets the tags of an existing ECR repository (TagResource / UntagResource).
  - M(community.aws.ecs_ecr) manages a repository's settings but not its tags; this module completes it.
  - Supports check mode and diff mode.
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
  tags:
    description:
      - Tags the repository must carry; with O(purge_tags=true) (the default), exactly these.
    type: dict
    required: true
    aliases: [resource_tags]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tag the Dagster image repository
  dagster_ecs.aws.ecr_repository_tags:
    repository_name: dagster-ecs-dev/dagster
    tags:
      Project: dagster-ecs
      Environment: dev
"""

RETURN = r"""
repository_arn:
  description: ARN of the repository.
  returned: always
  type: str
tags:
  description: The repository's tags after the task (in check mode, as they would be).
  returned: always
  type: dict
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    AWS_ERRORS,
    TagApi,
    converge_tags,
    predict_tags,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import client as retrying_client

ARGUMENT_SPEC: dict[str, Any] = {
    "repository_name": {"required": True},
    "registry_id": {},
    "tags": {"type": "dict", "required": True, "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

# ECR tags a repository by ARN with Key/Value items.
ECR_TAGS = TagApi("resourceArn", "tags", "tagKeys")


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = retrying_client(module, "ecr")
    name = module.params["repository_name"]
    describe: dict[str, Any] = {"repositoryNames": [name]}
    if module.params["registry_id"]:
        describe["registryId"] = module.params["registry_id"]
    try:
        [repository] = client.describe_repositories(aws_retry=True, **describe)["repositories"]
        repository_arn = repository["repositoryArn"]
        current = boto3_tag_list_to_ansible_dict(
            client.list_tags_for_resource(aws_retry=True, resourceArn=repository_arn)["tags"]
        )
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read the tags of ECR repository {name}")
    wanted, purge = module.params["tags"], module.params["purge_tags"]
    after = predict_tags(current, wanted, purge)
    changed = converge_tags(module, client, ECR_TAGS, repository_arn, current, wanted, purge)
    result: dict[str, Any] = {"changed": changed, "repository_arn": repository_arn, "tags": after}
    if module._diff:
        result["diff"] = {"before": {"tags": current}, "after": {"tags": after}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
