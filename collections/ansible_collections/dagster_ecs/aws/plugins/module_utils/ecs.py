# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers shared by the dagster_ecs.aws ECS and Cloud Map modules: clients, tags, comparison and diff."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

# Re-exported: the modules import these from here.
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import AWS_ERRORS as AWS_ERRORS
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client as Client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Description as Description
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import TagApi, converge_tags
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Tags as Tags
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import client as client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import predict_tags as predict_tags

# Argument spec of one capacity provider strategy item (documented by the capacity_provider_strategy doc fragment).
STRATEGY_ITEM_OPTIONS: dict[str, Any] = {
    "capacity_provider": {"required": True},
    "weight": {"type": "int", "default": 0},
    "base": {"type": "int", "default": 0},
}


def strategy(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A capacity provider strategy (option form or ECS's answer) in option form, sorted, with ECS's defaults."""
    return sorted(
        (
            {
                "capacity_provider": item.get("capacity_provider") or item.get("capacityProvider"),
                "weight": item.get("weight") or 0,
                "base": item.get("base") or 0,
            }
            for item in items or []
        ),
        key=lambda item: item["capacity_provider"],
    )


def strategy_request(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A strategy in option form as ECS's request parameter."""
    return [
        {"capacityProvider": item["capacity_provider"], "weight": item["weight"], "base": item["base"]}
        for item in items
    ]


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


# ECS tags resources by ARN with lowercase key/value items; Cloud Map by ARN with Key/Value items.
ECS_TAGS = TagApi("resourceArn", "tags", "tagKeys", ecs_tag_list)
CLOUD_MAP_TAGS = TagApi("ResourceARN")


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
    return converge_tags(module, aws, ECS_TAGS if lowercase_keys else CLOUD_MAP_TAGS, arn, current, wanted, purge)


def lacks_required_tags(module: AnsibleAWSModule, what: str, tags: Tags) -> bool:
    """True (after a warning) when O(require_tags) is set and `tags` do not carry all of them."""
    required = module.params.get("require_tags") or {}
    missing = {key: value for key, value in required.items() if tags.get(key) != value}
    if missing:
        module.warn(f"Not deleting {what}: it lacks the required tags {missing}, so this playbook did not create it.")
    return bool(missing)
