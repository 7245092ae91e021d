# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every dagster_ecs.aws module shares: a retrying client, tag convergence, comparison and results.

The service helpers (ecr.py, ecs.py, efs.py, servicediscovery.py, ...) make the AWS calls, each failing with its
service's AnsibleAWSError subclass (as amazon.aws's ec2.py); a service's tags only say how its TagResource /
UntagResource name the resource and the tags, and which error handler reports their failures.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
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


def retrying_client(module: AnsibleAWSModule, service: str) -> Client:
    """A boto3 client retried with jittered backoff when called with aws_retry=True."""
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff())


# ---------------------------------------------------------------------------------------------------- tags


def tags_to_dict(tags: list[dict[str, str]] | Tags | None) -> Tags:
    """A tag list as a dict: ECS's and ECR's lowercase key/value items, or the Key/Value items of most services (a
    dict is returned as it is)."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return dict(tags)
    if "key" in tags[0]:
        return boto3_tag_list_to_ansible_dict(tags, "key", "value")
    return boto3_tag_list_to_ansible_dict(tags)


def predict_tags(current: Tags, wanted: Tags | None, purge: bool) -> Tags:
    """The tags a resource will have once its tags are converged (tags=None leaves them alone)."""
    if wanted is None:
        return dict(current)
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    result = {key: value for key, value in current.items() if key not in to_unset}
    result.update(to_set)
    return result


def lacks_required_tags(module: AnsibleAWSModule, what: str, tags: Tags) -> bool:
    """True (after a warning) when O(require_tags) is set and `tags` do not carry all of them."""
    required = module.params.get("require_tags") or {}
    missing = {key: value for key, value in required.items() if tags.get(key) != value}
    if missing:
        module.warn(f"Not deleting {what}: it lacks the required tags {missing}, so this playbook did not create it.")
    return bool(missing)


@dataclass(frozen=True)
class TagApi:
    """How one service's TagResource / UntagResource name the resource, the tag list and the tag keys, and the
    error handler (its AWSErrorHandler subclass) whose error a failure raises."""

    resource_key: str  # e.g. resourceArn (ECS, ECR), ResourceARN (Cloud Map), ResourceId (EFS)
    errors: type[AWSErrorHandler]
    tags_key: str = "Tags"
    keys_key: str = "TagKeys"
    tag_list: Callable[[Tags], Any] = ansible_dict_to_boto3_tag_list


def converge_tags(
    module: AnsibleAWSModule,
    client: Client,
    api: TagApi,
    resource: str,
    current: Tags,
    wanted: Tags | None,
    purge: bool,
) -> bool:
    """Converge the tags of `resource` (its ARN or id); True if anything changed (also in check mode, where
    nothing is written). tags=None leaves the tags alone. A failure raises the error of `api.errors`."""
    if wanted is None:
        return False
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    if not (to_set or to_unset):
        return False
    if not module.check_mode:
        api.errors.common_error_handler("update the tags of {resource}")(_write_tags)(
            client, api, resource, to_set, to_unset
        )
    return True


def _write_tags(client: Client, api: TagApi, resource: str, to_set: Tags, to_unset: list[str]) -> None:
    if to_unset:
        client.untag_resource(aws_retry=True, **{api.resource_key: resource, api.keys_key: to_unset})
    if to_set:
        client.tag_resource(aws_retry=True, **{api.resource_key: resource, api.tags_key: api.tag_list(to_set)})


# ---------------------------------------------------------------------------------------------------- comparison


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
    """Human-readable differences between two values, e.g. 'desired_count: 1 -> 2' ('path.' before each key)."""
    if isinstance(current, dict) and isinstance(wanted, dict):
        found = []
        for key in sorted(set(current) | set(wanted)):
            found.extend(differences(current.get(key), wanted.get(key), f"{path}.{key}" if path else str(key)))
        return found
    return [] if current == wanted else [f"{path}: {current!r} -> {wanted!r}"]


# ---------------------------------------------------------------------------------------------------- results


def snake_description(
    resource: Description | None, omit: Collection[str] = (), keep: Collection[str] = ()
) -> dict[str, Any]:
    """A resource as AWS describes it, as a module returns it: snake_case keys and its tags (tags or Tags, a list
    or a dict) as a dict under `tags`; without the keys in `omit`, and the values of those in `keep` as they are
    (documents whose keys are data). {} for no resource."""
    if not resource:
        return {}
    tags = resource.get("tags", resource.get("Tags"))
    rest = {key: value for key, value in resource.items() if key not in {"tags", "Tags", *omit}}
    described = camel_dict_to_snake_dict(rest, ignore_list=list(keep))
    described["tags"] = tags_to_dict(tags)
    return described


def result(
    module: AnsibleAWSModule, changed: bool, before: dict[str, Any] | None, after: dict[str, Any] | None, **values: Any
) -> dict[str, Any]:
    """A module's result: `changed`, the module's own return values and, in diff mode, the diff of the managed
    settings before and after the task (None, a resource that does not exist, as {})."""
    returned: dict[str, Any] = {"changed": changed, **values}
    if module._diff:
        returned["diff"] = {"before": before or {}, "after": after or {}}
    return returned
