#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: s3_bucket_logging
short_description: Turn Amazon S3 server access logging of a bucket on or off
version_added: 0.1.0
description:
  - Sets where S3 delivers the server access logs of the bucket O(name) (PutBucketLogging), or stops them.
  - Unlike M(community.aws.s3_logging), this module never changes the target bucket's ACL. AWS recommends a bucket
    policy on the target bucket that allows C(s3:PutObject) to the service principal C(logging.s3.amazonaws.com)
    under the target prefix, with C(aws:SourceArn) and C(aws:SourceAccount) conditions, and a bucket whose object
    ownership is C(BucketOwnerEnforced) (ACLs disabled) rejects the ACL grant that module adds.
  - S3 checks only that the target bucket exists in the same account and Region; whether the logs can then be
    delivered is up to the target bucket's policy, which this module does not read.
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) delivers the bucket's access logs to O(target_bucket) under O(target_prefix).
      - V(absent) stops the delivery (logs already delivered stay in the target bucket).
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The bucket whose requests are logged.
    type: str
    required: true
  target_bucket:
    description:
      - The bucket that receives the logs, in the same account and Region as O(name). Required when
        O(state=present).
    type: str
  target_prefix:
    description:
      - Key prefix of the log objects, for example V(s3/my-bucket/). S3 puts the object name right after it, so
        end it with C(/) to keep the logs in a folder.
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log the requests to the data bucket into the log bucket
  dagster_ecs.aws.s3_bucket_logging:
    name: dagster-ecs-dev-123456789012
    target_bucket: dagster-ecs-dev-123456789012-logs
    target_prefix: s3/dagster-ecs-dev-123456789012/

- name: Stop logging the requests
  dagster_ecs.aws.s3_bucket_logging:
    name: dagster-ecs-dev-123456789012
    state: absent
"""

RETURN = r"""
bucket_logging:
  description:
    - Where the bucket's access logs go after the task (in check mode, as they would). Empty when logging is off.
  returned: always
  type: dict
  contains:
    target_bucket:
      description: The bucket receiving the logs.
      type: str
      sample: dagster-ecs-dev-123456789012-logs
    target_prefix:
      description: Key prefix of the log objects.
      type: str
      sample: s3/dagster-ecs-dev-123456789012/
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, result, retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.s3 import (
    AnsibleS3Error,
    get_bucket_logging,
    put_bucket_logging,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "target_bucket": {},
    "target_prefix": {"default": ""},
}


def current_logging(module: AnsibleAWSModule, client: Client, bucket: str) -> dict[str, str]:
    answer = get_bucket_logging(client, bucket)
    if answer is None:
        module.fail_json(msg=f"The bucket {bucket} does not exist")
    enabled = answer.get("LoggingEnabled")
    if not enabled:
        return {}
    return {"target_bucket": enabled["TargetBucket"], "target_prefix": enabled.get("TargetPrefix", "")}


def logging_status(wanted: dict[str, str]) -> dict[str, Any]:
    """PutBucketLogging's BucketLoggingStatus: empty turns logging off."""
    if not wanted:
        return {}
    return {"LoggingEnabled": {"TargetBucket": wanted["target_bucket"], "TargetPrefix": wanted["target_prefix"]}}


def converge(module: AnsibleAWSModule, client: Client) -> dict[str, Any]:
    bucket = module.params["name"]
    before = current_logging(module, client, bucket)
    after: dict[str, str] = {}
    if module.params["state"] == "present":
        after = {"target_bucket": module.params["target_bucket"], "target_prefix": module.params["target_prefix"]}
    changed = before != after
    if changed and not module.check_mode:
        put_bucket_logging(client, bucket, logging_status(after))
        after = current_logging(module, client, bucket)
    return result(module, changed, before, after, bucket_logging=after)


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("state", "present", ["target_bucket"])],
        supports_check_mode=True,
    )
    try:
        returned = converge(module, retrying_client(module, "s3"))
    except AnsibleS3Error as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
