# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers shared by the dagster_ecs.aws ECS and Cloud Map modules: clients, tags, comparison and diff."""

from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

# boto3 clients and their answers are untyped.
Client = Any
Description = dict[str, Any]
Tags = dict[str, str]


def client(module: AnsibleAWSModule, service: str) -> Client:
    """A boto3 client retried with jittered backoff when called with aws_retry=True."""
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff())


def drop_empty(value: Any) -> Any:
    """`value` without None, empty lists and empty dicts at any depth: AWS omits what the request left empty."""
    if isinstance(value, dict):
        cleaned = {key: drop_empty(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, [], {})}
    if isinstance(value, list):
        cleaned_list = [drop_empty(item) for item in value]
        return [item for item in cleaned_list if item not in (None, [], {})]
    return value


def differences(current: Any, wanted: Any, path: str = "") -> list[str]:
    """Human-readable differences between two values, e.g. 'desired_count: 1 -> 2'."""
    if isinstance(current, dict) and isinstance(wanted, dict):
        found = []
        for key in sorted(set(current) | set(wanted)):
            found.extend(differences(current.get(key), wanted.get(key), f"{path}.{key}" if path else str(key)))
        return found
    return [] if current == wanted else [f"{path}: {current!r} -> {wanted!r}"]


def predict_tags(current: Tags, wanted: Tags | None, purge: bool) -> Tags:
    """The tags a resource will have once its tags are converged (tags=None leaves them alone)."""
    if wanted is None:
        return dict(current)
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    result = {key: value for key, value in current.items() if key not in to_unset}
    result.update(to_set)
    return result


def tags_to_dict(tags: list[dict[str, str]] | None) -> Tags:
    """ECS (key/value) or Cloud Map (Key/Value) tag list as a dict."""
    if not tags:
        return {}
    if "key" in tags[0]:
        return boto3_tag_list_to_ansible_dict(tags, "key", "value")
    return boto3_tag_list_to_ansible_dict(tags)


def ecs_tag_list(tags: Tags | None) -> list[dict[str, str]]:
    """A dict as ECS's lowercase key/value tag list."""
    return ansible_dict_to_boto3_tag_list(tags or {}, "key", "value")


def ensure_tags(
    module: AnsibleAWSModule,
    aws: Client,
    arn: str,
    current: Tags,
    wanted: Tags | None,
    purge: bool,
    lowercase_keys: bool,
) -> bool:
    """Converge a resource's tags with TagResource / UntagResource; True if anything changed (also in check mode).

    ECS names the ARN `resourceArn` and tags key/value; Cloud Map `ResourceARN` and Key/Value.
    """
    if wanted is None:
        return False
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    if not (to_set or to_unset):
        return False
    if module.check_mode:
        return True
    try:
        if lowercase_keys:
            if to_unset:
                aws.untag_resource(aws_retry=True, resourceArn=arn, tagKeys=to_unset)
            if to_set:
                aws.tag_resource(aws_retry=True, resourceArn=arn, tags=ecs_tag_list(to_set))
        else:
            if to_unset:
                aws.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=to_unset)
            if to_set:
                aws.tag_resource(aws_retry=True, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to update the tags of {arn}")
    return True


def lacks_required_tags(module: AnsibleAWSModule, what: str, tags: Tags) -> bool:
    """True (after a warning) when O(require_tags) is set and `tags` do not carry all of them."""
    required = module.params.get("require_tags") or {}
    missing = {key: value for key, value in required.items() if tags.get(key) != value}
    if missing:
        module.warn(f"Not deleting {what}: it lacks the required tags {missing}, so this playbook did not create it.")
    return bool(missing)
