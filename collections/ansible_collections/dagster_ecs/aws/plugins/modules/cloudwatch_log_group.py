#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_log_group
short_description: Manage an Amazon CloudWatch Logs log group, its retention, KMS key and tags
version_added: 0.1.0
description:
  - Create, update or delete a CloudWatch Logs log group.
  - Unlike M(amazon.aws.cloudwatchlogs_log_group), which applies retention changes even in check mode, this
    module makes no write call in check mode, and reports every change (retention, KMS key, tags) in diff mode.
  - The settings are declarative. O(retention_in_days=null) means the events never expire (any retention policy
    is removed) and O(kms_key_id=null) means no customer managed key (any associated key is disassociated).
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) creates or updates the log group; V(absent) deletes it with its events.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of the log group, for example V(/dagster-ecs-dev/webserver).
    type: str
    required: true
  retention_in_days:
    description:
      - Days CloudWatch Logs keeps the events; one of the values AWS accepts. Unset means never expire.
    type: int
    choices: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
  kms_key_id:
    description:
      - ARN of the KMS key that encrypts the events. Unset means the service-owned key.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Webserver logs, kept for 30 days
  dagster_ecs.aws.cloudwatch_log_group:
    name: /dagster-ecs-dev/webserver
    retention_in_days: 30
    tags:
      Project: dagster-ecs
      Environment: dev

- name: Delete the log group and its events
  dagster_ecs.aws.cloudwatch_log_group:
    name: /dagster-ecs-dev/webserver
    state: absent
"""

RETURN = r"""
log_group:
  description:
    - The log group after the task (in check mode, as it was before). Empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the log group.
      type: str
      sample: /dagster-ecs-dev/webserver
    arn:
      description: ARN of the log group, without the C(:*) suffix DescribeLogGroups adds.
      type: str
      sample: arn:aws:logs:ap-southeast-2:123456789012:log-group:/dagster-ecs-dev/webserver
    retention_in_days:
      description: Days the events are kept; null when they never expire.
      type: int
      sample: 30
    kms_key_id:
      description: ARN of the KMS key; null for the service-owned key.
      type: str
    creation_time:
      description: Creation time in milliseconds since the epoch.
      type: int
    tags:
      description: Tags of the log group.
      type: dict
      sample: {"Project": "dagster-ecs"}
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    predict_tags,
    result,
    retrying_client,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.logs import (
    AnsibleLogsError,
    create_log_group,
    delete_log_group,
    log_group_tags,
    log_groups_named,
    update_log_group,
)

RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922]
RETENTION_DAYS += [3288, 3653]

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "retention_in_days": {"type": "int", "choices": RETENTION_DAYS},
    "kms_key_id": {},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}


class LogGroupTask:
    def __init__(self, module: AnsibleAWSModule, client: Client) -> None:
        self.module = module
        self.client = client
        self.name: str = module.params["name"]

    def find(self) -> Description | None:
        """The log group with exactly this name (DescribeLogGroups matches by prefix), with its tags."""
        found = [group for group in log_groups_named(self.client, self.name) if group["logGroupName"] == self.name]
        if not found:
            return None
        group = found[0]
        group["tags"] = log_group_tags(self.client, self.name, arn(group))
        return group

    def present(self) -> dict[str, Any]:
        params = self.module.params
        current = self.find()
        wanted_tags = params["tags"]
        if current is None:
            after = {
                "name": self.name,
                "retention_in_days": params["retention_in_days"],
                "kms_key_id": params["kms_key_id"],
                "tags": wanted_tags or {},
            }
            if not self.module.check_mode:
                self.create(after)
                current = self.find()
                after = summarize(current) if current else after
            return self.result(True, None, after, current)

        before = summarize(current)
        after = {**before, "retention_in_days": params["retention_in_days"], "kms_key_id": params["kms_key_id"]}
        after["tags"] = predict_tags(before["tags"], wanted_tags, params["purge_tags"])
        changed = before != after
        if changed and not self.module.check_mode:
            update_log_group(self.client, self.name, arn(current), before, after)
            current = self.find()
            after = summarize(current) if current else after
        return self.result(changed, before, after, current)

    def create(self, wanted: dict[str, Any]) -> None:
        request: dict[str, Any] = {}
        if wanted["kms_key_id"]:
            request["kmsKeyId"] = wanted["kms_key_id"]
        if wanted["tags"]:
            request["tags"] = wanted["tags"]
        create_log_group(self.client, self.name, request, wanted["retention_in_days"])

    def absent(self) -> dict[str, Any]:
        current = self.find()
        if current is None:
            return self.result(False, None, None, None)
        if not self.module.check_mode:
            delete_log_group(self.client, self.name)
        return self.result(True, summarize(current), None, None)

    def result(
        self, changed: bool, before: dict[str, Any] | None, after: dict[str, Any] | None, group: Description | None
    ) -> dict[str, Any]:
        return result(self.module, changed, before, after, log_group=to_ansible(group) if group else {})


def arn(group: Description) -> str:
    """The log group's ARN as TagResource wants it: DescribeLogGroups' `arn` ends with `:*`."""
    return group["arn"].removesuffix(":*")


def summarize(group: Description) -> dict[str, Any]:
    """The managed settings, as compared between runs and shown in the diff."""
    return {
        "name": group["logGroupName"],
        "retention_in_days": group.get("retentionInDays"),
        "kms_key_id": group.get("kmsKeyId"),
        "tags": dict(group.get("tags") or {}),
    }


def to_ansible(group: Description) -> dict[str, Any]:
    return {
        **summarize(group),
        "arn": arn(group),
        "creation_time": group.get("creationTime"),
    }


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = retrying_client(module, "logs")
    task = LogGroupTask(module, client)
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleLogsError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
