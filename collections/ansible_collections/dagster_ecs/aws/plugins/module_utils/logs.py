# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The CloudWatch Logs calls of the dagster_ecs.aws log group module, failing with AnsibleLogsError (as amazon.aws's
ec2.py)."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description, Tags


class AnsibleLogsError(AnsibleAWSError):
    pass


class LogsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleLogsError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("ResourceNotFoundException")


@LogsErrorHandler.common_error_handler("describe log group {name}")
@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def log_groups_named(client: Client, name: str) -> list[Description]:
    """The log groups whose name starts with `name` (DescribeLogGroups matches by prefix)."""
    pages = client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name).build_full_result()
    return pages.get("logGroups", [])


@LogsErrorHandler.common_error_handler("list the tags of log group {name}")
def log_group_tags(client: Client, name: str, arn: str) -> Tags:
    return client.list_tags_for_resource(aws_retry=True, resourceArn=arn)["tags"]


@LogsErrorHandler.common_error_handler("create log group {name}")
def create_log_group(client: Client, name: str, request: dict[str, Any], retention_in_days: int | None) -> None:
    client.create_log_group(aws_retry=True, logGroupName=name, **request)
    if retention_in_days is not None:
        client.put_retention_policy(aws_retry=True, logGroupName=name, retentionInDays=retention_in_days)


@LogsErrorHandler.common_error_handler("update log group {name}")
def update_log_group(client: Client, name: str, arn: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Change what differs between `before` and `after` (summaries: retention, KMS key, tags)."""
    if before["retention_in_days"] != after["retention_in_days"]:
        if after["retention_in_days"] is None:
            client.delete_retention_policy(aws_retry=True, logGroupName=name)
        else:
            client.put_retention_policy(aws_retry=True, logGroupName=name, retentionInDays=after["retention_in_days"])
    if before["kms_key_id"] != after["kms_key_id"]:
        if after["kms_key_id"] is None:
            client.disassociate_kms_key(aws_retry=True, logGroupName=name)
        else:
            client.associate_kms_key(aws_retry=True, logGroupName=name, kmsKeyId=after["kms_key_id"])
    to_unset = sorted(set(before["tags"]) - set(after["tags"]))
    to_set = {key: value for key, value in after["tags"].items() if before["tags"].get(key) != value}
    if to_unset:
        client.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=to_unset)
    if to_set:
        client.tag_resource(aws_retry=True, resourceArn=arn, tags=to_set)


@LogsErrorHandler.deletion_error_handler("delete log group {name}")
def delete_log_group(client: Client, name: str) -> bool:
    """False when the group was already gone (deleted meanwhile: the goal is reached)."""
    client.delete_log_group(aws_retry=True, logGroupName=name)
    return True


@LogsErrorHandler.list_error_handler("read the log stream {stream} of log group {group}")
def log_messages(client: Client, group: str, stream: str) -> list[str] | None:
    """Every message of the log stream, oldest first; None when the stream (or the group) does not exist."""
    messages: list[str] = []
    request: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    while True:
        page = client.get_log_events(aws_retry=True, **request)
        messages.extend(event["message"] for event in page.get("events", []))
        token = page.get("nextForwardToken")
        if not page.get("events") or not token or token == request.get("nextToken"):
            return messages
        request["nextToken"] = token
